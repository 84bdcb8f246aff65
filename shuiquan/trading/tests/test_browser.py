"""A whole withdrawal-permit trade across the roles in headless Chromium, on the real pages:
permit_holder declares the saving and applies → neixiang_officer verifies → permit_holder records
the agreement and signs → buyer_holder signs and pays → city_admin settles → neixiang_officer
registers (T7 permit change) → the buyer downloads the trade certificate. Screenshots go to the
user guide (docs/guide/img/trade-*.png)."""

from __future__ import annotations

import pytest

from shuiquan.conftest import login, screenshot

pytestmark = pytest.mark.browser


def _go_to_trade(pg, number):
    pg.goto(pg.base + "/trading/trades/")
    pg.click(f"text={number}")
    pg.wait_for_selector("#timeline")


def test_whole_permit_trade_across_roles(browser, clock_at):
    from shuiquan.core.models import User
    from shuiquan.ledger import services as ledger
    from shuiquan.trading.choices import TradeStatus
    from shuiquan.trading.models import Trade
    from shuiquan.trading.tests.builders import build_rights, permit_of

    pg = browser
    rights = build_rights(User.objects.get(username="city_admin"))
    sp, bp = permit_of("permit_holder"), permit_of("buyer_holder")
    seller_right = rights["permits"][sp.pk]
    buyer_2028 = ledger.balance(rights["permits"][bp.pk], 2028)  # allocation's volume and the demo's earlier trade
    buyer_volume = bp.annual_volume_m3

    # 1. The permit holder declares its saved volume and applies
    login(pg, "permit_holder")
    pg.goto(pg.base + "/trading/savings/new/")
    pg.select_option("#id_permit", str(sp.pk))
    pg.select_option("#id_source_kind", "works")
    pg.fill("#id_description", "循环冷却水系统改造，年节水50万立方米")
    pg.fill("#id_claimed_m3", "500000")
    pg.fill("#id_first_year", "2026")
    pg.fill("#id_last_year", "2028")
    pg.fill("#id_evidence", "改造前后三年在线计量数据；竣工验收报告")
    screenshot(pg, "trade-savings")
    pg.click("button[type=submit]")
    pg.wait_for_selector("text=待核定")
    pg.goto(pg.base + "/trading/apply/permit/")
    pg.select_option("#id_seller_right", str(seller_right.pk))
    pg.select_option("#id_buyer", f"permit:{bp.pk}")
    pg.select_option("#id_mode", "negotiated")
    pg.fill("#id_volume_m3", "500000")
    pg.fill("#id_start_year", "2026")
    pg.fill("#id_end_year", "2028")
    pg.select_option("#id_savings", index=1)
    pg.select_option("#id_basis", "saving")
    pg.fill("#id_note", "转让节水改造节约的水量")
    screenshot(pg, "trade-apply")
    pg.click("#apply-form button[type=submit]")
    pg.wait_for_selector("#timeline")
    trade = Trade.objects.filter(seller_permit=sp).order_by("-pk").first()
    assert trade.status == TradeStatus.APPLIED
    assert "剩余 20 个工作日" in pg.inner_text("#countdown")

    # 2. The original approving authority verifies (countdown shown on its workbench)
    login(pg, "neixiang_officer")
    assert trade.number in pg.inner_text("main")
    _go_to_trade(pg, trade.number)
    pg.click("a[data-action=verify]")
    pg.fill("#id_works_manager_opinion", "唐河地表水管理单位：节水措施属实，同意转让")
    pg.fill("#id_note", "经现场核查，节约水量50万立方米/年属实")
    screenshot(pg, "trade-verify")
    pg.click("#submit-action")
    pg.wait_for_selector("text=已完成")

    # 3. The seller records the agreement and signs
    login(pg, "permit_holder")
    _go_to_trade(pg, trade.number)
    pg.click("a[data-action=agree]")
    pg.fill("#id_unit_price", "1.20")
    screenshot(pg, "trade-agree")
    pg.click("#submit-action")
    pg.wait_for_selector("text=已完成")
    pg.click("a[data-action=sign]")
    pg.check("#id_confirm")
    screenshot(pg, "trade-sign")
    pg.click("#submit-action")
    pg.wait_for_selector("text=已完成")

    # 4. The buyer signs and pays
    login(pg, "buyer_holder")
    _go_to_trade(pg, trade.number)
    pg.click("a[data-action=sign]")
    pg.check("#id_confirm")
    pg.click("#submit-action")
    pg.wait_for_selector("text=已完成")
    pg.click("a[data-action=pay]")
    pg.fill("#id_reference", "中国银行南阳分行 2026030200017")
    screenshot(pg, "trade-pay")
    pg.click("#submit-action")
    pg.wait_for_selector("text=已完成")

    # 5. The city bureau settles (fees, proceeds, certificate)
    login(pg, "city_admin")
    _go_to_trade(pg, trade.number)
    pg.click("a[data-action=settle]")
    pg.click("#submit-action")
    pg.wait_for_selector("text=已完成")
    screenshot(pg, "trade-settle")

    # 6. The approving authority registers: three years posted, both permits changed (T7)
    login(pg, "neixiang_officer")
    _go_to_trade(pg, trade.number)
    pg.click("a[data-action=register]")
    pg.fill("#id_approval_number", "内水许变〔2026〕1号")
    screenshot(pg, "trade-register")
    pg.click("#submit-action")
    pg.wait_for_selector("#permit-change")
    trade.refresh_from_db()
    assert trade.status == TradeStatus.REGISTERED
    assert ledger.balance(trade.buyer_right, 2028) == buyer_2028 + 500_000
    bp.refresh_from_db()
    assert bp.annual_volume_m3 == buyer_volume + 500_000  # T7: the buyer's permit changed

    # 7. The buyer downloads the trade certificate
    login(pg, "buyer_holder")
    _go_to_trade(pg, trade.number)
    screenshot(pg, "trade-timeline")
    with pg.expect_download() as info:
        pg.click("#certificate-link")
    download = info.value
    path = download.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert download.suggested_filename == f"certificate-{trade.certificate_number}.pdf"
    screenshot(pg, "trade-certificate")


