"""Browser walkthrough of the supervisors' pages (headless Chromium, live server): the city bureau
reads the dual-control assessment with its map and charts and a county's detail; the finance
bureau reads the trade funds. Screenshots for the user guide."""

import pytest

from shuiquan.conftest import login, screenshot
from shuiquan.registry.models import Region

pytestmark = pytest.mark.browser


def test_city_bureau_reads_the_assessment_and_the_finance_bureau_the_funds(browser):
    pg = browser
    login(pg, "city_admin")
    pg.goto_path("/supervision/?year=2021")
    pg.wait_for_selector("#assessment-table")
    pg.wait_for_function("document.getElementById('city-chart').dataset.rendered === '1'")
    row = pg.locator("#assessment-table tr[data-region='411381']")
    assert "邓州市" in row.inner_text() and row.locator("[data-status='red']").count() >= 1
    screenshot(pg, "supervision-assessment")
    dengzhou = Region.objects.get(code="411381")
    pg.goto_path(f"/supervision/assessment/{dengzhou.pk}/?year=2021")
    pg.wait_for_selector("#measures")
    assert "701,000,000" in pg.inner_text("#measured")
    screenshot(pg, "supervision-assessment-detail")
    pg.context.clear_cookies()
    login(pg, "finance_officer")
    pg.goto_path("/finance/")
    pg.wait_for_selector("#fund-totals")
    screenshot(pg, "finance-funds")
    pg.goto_path("/finance/funds/accounts/")
    assert pg.inner_text("#accounts-total").strip() == "0.00"
