"""Demo trades (演示数据), made by the demo accounts through the real services, on the rights that
allocation opened (docs/ledger-tree.md). Runs after allocation in ``core.loading.DEMO_ORDER``;
where no allocated rights exist yet it does nothing and says so.

What it creates (each part in its own savepoint; a part the data cannot support is skipped and
noted in the load summary):

- reserves: 南阳市水权收储中心 (city) and the 内乡县 / 唐河县 county reserves, with their funders (F3);
  outside counterparties 郑州市, 新郑市, 登封市;
- a withdrawal-permit trade permit_holder → buyer_holder, negotiated, registered (T7 over one year);
- a permit listing open now, with one intending buyer;
- a regional trade 内乡县 → 唐河县 (filed with the province, in the buyer's dispatch plan);
- SNWD: the city reserve takes 唐河县's surplus and sells it to 郑州市, consulting the SNWD unit (T2);
- irrigation: the demo association pools (归集) volume from its households pro rata to their rights,
  then sells some to a neighbouring association (T9) and some to the county reserve, which resells
  it to industry (T10);
- an order-book session of the Damogang district with household orders and fills;
- an S6 restriction (cut) on 新野县 and two eliminated-category items (demo entries).
"""

from __future__ import annotations

import logging
from collections import Counter

from django.db import transaction

from shuiquan.core.errors import DomainError
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import RightKind, RightStatus
from shuiquan.ledger.models import Reserve, WaterRight
from shuiquan.registry import models as reg
from shuiquan.registry.choices import AuthorityLevel, DeviceStatus

from . import clock, orderbook, services
from .models import EliminatedIndustry, TradingRestriction

log = logging.getLogger("shuiquan.trading")


def _has_rights() -> bool:
    return WaterRight.objects.filter(kind=RightKind.WITHDRAWAL, permit__isnull=False, status=RightStatus.ACTIVE).exists()


def _authority_user(users, authority):
    from shuiquan.core.models import User

    if authority is not None and authority.level == AuthorityLevel.COUNTY:
        u = User.objects.filter(role="county_officer", region=authority.region, is_demo=True).order_by("pk").first()
        if u is not None:
            return u
    return users["city_admin"]


def _metered(permit) -> bool:
    return reg.MeteringDevice.objects.filter(intake_point__permit=permit, status=DeviceStatus.ACTIVE, is_online=True,
                                             meets_standard=True).exists()


