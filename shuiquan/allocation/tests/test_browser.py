"""Browser walkthrough (headless Chromium on the live server): a county officer computes and submits
an association allocation for an 打磨岗 association, the city bureau approves and registers it, the
district unit issues the certificate, the certificate PDF downloads, and its QR page verifies
without login. Screenshots go to docs/guide/img/ for the user guide."""

import io

import pytest
from pypdf import PdfReader

from shuiquan.conftest import login, screenshot
from shuiquan.ledger.models import WaterRight
from shuiquan.registry import models as reg

pytestmark = pytest.mark.browser


def relogin(pg, username):
    pg.context.clear_cookies()
    login(pg, username)


def test_association_allocation_from_county_to_certificate(browser):
    pg = browser
    district = reg.IrrigationDistrict.objects.get(name="打磨岗灌区")
    taken = WaterRight.objects.filter(kind="irrigation").values("association_id")
    association = district.associations.exclude(pk__in=taken).get()

    # 1. The county bureau computes the association's right and submits it.
    login(pg, "neixiang_officer")
    pg.goto_path(f"/allocation/runs/new/irrigation/?district={district.pk}")
    pg.check(f"input[name=associations][value='{association.pk}']")
    pg.click("#compute-button")
    pg.wait_for_selector("#formula")
    assert "综合毛灌溉定额" in pg.inner_text("#formula")
    assert association.name in pg.inner_text("#lines-right")
    run_url = pg.url
    screenshot(pg, "allocation-compute")
    pg.click("#action-review")
    pg.wait_for_selector("text=已办理")
    assert pg.inner_text("#run-status") == "已审核"
    assert pg.locator("#action-approve").count() == 0  # the county cannot approve

    # 2. The city bureau approves and registers it in the ledger.
    relogin(pg, "city_admin")
    pg.goto(run_url)
    screenshot(pg, "allocation-approve")
    pg.fill("#reason-approve", "同意")
    pg.click("#action-approve")
    pg.wait_for_selector("#action-register")
    pg.click("#action-register")
    pg.wait_for_selector("#entries")
    assert pg.inner_text("#run-status") == "已登记"

    # 3. The district management unit issues (下达) the certificates; the PDF downloads.
    relogin(pg, "damogang_manager")
    pg.goto(run_url)
    pg.click("#action-issue")
    pg.wait_for_selector("#certificates")
    assert pg.inner_text("#run-status") == "已发证"
    pg.locator("#certificates").scroll_into_view_if_needed()
    screenshot(pg, "allocation-issue")
    right = WaterRight.objects.get(association=association, kind="irrigation")
    cert = right.certificates.get()
    with pg.expect_download() as info:
        pg.click(f"#cert-pdf-{cert.pk}")
    data = open(info.value.path(), "rb").read()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert association.name in text and f"{right.annual_volume_m3:,} 立方米" in text

    # 4. Anyone can verify it from the QR code, without logging in, and sees no personal data.
    pg.goto_path(f"/allocation/certificates/{cert.pk}/")
    verify_url = pg.get_attribute("#verify-link", "href")
    assert f"/allocation/verify/{cert.token}/" in verify_url
    pg.context.clear_cookies()
    pg.goto(verify_url)
    assert "凭证有效" in pg.inner_text("#verify-result")
    assert pg.inner_text("#verify-holder") == association.name
    assert f"{right.annual_volume_m3:,}" in pg.inner_text("#verify-volume")
    html = pg.content()
    for h in association.households.all():
        assert h.name not in html and h.id_number not in html
    screenshot(pg, "certificate-verify")


def test_overview_map_and_tables(browser):
    login(browser, "city_admin")
    browser.goto_path("/allocation/")
    browser.wait_for_selector("#map[data-rendered='1']")
    assert browser.inner_text("#regional-total") == "2,809,400,000"
    assert browser.inner_text("#snwd-total") == "49,140"
    screenshot(browser, "allocation-overview")
