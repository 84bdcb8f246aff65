"""A refusal test for every rule in S4, S5, S6, T4, T9 and M2 (and S1, T1, T10): each names the
rule id and its code, and proves that nothing changed in the ledger (entries, postings, balances,
locks)."""

from decimal import Decimal

import pytest

from shuiquan.core.errors import RuleViolation, ValidationFailed
from shuiquan.registry.models import MeteringDevice, Sector, WaterSource, WithdrawalPermit
from shuiquan.trading import rules, services
from shuiquan.trading.models import EliminatedIndustry, LegalProhibition, PollutantIntensity, SectorQuota, Trade

from .builders import fresh_associations, holder_of, permit_of, pool, rep_of

pytestmark = pytest.mark.django_db
VOLUME = 500_000


@pytest.fixture
def seller(users, rights):
    permit = permit_of("permit_holder")
    return permit, rights["permits"][permit.pk]


def _saving(users, permit, volume=VOLUME, first=2026, last=2028):
    return services.submit_savings(actor=users["permit_holder"], permit=permit, source_kind="works", description="节水改造",
                                   claimed_m3=volume, first_year=first, last_year=last, evidence="计量数据")


def _apply(users, rights, *, buyer=None, volume=VOLUME, first=2026, last=2028, saving="auto", **kw):
    permit = permit_of("permit_holder")
    if saving == "auto":
        saving = _saving(users, permit, max(volume, 1) if volume <= permit.annual_volume_m3 else permit.annual_volume_m3, first, last)
    buyer = buyer if buyer is not None else permit_of("buyer_holder")
    return services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][permit.pk],
                                volume_m3=volume, start_year=first, end_year=last, buyer=f"permit:{buyer.pk}" if buyer else "",
                                savings=saving, **kw)


def _refused(fn, rule: str, code: str, snapshot, before):
    with pytest.raises(RuleViolation) as exc:
        fn()
    assert exc.value.rule == rule, exc.value.detail
    assert code in [r["code"] for r in exc.value.detail["refusals"]], exc.value.detail
    assert snapshot() == before
    return exc.value


# --- S4: five prohibited sales ---------------------------------------------------------------


def test_S4_groundwater_in_overdraft_area_refused(users, rights, seller, ledger_snapshot):
    permit, _ = seller
    WithdrawalPermit.objects.filter(pk=permit.pk).update(source=WaterSource.objects.get(name="唐河县浅层地下水（超采区）"))
    saving = _saving(users, permit)
    snap = ledger_snapshot()
    trades = Trade.objects.count()
    _refused(lambda: _apply(users, rights, saving=saving), "S4", "s4_overdraft_groundwater", ledger_snapshot, snap)
    assert Trade.objects.count() == trades


def test_S4_surface_water_in_overloaded_area_refused(users, rights, seller, ledger_snapshot):
    permit, _ = seller
    WaterSource.objects.filter(pk=permit.source_id).update(is_overloaded=True)
    saving = _saving(users, permit)
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, saving=saving), "S4", "s4_overloaded_surface", ledger_snapshot, snap)


def test_S4_change_of_use_seriously_harming_third_parties_refused(users, rights, ledger_snapshot):
    trade = _apply(users, rights)
    snap = ledger_snapshot()
    _refused(lambda: services.verify_trade(actor=users["neixiang_officer"], trade=trade, works_manager_opinion="同意",
                                           third_party_harm=True), "S4", "s4_third_party_harm", ledger_snapshot, snap)
    trade.refresh_from_db()
    assert trade.status == "applied" and not trade.third_party_harm


def test_S4_surface_sale_needing_new_groundwater_refused(users, rights, ledger_snapshot):
    trade = _apply(users, rights)
    snap = ledger_snapshot()
    _refused(lambda: services.verify_trade(actor=users["neixiang_officer"], trade=trade, works_manager_opinion="同意",
                                           needs_new_groundwater=True), "S4", "s4_needs_new_groundwater", ledger_snapshot, snap)


def test_S4_sale_forbidden_by_law_refused(users, rights, seller, ledger_snapshot):
    permit, _ = seller
    LegalProhibition.objects.create(side="sell", water_user=permit.holder, legal_basis="《取水许可和水资源费征收管理条例》第二十九条（示例）")
    saving = _saving(users, permit)
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, saving=saving), "S4", "s4_prohibited_by_law", ledger_snapshot, snap)


# --- S5: five prohibited purchases -------------------------------------------------------------


