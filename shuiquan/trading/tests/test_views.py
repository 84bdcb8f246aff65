"""Pages: every step and role renders, actions post through the services, refusals come back as
form errors naming their rule, public pages need no login, and workbench to-dos appear."""

import pytest
from django.urls import reverse

from shuiquan.trading import services
from shuiquan.trading.choices import TradeStatus
from shuiquan.trading.models import Trade

from .builders import fresh_associations, permit_of, pool, rep_of

pytestmark = pytest.mark.django_db


def _post(client, url, data, expect=302):
    resp = client.post(url, data)
    assert resp.status_code == expect, resp.content.decode()[resp.content.decode().find("<main>"):][:1500]
    return resp


def test_whole_permit_trade_through_the_pages(users, rights, page):
    seller, officer, buyer, admin = (page(users[u]) for u in ("permit_holder", "neixiang_officer", "buyer_holder", "city_admin"))
    sp, bp = permit_of("permit_holder"), permit_of("buyer_holder")
    assert seller.get(reverse("trading:home")).status_code == 200
    assert seller.get(reverse("trading:savings_new")).status_code == 200
    _post(seller, reverse("trading:savings_new"), {"permit": sp.pk, "source_kind": "contract", "description": "合同节水改造冷却塔",
                                                   "claimed_m3": 500000, "first_year": 2026, "last_year": 2028, "evidence": "节水量审计报告",
                                                   "contractor_name": "河南某节水服务公司", "host_unit": "内乡永安药业有限公司",
                                                   "contractor_share_pct": "40", "host_share_pct": "60"})
    saving = sp.savings.order_by("-pk").first()
    assert seller.get(reverse("trading:apply", args=["permit"])).status_code == 200
    _post(seller, reverse("trading:apply", args=["permit"]), {
        "seller_right": rights["permits"][sp.pk].pk, "buyer": f"permit:{bp.pk}", "mode": "negotiated", "volume_m3": 500000,
        "start_year": 2026, "end_year": 2028, "savings": saving.pk, "basis": "saving"})
    trade = Trade.objects.filter(seller_permit=sp).order_by("-pk").first()
    detail = reverse("trading:trade_detail", args=[trade.pk])
    html = officer.get(detail).content.decode()
    assert 'data-action="verify"' in html and "剩余" in html  # countdown
    assert officer.get(reverse("trading:trade_action", args=[trade.pk, "verify"])).status_code == 200
    _post(officer, reverse("trading:trade_action", args=[trade.pk, "verify"]), {"note": "属实", "works_manager_opinion": "同意", "verified_m3": ""})
    _post(seller, reverse("trading:trade_action", args=[trade.pk, "agree"]), {"buyer": f"permit:{bp.pk}", "unit_price": "1.20"})
    _post(seller, reverse("trading:trade_action", args=[trade.pk, "sign"]), {"confirm": "on"})
    assert 'data-action="sign"' in buyer.get(detail).content.decode()
    _post(buyer, reverse("trading:trade_action", args=[trade.pk, "sign"]), {"confirm": "on"})
    _post(buyer, reverse("trading:trade_action", args=[trade.pk, "pay"]), {"reference": "BANK-1"})
    _post(admin, reverse("trading:trade_action", args=[trade.pk, "settle"]), {})
    # T7: over one year the approval number is required
    resp = officer.post(reverse("trading:trade_action", args=[trade.pk, "register"]), {"approval_number": ""})
    assert resp.status_code == 400 and "批准文号" in resp.content.decode()
    _post(officer, reverse("trading:trade_action", args=[trade.pk, "register"]), {"approval_number": "内水许变〔2026〕5号"})
    trade.refresh_from_db()
    assert trade.status == TradeStatus.REGISTERED
    html = buyer.get(detail).content.decode()
    assert "交易鉴证书" in html and "内水许变〔2026〕5号" in html
    pdf = buyer.get(reverse("trading:certificate_pdf", args=[trade.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert seller.get(reverse("trading:agreement_pdf", args=[trade.pk])).content.startswith(b"%PDF")
    assert officer.get(reverse("trading:impact_trade", args=[trade.pk])).status_code == 200
    # A party of another county cannot see it
    assert page(users["tanghe_officer"]).get(detail).status_code == 200  # buyer's county sees it
    assert page(users["officer_411321"]).get(detail).status_code == 404


def test_refusal_is_shown_on_the_form_with_its_rule(users, rights, page):
    seller = page(users["permit_holder"])
    sp = permit_of("permit_holder")
    resp = seller.post(reverse("trading:apply", args=["permit"]), {
        "seller_right": rights["permits"][sp.pk].pk, "buyer": f"permit:{permit_of('buyer_holder').pk}", "mode": "negotiated",
        "volume_m3": 500000, "start_year": 2026, "end_year": 2026})
    assert resp.status_code == 422
    assert "T4:" in resp.content.decode()


def test_pages_render_for_each_role(users, rights, page):
    urls = ["trading:home", "trading:trade_list", "trading:apply_choose", "trading:impact", "trading:savings_list", "trading:orderbook",
            "trading:restriction_list", "trading:config_index", "trading:market", "trading:rules"]
    for username in ("city_admin", "neixiang_officer", "permit_holder", "buyer_holder", "association_rep", "damogang_manager",
                     "finance_officer", "auditor", "snwd_unit", "bank_officer"):
        client = page(users[username])
        for name in urls:
            assert client.get(reverse(name)).status_code == 200, (username, name)
    admin = page(users["city_admin"])
    for slug in ("eliminated-industries", "sector-quotas", "pollutant-intensities", "legal-prohibitions", "outflow-caps"):
        assert admin.get(reverse("trading:config_list", args=[slug])).status_code == 200
        assert admin.get(reverse("trading:config_new", args=[slug])).status_code == 200
    assert admin.get(reverse("trading:reserve_list")).status_code == 200
    assert admin.get(reverse("trading:locks")).status_code == 200
    assert admin.get(reverse("trading:trade_list") + "?export=xlsx").status_code == 200
    # Workbench shows the trading panel
    assert "用水权交易" in admin.get("/workbench/").content.decode()


def test_config_lists_are_editable_by_the_city_only_and_audited(users, page):
    from shuiquan.core.models import AuditEvent
    from shuiquan.registry.models import Sector
    from shuiquan.trading.models import SectorQuota

    sector = Sector.objects.get(code="27")
    data = {"sector": sector.pk, "product": "原料药", "unit": "吨产品", "quota_m3_per_unit": "35", "standard": "DB41/T 385（示例）"}
    resp = page(users["neixiang_officer"]).post(reverse("trading:config_new", args=["sector-quotas"]), data)
    assert resp.status_code == 403 and not SectorQuota.objects.exists()
    _post(page(users["city_admin"]), reverse("trading:config_new", args=["sector-quotas"]), data)
    quota = SectorQuota.objects.get()
    assert AuditEvent.objects.filter(object_type="trading.sectorquota", object_id=str(quota.pk), action="create").exists()


def test_public_pages_need_no_login_and_hide_household_identities(users, rights, page, clock_at):
    assoc = fresh_associations("打磨岗灌区")[0]
    rep = rep_of(assoc)
    hh = assoc.households.order_by("code").first()
    trade = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=rights["households"][hh.pk], volume_m3=200, start_year=2026,
                                 end_year=2026, mode="listing")
    listing = services.publish_listing(actor=rep, trade=trade, listed_price="0.30")
    anon = page(None)
    html = anon.get(reverse("trading:public_listings")).content.decode()
    assert listing.number in html and hh.name not in html and hh.code not in html
    html = anon.get(reverse("trading:public_listing", args=[listing.number])).content.decode()
    assert "挂牌公告" in html and hh.name not in html and hh.id_number not in html
    assert anon.get(reverse("trading:public_stats")).status_code == 200
    assert anon.get(reverse("trading:public_deals")).status_code == 200
    assert anon.get(reverse("trading:home")).status_code == 302  # the market hall needs a login


def test_workbench_todos_per_role(users, rights, page):
    sp = permit_of("permit_holder")
    saving = services.submit_savings(actor=users["permit_holder"], permit=sp, source_kind="works", description="x", claimed_m3=100000,
                                     first_year=2026, last_year=2026, evidence="y")
    trade = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][sp.pk], volume_m3=100000,
                                 start_year=2026, end_year=2026, savings=saving, buyer=f"permit:{permit_of('buyer_holder').pk}")
    html = page(users["neixiang_officer"]).get("/workbench/").content.decode()
    assert f"{trade.number} 取水权交易待核定" in html and "剩余 20 个工作日" in html
    assert trade.number not in page(users["tanghe_officer"]).get("/workbench/").content.decode()


