"""Browser walkthroughs for the user guide (docs/guide/, one page per role), in headless Chromium on
the live server with the small demo data: each test logs in as one role, walks the steps its guide
page describes, checks the figures the page shows against the database and saves the screenshots
the guide uses (docs/guide/img/guide-*.png). Roles whose steps other browser tests already walk
(the permit trade, allocation, metering, supervision, portal) reuse those tests' screenshots.
``shuiquan/core/tests/test_guide.py`` checks that every image the guide shows is written here or
there."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from shuiquan.conftest import login, screenshot
from shuiquan.core.models import AuditEvent, User
from shuiquan.registry import models as reg

pytestmark = pytest.mark.browser


def relogin(pg, username):
    pg.context.clear_cookies()
    login(pg, username)


def panel_count(pg, label: str) -> str:
    """The count shown beside a workbench panel item."""
    return pg.locator(f".panel li:has-text('{label}') .count").first.inner_text().strip()


def test_login_and_city_bureau_workbench(browser):
    pg = browser
    city = User.objects.get(username="city_admin")
    pg.goto_path("/accounts/login/")
    pg.fill("#id_username", "city_admin")
    screenshot(pg, "guide-login")
    login(pg, "city_admin")
    assert "市水利局" in pg.inner_text("h1")
    active = reg.WithdrawalPermit.objects.restrict(city).filter(status__in=["new", "changed", "renewed"]).count()
    assert panel_count(pg, "有效取水许可证") == str(active)
    assert panel_count(pg, "取用水户") == str(reg.WaterUser.objects.count())
    assert "2021年双控考核超标/未达标" in pg.inner_text("main")
    screenshot(pg, "guide-city-workbench")


def test_county_officer_workbench_and_own_trades(browser):
    from shuiquan.trading.models import Trade

    pg = browser
    officer = User.objects.get(username="neixiang_officer")
    login(pg, "neixiang_officer")
    main = pg.inner_text("main")
    assert "县级水利局 · 内乡县" in pg.inner_text("h1") and "内乡县台账" in main
    permits = reg.WithdrawalPermit.objects.filter(region__code="411325", status__in=["new", "changed", "renewed"])
    assert panel_count(pg, "有效取水许可证") == str(permits.count())
    assert panel_count(pg, "灌溉用水户") == str(reg.Household.objects.filter(association__region__code="411325").count())
    screenshot(pg, "guide-county-workbench")

    # The trade list holds its county's trades only.
    pg.goto_path("/trading/trades/")
    table = pg.inner_text("table.data")
    own = Trade.objects.restrict(officer)
    assert own.exists()
    for t in own:
        assert t.number in table
    for t in Trade.objects.exclude(pk__in=own.values("pk")):
        assert t.number not in table
    screenshot(pg, "guide-county-trades")


def test_district_unit_workbench_lists_its_associations(browser):
    pg = browser
    login(pg, "damogang_manager")
    main = pg.inner_text("main")
    district = reg.IrrigationDistrict.objects.get(name="打磨岗灌区")
    associations = list(district.associations.all())
    assert associations
    for a in associations:
        assert f"{a.name}：有效灌溉面积 {a.effective_area_mu} 亩，{a.households.count()} 户" in main
    screenshot(pg, "guide-district-workbench")


def test_association_rep_households_rights_and_pooling(browser):
    from shuiquan.ledger.models import WaterRight
    from shuiquan.trading.models import Pooling

    pg = browser
    rep = User.objects.get(username="association_rep")
    association = rep.association
    login(pg, "association_rep")
    assert association.name in pg.inner_text("h1")

    pg.goto_path("/registry/households/")
    table = pg.inner_text("table.data")
    households = list(association.households.all())
    assert f"共 {len(households)} 条" in pg.inner_text("main")
    for h in households:
        assert h.code in table
    screenshot(pg, "guide-association-households")

    pg.goto_path("/ledger/rights/")
    table = pg.inner_text("table.data")
    right = WaterRight.objects.get(association=association, kind="irrigation")
    assert right.number in table and str(right.annual_volume_m3) in table
    for h in households:
        assert WaterRight.objects.get(household=h, kind="household").number in table
    screenshot(pg, "guide-association-rights")

    pg.goto_path("/trading/poolings/")
    table = pg.inner_text("main")
    poolings = Pooling.objects.filter(association=association)
    assert poolings.exists()
    for p in poolings:
        assert p.number in table
    screenshot(pg, "guide-association-poolings")


def test_permit_holder_sees_its_right_and_its_use(browser):
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.models import WaterRight

    pg = browser
    holder = User.objects.get(username="permit_holder")
    permit = reg.WithdrawalPermit.objects.get(holder=holder.water_user)
    right = WaterRight.objects.get(water_user=holder.water_user, kind="withdrawal", status="active")
    login(pg, "permit_holder")
    assert permit.number in pg.inner_text("main")
    screenshot(pg, "guide-holder-workbench")

    pg.goto_path("/ledger/rights/")
    assert "共 1 条" in pg.inner_text("main")
    pg.click(f"table.data a:has-text('{right.number}')")
    pg.wait_for_selector("#balances")
    row = pg.inner_text("#year-2026")
    assert f"{ledger.balance(right, 2026):,}" in row and f"{ledger.available(right, 2026):,}" in row
    screenshot(pg, "guide-holder-right")

    pg.goto_path("/metering/permits/?year=2026")
    rows = pg.locator("#permit-use tbody tr[data-permit]")
    assert rows.count() == 1 and permit.number in rows.first.inner_text()
    screenshot(pg, "guide-holder-use")


def _pledge_action(pg, action: str):
    return pg.locator(f"form:has(input[name=action][value={action}])")


def test_pledge_applied_confirmed_by_the_bank_registered_and_released(browser):
    """§7.2.5, F4: the holder applies, the bank confirms, the county bureau registers (the volume is
    locked in the ledger), the bank releases it."""
    from shuiquan.finance.models import Bank, Pledge
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.models import WaterRight

    pg = browser
    holder = User.objects.get(username="permit_holder")
    right = WaterRight.objects.get(water_user=holder.water_user, kind="withdrawal", status="active")
    bank = Bank.objects.get(staff__username="bank_officer")
    before = ledger.available(right, 2027)

    # 1. The permit holder applies.
    login(pg, "permit_holder")
    pg.goto_path("/finance/pledges/new/")
    pg.select_option("#id_right", str(right.pk))
    pg.select_option("#id_bank", str(bank.pk))
    pg.select_option("#id_kind", "volume_pledge")
    pg.fill("#id_first_year", "2027")
    pg.fill("#id_last_year", "2027")
    pg.fill("#id_volume_m3", "100000")
    pg.fill("#id_secured_amount", "500000")
    pg.fill("#id_loan_contract_no", "NYYH-2026-JK-0815")
    pg.fill("#id_purpose", "节水改造流动资金贷款")
    screenshot(pg, "guide-holder-pledge-apply")
    pg.click("main form button[type=submit]")
    pg.wait_for_selector("#pledge-status")
    assert pg.inner_text("#pledge-status") == "已申请"
    pledge = Pledge.objects.get(loan_contract_no="NYYH-2026-JK-0815")

    # 2. The bank sees it on its workbench and confirms it with its own reference.
    relogin(pg, "bank_officer")
    assert panel_count(pg, "登记中的质押") == str(Pledge.objects.filter(bank=bank, status="registered").count())
    pg.goto_path("/finance/pledges/")
    assert pg.locator(f"table.data a[href='{pledge.get_absolute_url()}']").count() == 1
    screenshot(pg, "guide-bank-pledges")
    pg.goto_path(pledge.get_absolute_url())
    assert _pledge_action(pg, "register").count() == 0  # the bank does not register
    _pledge_action(pg, "confirm").locator("input[name$=bank_reference]").fill("ZY-2026-0815")
    screenshot(pg, "guide-bank-pledge-confirm")
    _pledge_action(pg, "confirm").locator("button[type=submit]").click()
    pg.wait_for_function("document.getElementById('pledge-status').innerText === '金融机构已确认'")

    # 3. The county bureau of the right's region registers: the volume is locked for 2027.
    relogin(pg, "neixiang_officer")
    pg.goto_path(pledge.get_absolute_url())
    _pledge_action(pg, "register").locator("button[type=submit]").click()
    pg.wait_for_function("document.getElementById('pledge-status').innerText === '已登记（水量冻结）'")
    assert ledger.available(right, 2027) == before - 100_000
    pledge.refresh_from_db()
    assert pledge.number and pledge.number in pg.inner_text("h1")

    # 4. The bank sees the lock and releases the pledge when the loan is repaid.
    relogin(pg, "bank_officer")
    pg.goto_path(pledge.get_absolute_url())
    locks = pg.locator("section.card:has(h2:has-text('登记簿冻结')) table").inner_text()
    assert "2027" in locks and "100,000" in locks
    screenshot(pg, "guide-bank-pledge-registered")
    _pledge_action(pg, "release").locator("textarea").fill("借款已结清")
    _pledge_action(pg, "release").locator("button[type=submit]").click()
    pg.wait_for_function("document.getElementById('pledge-status').innerText === '已解除'")
    assert ledger.available(right, 2027) == before


def test_finance_bureau_reconciles_and_exports_the_report(browser):
    from shuiquan.finance import funds

    pg = browser
    login(pg, "finance_officer")
    pg.goto_path("/finance/funds/reconcile/")
    rows = pg.inner_text("#exceptions")
    exceptions = funds.reconcile_all()
    for t, issues in exceptions:
        assert t.number in rows
    assert pg.locator("#exceptions tbody tr").count() == max(1, len(exceptions))
    screenshot(pg, "guide-finance-reconcile")

    pg.goto_path("/finance/")
    with pg.expect_download() as info:
        pg.click("#finance-report")
    wb = load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    assert wb.sheetnames[:2] == ["交易资金明细", "账户余额"]
    assert sorted(r[0] for r in wb["对账差异"].iter_rows(min_row=2, values_only=True)) == sorted(t.number for t, _ in exceptions)

    pg.goto_path("/pilot/budget/")
    assert "6,510,000.00" in pg.inner_text("main")
    screenshot(pg, "guide-finance-budget")


def test_auditor_reads_the_audit_log_and_verifies_the_chain(browser):
    pg = browser
    login(pg, "auditor")
    pg.goto_path("/audit/")
    first = pg.locator("table.audit tbody tr").first.locator("td").first.inner_text().strip()
    assert first == str(AuditEvent.objects.order_by("-id").first().pk)
    screenshot(pg, "guide-audit-log")
    pg.click("a:has-text('校验审计链')")
    pg.wait_for_url("**/audit/verify/")
    assert f"审计链完整：已校验 {AuditEvent.objects.count()} 条记录" in pg.inner_text("main")
    screenshot(pg, "guide-audit-verify")
    # Read only: no edit button on a permit, and the edit page refuses.
    permit = reg.WithdrawalPermit.objects.order_by("pk").first()
    pg.goto_path(permit.get_absolute_url())
    assert pg.locator("a.button:has-text('编辑')").count() == 0
    response = pg.goto_path(f"/registry/permits/{permit.pk}/edit/")
    assert response.status in (403, 404)


def test_snwd_unit_gives_its_opinion_on_an_snwd_trade(browser):
    """T2: a trade of SNWD water waits for the SNWD management unit's opinion."""
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.choices import RightKind
    from shuiquan.trading import services
    from shuiquan.trading.choices import TradeStatus
    from shuiquan.ledger.models import Reserve

    pg = browser
    tanghe = reg.Region.objects.get(code="411328")
    seller = ledger.right_for_region(tanghe, RightKind.SNWD)
    city_reserve = Reserve.objects.get(name="南阳市水权收储中心")
    trade = services.apply_trade(actor=User.objects.get(username="tanghe_officer"), trade_type="regional", seller_right=seller,
                                 volume_m3=2_000_000, start_year=2027, end_year=2027, buyer=f"reserve:{city_reserve.pk}",
                                 note="南水北调富余指标市级收储")
    assert trade.is_snwd and trade.status == TradeStatus.APPLIED

    login(pg, "snwd_unit")
    assert f"{trade.number}" in pg.inner_text("main") and "南水北调水权交易待征求意见" in pg.inner_text("main")
    screenshot(pg, "guide-snwd-workbench")
    pg.click(f"main a:has-text('{trade.number}')")
    pg.wait_for_selector("#timeline")
    pg.click("a[data-action=consult_snwd]")
    pg.fill("#id_opinion", "输水能力满足，同意收储，纳入2027年度调度计划")
    screenshot(pg, "guide-snwd-consult")
    pg.click("#submit-action")
    pg.wait_for_selector("text=已完成")
    trade.refresh_from_db()
    assert trade.status == TradeStatus.CONSULTED
    assert "已征求意见" in pg.inner_text("main")

    # Its trade list holds the SNWD trades only.
    from shuiquan.trading.models import Trade

    pg.goto_path("/trading/trades/")
    table = pg.inner_text("table.data")
    for t in Trade.objects.all():
        assert (t.number in table) == t.is_snwd, t.number