def test_association_pools_household_volume_and_sells_it(browser, clock_at):
    """归集 on the real pages: an association's representative pools volume from its households
    (pro rata to their rights) and applies to sell it to a neighbouring association (T9)."""
    from shuiquan.core.demo import DEMO_PASSWORD
    from shuiquan.ledger import services as ledger
    from shuiquan.trading import services
    from shuiquan.trading.choices import TradeStatus
    from shuiquan.trading.models import Pooling, Trade
    from shuiquan.trading.tests.builders import fresh_associations, rep_of

    pg = browser
    seller, buyer = fresh_associations("打磨岗灌区")[:2]
    rep = rep_of(seller, "rep_browser")
    rep.set_password(DEMO_PASSWORD)
    rep.save()
    right = services.association_right_for(seller, [2026])

    login(pg, "rep_browser")
    pg.goto(pg.base + "/trading/poolings/new/")
    assert seller.name in pg.inner_text("main")
    pg.fill("#id_volume_m3", "1000")
    pg.fill("#id_first_year", "2026")
    pg.fill("#id_reason", "协会统一转让节余水量，用水户按水权比例归集")
    screenshot(pg, "trade-pooling")
    pg.click("#pooling-form button[type=submit]")
    pg.wait_for_selector("#shares")
    pooling = Pooling.objects.get(association=seller)
    assert sum(pooling.shares.values_list("volume_m3", flat=True)) == 1000 and ledger.available(right, 2026) == 1000
    screenshot(pg, "trade-pooling-shares")

    pg.goto(pg.base + "/trading/apply/irrigation/")
    pg.select_option("#id_seller_right", str(right.pk))
    pg.select_option("#id_buyer", f"association:{buyer.pk}")
    pg.select_option("#id_mode", "negotiated")
    pg.fill("#id_volume_m3", "800")
    pg.fill("#id_start_year", "2026")
    pg.fill("#id_end_year", "2026")
    pg.click("#apply-form button[type=submit]")
    pg.wait_for_selector("#timeline")
    trade = Trade.objects.filter(seller_right=right).get()
    assert trade.status == TradeStatus.READY and trade.volume_m3 == 800  # one year: no approval needed (T9)