def test_savings_evidence_file_is_checked_kept_and_downloadable(users, rights, page, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = page(users["permit_holder"])
    sp = permit_of("permit_holder")
    data = {"permit": sp.pk, "source_kind": "works", "description": "管网改造", "claimed_m3": 1000, "first_year": 2026, "last_year": 2026,
            "evidence": "验收报告"}
    bad = client.post(reverse("trading:savings_new"), {**data, "evidence_file": SimpleUploadedFile("x.pdf", b"not a pdf")})
    assert bad.status_code == 400 and "文件类型不符" in bad.content.decode()
    _post(client, reverse("trading:savings_new"), {**data, "evidence_file": SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4 test")})
    s = sp.savings.order_by("-pk").first()
    html = client.get(s.get_absolute_url()).content.decode()
    assert "验收报告.pdf" in html
    from shuiquan.core.models import Attachment

    att = Attachment.objects.get(object_id=str(s.pk), name="验收报告.pdf")
    resp = client.get(reverse("trading:savings_file", args=[s.pk, att.pk]))
    assert resp.status_code == 200 and b"".join(resp.streaming_content) == b"%PDF-1.4 test"
    assert page(users["tanghe_officer"]).get(reverse("trading:savings_file", args=[s.pk, att.pk])).status_code == 404


def test_english_switch(users, rights, page):
    client = page(users["city_admin"])
    client.cookies["django_language"] = "en"
    html = client.get(reverse("trading:home")).content.decode()
    assert "Water-rights trading" in html and "Market hall" in html and "Listed now" in html
    html = page(None).get(reverse("trading:public_stats"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Deals by type and year" in html and "Rolling median" in html


def test_auction_orderbook_impact_and_savings_pages_render(users, rights, page, clock_at):
    from shuiquan.registry.models import WithdrawalPermit
    from shuiquan.trading import orderbook

    from .builders import holder_of

    sp = permit_of("permit_holder")
    saving = services.submit_savings(actor=users["permit_holder"], permit=sp, source_kind="contract", description="合同节水", claimed_m3=200000,
                                     first_year=2026, last_year=2026, evidence="合同", contractor_name="某节水公司", host_unit="本单位",
                                     contractor_share_pct="30", host_share_pct="70")
    officer = page(users["neixiang_officer"])
    html = officer.get(reverse("trading:savings_detail", args=[saving.pk])).content.decode()
    assert "提交核定结论" in html and "某节水公司" in html
    trade = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][sp.pk], volume_m3=200000,
                                 start_year=2026, end_year=2026, mode="listing", savings=saving)
    for action in ("verify", "reject"):
        assert officer.get(reverse("trading:trade_action", args=[trade.pk, action])).status_code == 200
    services.verify_trade(actor=users["neixiang_officer"], trade=trade, works_manager_opinion="同意")
    seller = page(users["permit_holder"])
    assert seller.get(reverse("trading:trade_action", args=[trade.pk, "publish"])).status_code == 200
    listing = services.publish_listing(actor=users["permit_holder"], trade=trade, listed_price="1.00")
    buyer = page(users["buyer_holder"])
    assert buyer.get(reverse("trading:register_intent", args=[trade.pk])).status_code == 200
    bp = permit_of("buyer_holder")
    other = WithdrawalPermit.objects.get(holder__name="唐河嘉禾能源有限公司")
    other_user = holder_of(other)
    _post(buyer, reverse("trading:register_intent", args=[trade.pk]), {"buyer": f"permit:{bp.pk}", "deposit_reference": "D-1"})
    services.register_intent(actor=other_user, listing=listing, buyer=f"permit:{other.pk}", deposit_reference="D-2")
    clock_at.advance(days=10)
    services.close_notice(actor=None, trade=trade)
    assert 'data-action="bid"' in buyer.get(reverse("trading:trade_detail", args=[trade.pk])).content.decode()
    _post(buyer, reverse("trading:auction", args=[trade.pk]), {"buyer": f"permit:{bp.pk}", "unit_price": "1.00"})
    resp = buyer.post(reverse("trading:auction", args=[trade.pk]), {"buyer": f"permit:{bp.pk}", "unit_price": "1.50"})
    assert resp.status_code == 409 and "最高报价" in resp.content.decode()  # already leading
    assert "当前最高价" in buyer.get(reverse("trading:auction", args=[trade.pk]), HTTP_HX_REQUEST="true").content.decode()
    html = officer.get(reverse("trading:impact"), {"trade_type": "permit", "seller_right": rights["permits"][sp.pk].pk, "volume_m3": 1000,
                                                  "start_year": 2026, "end_year": 2027, "buyer": f"permit:{bp.pk}"}).content.decode()
    assert "规则检查" in html and "T4" in html
    # order book session page
    admin = page(users["city_admin"])
    session = orderbook.open_session(actor=users["city_admin"], opening_minutes=0)
    assoc = fresh_associations("打磨岗灌区")[0]
    pool(assoc, session.lot_m3)  # one lot pooled from its households (归集) to offer
    rep = page(rep_of(assoc))
    _post(rep, reverse("trading:orderbook_session", args=[session.pk]), {"side": "ask", "party": f"association:{assoc.pk}", "lots": 1,
                                                                         "limit_price": "0.30"})
    html = rep.get(reverse("trading:orderbook_session", args=[session.pk])).content.decode()
    assert "我的委托" in html and "0.3000" in html
    assert admin.get(reverse("trading:orderbook_session", args=[session.pk])).status_code == 200
    order = session.orders.get()
    _post(rep, reverse("trading:order_cancel", args=[order.pk]), {})
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_S4_area_lists_are_edited_by_the_city_and_audited(users, page):
    from shuiquan.core.models import AuditEvent
    from shuiquan.registry.models import WaterSource

    source = WaterSource.objects.get(name="内乡县浅层地下水")
    officer = page(users["neixiang_officer"])
    officer.post(reverse("trading:config_sources"), {"source": source.pk, "is_overdraft_area": "on"})
    source.refresh_from_db()
    assert not source.is_overdraft_area
    admin = page(users["city_admin"])
    assert admin.get(reverse("trading:config_sources")).status_code == 200
    admin.post(reverse("trading:config_sources"), {"source": source.pk, "is_overdraft_area": "on"})
    source.refresh_from_db()
    assert source.is_overdraft_area
    assert AuditEvent.objects.filter(object_type="registry.watersource", object_id=str(source.pk), action="update").exists()
    river = WaterSource.objects.filter(kind="river").first()
    admin.post(reverse("trading:config_sources"), {"source": river.pk, "is_overdraft_area": "on"})  # only groundwater can be
    river.refresh_from_db()
    assert not river.is_overdraft_area