class Demo:
    def __init__(self, users, size):
        self.users = users
        self.size = size
        self.year = clock.this_year()
        self.counts: Counter = Counter()
        self.notes: list[str] = []

    def part(self, name, fn):
        try:
            with transaction.atomic():
                fn()
        except DomainError as exc:
            self.notes.append(f"{name}: {exc.code}")
            log.info("demo trading part %s skipped: %s", name, exc)

    # --- parts -----------------------------------------------------------------------------------

    def reserves(self):
        admin = self.users["city_admin"]
        specs = [("411300", "南阳市水权收储中心", "南阳市水利局", "南阳市财政局（市级水权收储资金）"),
                 ("411325", "内乡县水权收储中心", "内乡县水利局", "内乡县财政局（县级水权收储资金）"),
                 ("411328", "唐河县水权收储中心", "唐河县水利局", "唐河县财政局（县级水权收储资金）")]
        for code, name, operator, funder in specs:
            region = reg.Region.objects.filter(code=code).first()
            if region is not None and not Reserve.objects.filter(name=name).exists():
                services.create_reserve(actor=admin, region=region, name=name, operator=operator, funder=funder, is_demo=True)
                self.counts["reserves"] += 1
        for name, en in (("郑州市", "Zhengzhou"), ("新郑市", "Xinzheng"), ("登封市", "Dengfeng")):
            services.ensure_outside_region(actor=admin, name=name, name_en=en)

    def _saving(self, permit, volume, first, last, kind="works", text="循环冷却水改造"):
        holder = self.users["permit_holder"] if permit.holder_id == self.users["permit_holder"].water_user_id else self.users["city_admin"]
        s = services.submit_savings(actor=holder, permit=permit, source_kind=kind, description=f"{text}（演示数据）", claimed_m3=volume,
                                    first_year=first, last_year=last, evidence="改造前后在线计量数据对比（演示数据）", is_demo=True)
        services.verify_savings(actor=_authority_user(self.users, permit.approving_authority), savings=s, verified_m3=volume,
                                works_manager_opinion="水利工程管理单位：同意（演示）", note="核定属实（演示）")
        return s

    def permit_trade(self):
        u = self.users
        sp = reg.WithdrawalPermit.objects.filter(holder=u["permit_holder"].water_user).order_by("pk").first()
        bp = reg.WithdrawalPermit.objects.filter(holder=u["buyer_holder"].water_user).order_by("pk").first()
        if sp is None or bp is None or ledger.right_for_permit(sp) is None:
            raise services.ValidationFailed("no_permits", "缺少演示许可证", "No demo permits")
        last = min(self.year + 2, sp.valid_to.year, bp.valid_to.year)
        volume = min(100_000, sp.annual_volume_m3 // 5)
        saving = self._saving(sp, volume, self.year, last)
        officer = _authority_user(u, sp.approving_authority)
        t = services.apply_trade(actor=u["permit_holder"], trade_type="permit", seller_right=ledger.right_for_permit(sp), volume_m3=volume,
                                 start_year=self.year, end_year=last, buyer=f"permit:{bp.pk}", savings=saving, is_demo=True,
                                 note="节水改造节约水量转让（演示数据）")
        services.verify_trade(actor=officer, trade=t, note="经现场核查属实（演示）")
        services.agree(actor=u["permit_holder"], trade=t, unit_price="1.20")
        services.sign(actor=u["permit_holder"], trade=t)
        services.sign(actor=u["buyer_holder"], trade=t)
        services.pay(actor=u["buyer_holder"], trade=t, reference="DEMO-PAY-001")
        services.settle(actor=u["city_admin"], trade=t)
        services.register(actor=officer, trade=t, approval_number=f"演示许变〔{self.year}〕1号" if last > self.year else "")
        self.counts["permit_trades"] += 1
        # A listing open now, with one intending buyer
        volume2 = min(50_000, sp.annual_volume_m3 // 10)
        saving2 = self._saving(sp, volume2, self.year, min(self.year + 1, sp.valid_to.year), kind="structural", text="调整产品结构")
        t2 = services.apply_trade(actor=u["permit_holder"], trade_type="permit", seller_right=ledger.right_for_permit(sp), volume_m3=volume2,
                                  start_year=self.year, end_year=min(self.year + 1, sp.valid_to.year), mode="listing", savings=saving2,
                                  is_demo=True, note="挂牌转让（演示数据）")
        services.verify_trade(actor=officer, trade=t2, note="属实（演示）")
        listing = services.publish_listing(actor=u["permit_holder"], trade=t2, listed_price="1.10")
        if _metered(bp):
            services.register_intent(actor=u["buyer_holder"], listing=listing, buyer=f"permit:{bp.pk}", deposit_reference="DEMO-DEP-001")
        self.counts["listings"] += 1

    def regional(self):
        u = self.users
        nx, th = reg.Region.objects.get(code="411325"), reg.Region.objects.get(code="411328")
        seller = ledger.right_for_region(nx)
        if seller is None or ledger.right_for_region(th) is None:
            raise services.ValidationFailed("no_regional_rights", "缺少区域用水权", "No regional rights")
        volume = min(1_000_000, max(ledger.available(seller, self.year) // 10, 0))
        t = services.apply_trade(actor=u["neixiang_officer"], trade_type="regional", seller_right=seller, volume_m3=volume,
                                 start_year=self.year, end_year=self.year, buyer=f"region:{th.pk}", is_demo=True, note="县际水量交易（演示数据）")
        services.verify_trade(actor=u["city_admin"], trade=t, note="结余水量属实（演示）")
        services.agree(actor=u["neixiang_officer"], trade=t, unit_price="0.45")
        services.sign(actor=u["neixiang_officer"], trade=t)
        services.sign(actor=u["tanghe_officer"], trade=t)
        services.file_province(actor=u["city_admin"], trade=t, filing_number=f"演示豫水备〔{self.year}〕1号")
        services.pay(actor=u["tanghe_officer"], trade=t, reference="DEMO-PAY-002")
        services.settle(actor=u["city_admin"], trade=t)
        services.register(actor=u["city_admin"], trade=t)
        self.counts["regional_trades"] += 1

    def snwd(self):
        u = self.users
        admin = u["city_admin"]
        th = reg.Region.objects.get(code="411328")
        seller = ledger.right_for_region(th, RightKind.SNWD)
        city_reserve = Reserve.objects.filter(name="南阳市水权收储中心").first()
        zhengzhou = reg.Region.objects.filter(name="郑州市").first()
        if seller is None or city_reserve is None or zhengzhou is None:
            raise services.ValidationFailed("no_snwd_rights", "缺少南水北调用水权", "No SNWD rights")
        volume = min(5_000_000, ledger.available(seller, self.year) // 4)
        take = services.apply_trade(actor=u["tanghe_officer"], trade_type="regional", seller_right=seller, volume_m3=volume,
                                    start_year=self.year, end_year=self.year, buyer=f"reserve:{city_reserve.pk}", is_demo=True,
                                    note="南水北调富余指标市级收储（演示数据）")
        services.consult_snwd(actor=u["snwd_unit"], trade=take, opinion="同意收储（演示）")
        services.verify_trade(actor=admin, trade=take)
        services.agree(actor=u["tanghe_officer"], trade=take, unit_price="0.10")
        services.sign(actor=u["tanghe_officer"], trade=take)
        services.sign(actor=admin, trade=take, side="buyer")
        services.file_province(actor=admin, trade=take, filing_number=f"演示豫水备〔{self.year}〕2号")
        services.pay(actor=admin, trade=take, reference="DEMO-PAY-003")
        services.settle(actor=admin, trade=take)
        services.register(actor=admin, trade=take)
        reserve_right = WaterRight.objects.get(reserve=city_reserve, kind=RightKind.RESERVE, source_type=seller.source_type)
        sale = services.apply_trade(actor=admin, trade_type="regional", seller_right=reserve_right, volume_m3=volume, start_year=self.year,
                                    end_year=self.year, buyer=f"region:{zhengzhou.pk}", is_demo=True, note="南阳—郑州南水北调水量交易（演示数据）")
        services.consult_snwd(actor=u["snwd_unit"], trade=sale, opinion="纳入受水区年度调度计划（演示）")
        services.verify_trade(actor=admin, trade=sale)
        services.agree(actor=admin, trade=sale, unit_price="0.87")
        services.sign(actor=admin, trade=sale, side="seller")
        services.sign(actor=admin, trade=sale, side="buyer")
        services.file_province(actor=admin, trade=sale, filing_number=f"演示豫水备〔{self.year}〕3号")
        services.pay(actor=admin, trade=sale, reference="DEMO-PAY-004")
        services.settle(actor=admin, trade=sale)
        services.register(actor=admin, trade=sale)
        self.counts["snwd_trades"] += 2

    def _assoc_right(self, association):
        return WaterRight.objects.filter(association=association, kind=RightKind.IRRIGATION, status=RightStatus.ACTIVE).order_by("pk").first()

    def irrigation(self):
        u = self.users
        rep = u["association_rep"]
        seller = rep.association
        seller_right = self._assoc_right(seller)
        buyer = next((a for a in reg.Association.objects.filter(district=seller.district).exclude(pk=seller.pk).order_by("pk")
                      if self._assoc_right(a) is not None), None)
        if seller_right is None or buyer is None:
            raise services.ValidationFailed("no_irrigation_rights", "缺少协会水权", "No association rights")
        # About 5 % of the association's right, in whole 100 m³, for each of the two sales below.
        volume = max(100, min(2_000, seller_right.annual_volume_m3 // 20 // 100 * 100))
        # 归集: the households give the association, pro rata to their rights, what it sells
        # (allocation posted the association's whole volume down to its households).
        services.pool_household_volume(actor=rep, association=seller, volume_m3=2 * volume, first_year=self.year,
                                       reason="协会统一转让节余水量，用水户按水权比例归集（演示数据）", is_demo=True)
        self.counts["poolings"] += 1
        t = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=seller_right, volume_m3=volume, start_year=self.year,
                                 end_year=self.year, buyer=f"association:{buyer.pk}", is_demo=True, note="协会间水权交易（演示数据）")
        services.agree(actor=rep, trade=t, unit_price="0.25")
        services.sign(actor=rep, trade=t)
        services.sign(actor=u["city_admin"], trade=t, side="buyer")
        services.pay(actor=u["city_admin"], trade=t, reference="DEMO-PAY-005")
        services.settle(actor=u["city_admin"], trade=t)
        self.counts["irrigation_trades"] += 1
        # T10: the county buys back and resells to industry
        reserve = Reserve.objects.filter(region=seller.region).order_by("pk").first()
        bp = reg.WithdrawalPermit.objects.filter(holder=u["buyer_holder"].water_user).order_by("pk").first()
        officer = _authority_user(u, reg.Authority.objects.filter(level=AuthorityLevel.COUNTY, region=seller.region).first())
        if reserve is None or bp is None:
            return
        back = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=seller_right, volume_m3=volume, start_year=self.year,
                                    end_year=self.year, buyer=f"reserve:{reserve.pk}", is_demo=True, note="县级回购收储（演示数据）")
        services.agree(actor=rep, trade=back, unit_price="0.20")
        services.sign(actor=rep, trade=back)
        services.sign(actor=officer, trade=back)
        services.pay(actor=officer, trade=back, reference="DEMO-PAY-006")
        services.settle(actor=u["city_admin"], trade=back)
        services.register(actor=officer, trade=back)
        reserve_right = WaterRight.objects.filter(reserve=reserve, kind=RightKind.RESERVE).order_by("-pk").first()
        sale = services.apply_trade(actor=officer, trade_type="irrigation", seller_right=reserve_right, volume_m3=volume, start_year=self.year,
                                    end_year=self.year, buyer=f"permit:{bp.pk}", is_demo=True, note="收储水量出让工业企业（演示数据）")
        services.verify_trade(actor=officer, trade=sale, note="受让方用水需求真实合理（演示）", use_change_approved=True)
        services.agree(actor=officer, trade=sale, unit_price="0.80")
        services.sign(actor=officer, trade=sale)
        services.sign(actor=u["buyer_holder"], trade=sale)
        services.pay(actor=u["buyer_holder"], trade=sale, reference="DEMO-PAY-007")
        services.settle(actor=u["city_admin"], trade=sale)
        services.register(actor=officer, trade=sale)
        self.counts["reserve_trades"] += 2

    def order_book(self):
        u = self.users
        rep = u["association_rep"]
        session = orderbook.open_session(actor=u["city_admin"], opening_minutes=0, is_demo=True)
        households = [h for h in reg.Household.objects.filter(association=rep.association).order_by("code")
                      if WaterRight.objects.filter(household=h, kind=RightKind.HOUSEHOLD).exists()]
        lot = session.lot_m3
        sellers = [h for h in households if ledger.available(WaterRight.objects.get(household=h, kind=RightKind.HOUSEHOLD), self.year) >= lot]
        buyers = [h for h in households if h not in sellers[: len(sellers) // 2 + 1]]
        if not sellers or not buyers:
            raise services.ValidationFailed("no_lots", "用水户可交易水量不足一手", "Households have less than one lot")
        prices = ["0.22", "0.25", "0.24", "0.28", "0.26", "0.27", "0.30"]
        n = 0
        for i, seller in enumerate(sellers[: len(prices)]):
            # Spread the bids over the buyers (never a household's own ask).
            others = [b for b in buyers if b.pk != seller.pk]
            if not others:
                break
            buyer = others[i % len(others)]
            orderbook.place_order(actor=rep, session=session, side="ask", party=f"household:{seller.pk}", lots=1, limit_price=prices[i])
            orderbook.place_order(actor=rep, session=session, side="bid", party=f"household:{buyer.pk}", lots=1, limit_price=prices[i])
            n += 1
        self.counts["order_book_fills"] += session.fills.count()

    def rules_data(self):
        admin = self.users["city_admin"]
        xinye = reg.Region.objects.filter(code="411329").first()
        if xinye is not None and not TradingRestriction.objects.filter(region=xinye, lifted_at__isnull=True).exists():
            services.impose_restriction(actor=admin, kind="cut", cut_pct="20", ground="groundwater_reduction", region=xinye,
                                        reason="地下水压采量未达到年度压采目标，核减交易水量20%（演示数据）", is_demo=True)
            self.counts["restrictions"] += 1
        for keyword, item in (("土法炼焦", "淘汰类：土法炼焦（演示条目，以《产业结构调整指导目录》正式文本为准）"),
                              ("小造纸", "淘汰类：落后产能造纸生产线（演示条目，以《产业结构调整指导目录》正式文本为准）")):
            if not EliminatedIndustry.objects.filter(product_keyword=keyword).exists():
                EliminatedIndustry.objects.create(product_keyword=keyword, catalogue_item=item)
                self.counts["eliminated_items"] += 1


def load(size: str = "full") -> dict:
    from shuiquan.core.models import User

    if not _has_rights():
        return {"skipped": "no allocated rights yet"}
    needed = ["city_admin", "permit_holder", "buyer_holder", "neixiang_officer", "tanghe_officer", "association_rep", "snwd_unit"]
    users = {u.username: u for u in User.objects.filter(username__in=needed)}
    missing = [n for n in needed if n not in users]
    if missing:
        return {"skipped": f"demo accounts missing: {', '.join(missing)}"}
    demo = Demo(users, size)
    demo.part("reserves", demo.reserves)
    demo.part("permit", demo.permit_trade)
    demo.part("regional", demo.regional)
    demo.part("snwd", demo.snwd)
    demo.part("irrigation", demo.irrigation)
    demo.part("order_book", demo.order_book)
    demo.part("rules", demo.rules_data)
    out = dict(demo.counts)
    if demo.notes:
        out["skipped_parts"] = demo.notes
    return out
