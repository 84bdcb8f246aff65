"""Browser tests (headless Chromium): the device page's chart renders; an upload is previewed with
its per-row report, a progress bar, then imported; the region map renders."""

import pytest

from shuiquan.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_device_page_renders_the_use_curve(browser):
    from shuiquan.registry.models import MeteringDevice

    device = MeteringDevice.objects.filter(is_demo=True, is_online=True, readings__isnull=False).order_by("serial").first()
    login(browser, "city_admin")
    browser.goto_path(f"/metering/devices/{device.pk}/?year=2026")
    browser.wait_for_selector("#device-chart[data-rendered='1'] canvas")
    assert browser.locator("#months tbody tr").count() >= 10
    assert browser.locator("#readings tbody tr").count() == 50
    screenshot(browser, "metering-device")


def test_upload_preview_then_import(browser, tmp_path, settings):
    from django.db import connection

    from shuiquan.metering.models import Reading

    if connection.vendor == "sqlite":
        # The test database is SQLite's in-memory shared cache, whose table locks fail (rather than
        # wait) when a background thread writes while the live server reads; run the upload in the
        # request instead. On a file database (WAL) or PostgreSQL the background thread is used.
        settings.METERING_INLINE_JOBS = True
    from shuiquan.registry.models import MeteringDevice

    device = MeteringDevice.objects.filter(region__code="411325", is_demo=True).order_by("serial").first()
    lines = ["设备编号,观测时间,累计水量（立方米）,瞬时流量（立方米/秒）,质量"]
    # between the demo's daily 00:00 readings, so none of these is a duplicate
    lines += [f"{device.serial},2026-11-2{d} {h:02d}:30,{5000 + d * 100 + h},0.01,正常" for d in range(0, 3) for h in range(1, 11)]
    lines += [f"{device.serial},2026-11-25 08:30,-1,,正常", "NOPE-1,2026-11-25 08:30,1,,正常", f"{device.serial},not a time,1,,正常"]
    path = tmp_path / "读数.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    before = Reading.objects.filter(device=device).count()

    login(browser, "neixiang_officer")
    browser.goto_path("/metering/upload/")
    browser.set_input_files("#id_file", str(path))
    browser.click("#upload-form button[type=submit]")
    browser.wait_for_selector("#confirm-import", timeout=30000)
    assert browser.inner_text("#count-accepted") == "30"
    assert browser.inner_text("#count-rejected") == "3"
    assert browser.locator("#issues tbody tr").count() == 3
    assert Reading.objects.filter(device=device).count() == before  # the preview stored nothing
    screenshot(browser, "metering-upload")
    browser.click("#confirm-import")
    browser.wait_for_selector("#batch-summary td[data-status='done']", timeout=30000)
    assert browser.inner_text("#count-accepted") == "30"
    assert Reading.objects.filter(device=device).count() == before + 30


def test_region_map_and_permit_page(browser):
    login(browser, "city_admin")
    browser.goto_path("/metering/?year=2026&basis=permit")
    browser.wait_for_selector("#region-map[data-rendered='1'] canvas")
    screenshot(browser, "metering-map")
    browser.goto_path("/metering/permits/?year=2026&level=alarm")
    rows = browser.locator("#permit-use tbody tr[data-permit]")
    assert rows.count() >= 2  # the demo's over-users
    rows.first.locator("a").first.click()
    browser.wait_for_selector("#permit-chart[data-rendered='1'] canvas")
    screenshot(browser, "metering-permit")
