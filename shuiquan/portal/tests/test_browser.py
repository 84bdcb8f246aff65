"""Browser test (headless Chromium on the live server): an anonymous visitor opens the public
portal, sees a deal notice (成交公示) and opens it, then verifies a certificate by its number and
check code — without logging in. Screenshots portal-home, portal-deal-notice, portal-verify."""

import pytest

from shuiquan.allocation.models import Certificate
from shuiquan.conftest import screenshot
from shuiquan.trading import market

pytestmark = pytest.mark.browser


def test_anonymous_visitor_sees_a_deal_notice_and_verifies_a_certificate(browser):
    pg = browser
    deal = market.completed_trades().first()
    assert deal is not None, "the demo data has completed trades"
    cert = Certificate.objects.filter(status="valid", kind="association").order_by("pk").first() or Certificate.objects.filter(
        status="valid").order_by("pk").first()

    # 1. The portal's home page: key figures and the latest deal notices, no login.
    pg.goto_path("/public/")
    pg.wait_for_selector("#key-figures")
    assert "南阳市用水权信息公开" in pg.inner_text("h1")
    assert pg.locator("a[href='/accounts/login/']").count() >= 1  # not signed in
    assert deal.number in pg.inner_text("#latest-deals")
    screenshot(pg, "portal-home")

    # 2. The visitor opens the deal notice.
    pg.click(f"#latest-deals a:has-text('{deal.number}')")
    pg.wait_for_url(f"**/trading/public/deals/{deal.number}/")
    body = pg.inner_text("main")
    assert "成交公示" in body and deal.number in body
    assert f"{deal.volume_m3:,}" in body
    screenshot(pg, "portal-deal-notice")

    # 3. Back on the portal, the visitor verifies a certificate by number and check code.
    pg.goto_path("/public/")
    pg.click("nav.portal-tabs a:has-text('凭证核验')")
    pg.wait_for_selector("#verify-form")
    pg.fill("#id_number", cert.number)
    pg.fill("#id_code", cert.check_code)
    pg.click("#verify-form button[type=submit]")
    pg.wait_for_selector("#verify-result")
    assert "凭证有效" in pg.inner_text("#verify-result")
    assert pg.inner_text("#verify-number") == cert.number
    assert cert.holder_public in pg.inner_text("#verify-holder")
    screenshot(pg, "portal-verify")

    # 4. A wrong check code is refused.
    pg.goto_path("/public/verify/")
    pg.fill("#id_number", cert.number)
    pg.fill("#id_code", "00000000")
    pg.click("#verify-form button[type=submit]")
    pg.wait_for_selector("#verify-result")
    assert "未找到" in pg.inner_text("#verify-result")