def test_S5_eliminated_industry_buyer_refused(users, rights, ledger_snapshot):
    buyer = permit_of("buyer_holder")
    EliminatedIndustry.objects.create(sector=buyer.sector, catalogue_item="《产业结构调整指导目录（2024年本）》淘汰类（示例条目）")
    saving = _saving(users, permit_of("permit_holder"))
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, saving=saving), "S5", "s5_eliminated_industry", ledger_snapshot, snap)


def test_S5_eliminated_product_keyword_refused(users, rights, ledger_snapshot):
    EliminatedIndustry.objects.create(product_keyword="土法炼焦", catalogue_item="淘汰类：土法炼焦（示例）")
    saving = _saving(users, permit_of("permit_holder"))
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, saving=saving, project_product="土法炼焦扩建项目"), "S5", "s5_eliminated_industry",
             ledger_snapshot, snap)


def test_S5_project_above_sector_quota_refused(users, rights, ledger_snapshot):
    buyer = permit_of("buyer_holder")
    SectorQuota.objects.create(sector=buyer.sector, unit="吨产品", quota_m3_per_unit=Decimal("10"), standard="河南省工业用水定额（示例）")
    saving = _saving(users, permit_of("permit_holder"))
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, saving=saving, project_sector=buyer.sector, project_water_per_unit=Decimal("12.5")),
             "S5", "s5_above_sector_quota", ledger_snapshot, snap)
    # Within the quota it passes
    _apply(users, rights, saving=saving, project_sector=buyer.sector, project_water_per_unit=Decimal("9.5"))


def test_S5_buyer_discharging_more_pollutants_than_seller_refused(users, rights, ledger_snapshot):
    hengda = WithdrawalPermit.objects.get(holder__name="内乡恒达化工有限公司")  # 化学原料和化学制品制造业
    PollutantIntensity.objects.create(sector=hengda.sector, cod_kg_per_10k_m3=Decimal("900"), nh3n_kg_per_10k_m3=Decimal("60"), basis="示例")
    PollutantIntensity.objects.create(sector=permit_of("permit_holder").sector, cod_kg_per_10k_m3=Decimal("400"),
                                      nh3n_kg_per_10k_m3=Decimal("30"), basis="示例")
    saving = _saving(users, permit_of("permit_holder"))
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, buyer=hengda, saving=saving), "S5", "s5_more_pollutants", ledger_snapshot, snap)


def test_S5_M2_buyer_without_compliant_online_metering_refused(users, rights, ledger_snapshot):
    offline = WithdrawalPermit.objects.get(holder__name="唐河昌盛饮品有限公司")  # its meter is not online
    saving = _saving(users, permit_of("permit_holder"))
    snap = ledger_snapshot()
    err = _refused(lambda: _apply(users, rights, buyer=offline, saving=saving), "M2", "m2_buyer_no_online_metering", ledger_snapshot, snap)
    assert "S5" in err.message_en


def test_S5_purchase_forbidden_by_law_refused(users, rights, ledger_snapshot):
    buyer = permit_of("buyer_holder")
    LegalProhibition.objects.create(side="buy", water_user=buyer.holder, legal_basis="法院裁定限制（示例）")
    saving = _saving(users, permit_of("permit_holder"))
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, saving=saving), "S5", "s5_prohibited_by_law", ledger_snapshot, snap)


# --- M2 ------------------------------------------------------------------------------------------


def test_M2_seller_without_online_metering_refused(users, rights, seller, ledger_snapshot):
    permit, _ = seller
    MeteringDevice.objects.filter(intake_point__permit=permit).update(is_online=False)
    saving = _saving(users, permit)
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, saving=saving), "M2", "m2_seller_no_online_metering", ledger_snapshot, snap)


def test_M2_irrigation_buyer_without_irrigation_metering_refused(users, rights, ledger_snapshot, city_admin):
    from shuiquan.core import config

    config.set_value("trading.m2_irrigation_accept_district_meter", "false", actor=city_admin)
    damogang = fresh_associations("打磨岗灌区")
    seller_right = pool(damogang[0], 1_000)
    snap = ledger_snapshot()
    _refused(lambda: services.apply_trade(actor=rep_of(damogang[0]), trade_type="irrigation",
                                          seller_right=seller_right, volume_m3=1_000, start_year=2026,
                                          end_year=2026, buyer=f"association:{damogang[1].pk}"),
             "M2", "m2_seller_no_irrigation_metering", ledger_snapshot, snap)


# --- S6 ------------------------------------------------------------------------------------------


def test_S6_halted_seller_region_refused(users, rights, seller, ledger_snapshot, city_admin):
    permit, _ = seller
    services.impose_restriction(actor=city_admin, kind="halt", ground="groundwater_reduction", region=permit.region,
                                reason="2025年度地下水压采目标未完成")
    saving = _saving(users, permit)
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, saving=saving), "S6", "s6_trading_halted", ledger_snapshot, snap)


def test_S6_halted_buyer_cannot_register_intent(users, rights, ledger_snapshot, city_admin):
    permit = permit_of("permit_holder")
    saving = _saving(users, permit)
    trade = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][permit.pk],
                                 volume_m3=VOLUME, start_year=2026, end_year=2028, mode="listing", savings=saving)
    services.verify_trade(actor=users["neixiang_officer"], trade=trade, works_manager_opinion="同意")
    listing = services.publish_listing(actor=users["permit_holder"], trade=trade, listed_price="1")
    buyer = permit_of("buyer_holder")
    r = services.impose_restriction(actor=city_admin, kind="halt", ground="strict_assessment", water_user=buyer.holder,
                                    reason="最严格水资源管理制度考核不合格")
    snap = ledger_snapshot()
    _refused(lambda: services.register_intent(actor=users["buyer_holder"], listing=listing, buyer=f"permit:{buyer.pk}",
                                              deposit_reference="D"), "S6", "s6_trading_halted", ledger_snapshot, snap)
    services.lift_restriction(actor=city_admin, restriction=r, reason="整改合格")
    services.register_intent(actor=users["buyer_holder"], listing=listing, buyer=f"permit:{buyer.pk}", deposit_reference="D")


def test_S6_cut_trade_volume_refused(users, rights, seller, ledger_snapshot, city_admin):
    permit, right = seller
    services.impose_restriction(actor=city_admin, kind="cut", ground="strict_assessment", water_user=permit.holder, cut_pct="50",
                                reason="考核不合格，核减交易水量50%")
    saving = _saving(users, permit)
    snap = ledger_snapshot()
    err = _refused(lambda: _apply(users, rights, saving=saving), "S6", "s6_volume_cut", ledger_snapshot, snap)
    # 50 % of the nominal volume allocation registered for the right (A3: 881,790 m³ for 内乡永安药业 in the demo)
    assert f"每年最多 {right.annual_volume_m3 // 2:,} 立方米" in err.message
    trade = _apply(users, rights, volume=100_000, saving=saving)  # within the cut volume
    assert trade.volume_m3 == 100_000


# --- T4 ------------------------------------------------------------------------------------------


def test_T4_public_supply_works_cannot_sell(users, rights, ledger_snapshot, city_admin):
    supply = WithdrawalPermit.objects.get(holder__name="内乡县自来水有限公司")
    saving = services.submit_savings(actor=city_admin, permit=supply, source_kind="works", description="管网漏损治理",
                                     claimed_m3=VOLUME, first_year=2026, last_year=2026, evidence="漏损率测定")
    snap = ledger_snapshot()
    _refused(lambda: services.apply_trade(actor=city_admin, trade_type="permit", seller_right=rights["permits"][supply.pk],
                                          volume_m3=VOLUME, start_year=2026, end_year=2026, savings=saving,
                                          buyer=f"permit:{permit_of('buyer_holder').pk}"),
             "T4", "t4_public_supply", ledger_snapshot, snap)


def test_T4_sale_without_a_saving_refused(users, rights, ledger_snapshot):
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, saving=None), "T4", "t4_no_saving", ledger_snapshot, snap)


def test_T4_unverified_saving_cannot_be_listed(users, rights, ledger_snapshot):
    permit = permit_of("permit_holder")
    saving = _saving(users, permit)
    trade = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][permit.pk],
                                 volume_m3=VOLUME, start_year=2026, end_year=2028, mode="listing", savings=saving)
    snap = ledger_snapshot()
    _refused(lambda: services.publish_listing(actor=users["permit_holder"], trade=trade, listed_price="1.00"), "T4",
             "t4_saving_not_verified", ledger_snapshot, snap)


def test_T4_volume_above_the_verified_saving_refused(users, rights, ledger_snapshot):
    trade = _apply(users, rights)
    snap = ledger_snapshot()
    _refused(lambda: services.verify_trade(actor=users["neixiang_officer"], trade=trade, verified_m3=300_000,
                                           works_manager_opinion="核减：实际节水30万立方米"), "T4", "t4_exceeds_verified_saving",
             ledger_snapshot, snap)


def test_T4_term_outside_permit_validity_refused(users, rights, ledger_snapshot):
    permit = permit_of("permit_holder")  # valid to 2028-06-12
    snap = ledger_snapshot()
    with pytest.raises(ValidationFailed):  # the saving itself must be within the permit's validity
        _saving(users, permit, first=2026, last=2029)
    saving = _saving(users, permit, first=2026, last=2028)
    _refused(lambda: _apply(users, rights, saving=saving, first=2027, last=2029), "T4", "t4_outside_permit_validity", ledger_snapshot, snap)


def test_T4_volume_above_permit_limit_refused(users, rights, seller, ledger_snapshot):
    permit, _ = seller
    saving = _saving(users, permit)
    WithdrawalPermit.objects.filter(pk=permit.pk).update(annual_volume_m3=400_000)
    snap = ledger_snapshot()
    _refused(lambda: _apply(users, rights, saving=saving), "T4", "t4_exceeds_permit_limit", ledger_snapshot, snap)


# --- T9 ------------------------------------------------------------------------------------------


def test_T9_irrigation_user_cannot_sell_directly_to_industry(users, rights, ledger_snapshot):
    damogang = fresh_associations("打磨岗灌区")[0]
    seller_right = pool(damogang, 1_000)
    snap = ledger_snapshot()
    _refused(lambda: services.apply_trade(actor=rep_of(damogang), trade_type="irrigation",
                                          seller_right=seller_right, volume_m3=1_000, start_year=2026,
                                          end_year=2026, buyer=f"permit:{permit_of('buyer_holder').pk}"),
             "T9", "t9_buyer_not_irrigation_user", ledger_snapshot, snap)


def test_T9_unfiled_multi_year_trade_refused_at_registration_check(users, rights):
    damogang = fresh_associations("打磨岗灌区")
    check = rules.Check(trade_type="irrigation", stage="registration", seller=rules.Party("association", damogang[0]),
                        seller_right=rights["associations"][damogang[0].pk], volume_m3=500, years=[2026, 2027],
                        buyer=rules.Party("association", damogang[1]), buyer_right=rights["associations"][damogang[1].pk])
    assert "t9_not_filed" in [r.code for r in rules.evaluate(check)]
    check.filed = True
    assert "t9_not_filed" not in [r.code for r in rules.evaluate(check)]


# --- T1 / T10 --------------------------------------------------------------------------------------


def test_T10_reserve_resale_to_non_industry_refused(users, rights, ledger_snapshot, city_admin):
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.choices import EntryKind

    reserve = rights["neixiang_reserve"]
    damogang = fresh_associations("打磨岗灌区")
    rep = rep_of(damogang[0])
    buy = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=pool(damogang[0], 1_000), volume_m3=1_000,
                               start_year=2026, end_year=2026, buyer=f"reserve:{reserve.pk}")
    services.agree(actor=rep, trade=buy, unit_price="0.2")
    services.sign(actor=rep, trade=buy)
    services.sign(actor=users["neixiang_officer"], trade=buy)
    services.pay(actor=users["neixiang_officer"], trade=buy, reference="x")
    services.settle(actor=city_admin, trade=buy)
    services.register(actor=users["neixiang_officer"], trade=buy)
    from shuiquan.ledger.models import WaterRight

    reserve_right = WaterRight.objects.get(reserve=reserve)
    snap = ledger_snapshot()
    _refused(lambda: services.apply_trade(actor=users["neixiang_officer"], trade_type="irrigation", seller_right=reserve_right,
                                          volume_m3=1_000, start_year=2026, end_year=2026, buyer=f"association:{damogang[1].pk}"),
             "T10", "t10_buyer_not_industry_or_supply", ledger_snapshot, snap)
    assert EntryKind and ledger


def test_T1_wrong_parties_for_the_type_refused(users, rights, ledger_snapshot, city_admin):
    snap = ledger_snapshot()
    _refused(lambda: services.apply_trade(actor=city_admin, trade_type="permit", seller_right=rights["counties"]["411325"],
                                          volume_m3=1_000, start_year=2026, end_year=2026,
                                          buyer=f"permit:{permit_of('buyer_holder').pk}"),
             "T1", "t1_seller_type", ledger_snapshot, snap)


def test_rules_catalogue_names_every_rule():
    ids = {r["rule"] for r in rules.catalogue()}
    assert {"T1", "T2", "T4", "T9", "T10", "T11", "S1", "S4", "S5", "S6", "M2", "L1"} <= ids
    assert holder_of and rep_of and Sector
