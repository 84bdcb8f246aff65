"""Browser tests (headless Chromium on the live server): a county officer edits a permit, sees the
change in its audit trail and is refused another county's permit; the county map renders; an XLSX
import is previewed and confirmed; the English switch works. Screenshots go to docs/guide/img/."""

from __future__ import annotations

import io
import random

import pytest
from openpyxl import Workbook

from shuiquan.conftest import login, screenshot
from shuiquan.registry import models as m
from shuiquan.registry.demo import credit_code

pytestmark = pytest.mark.browser


def test_county_officer_edits_a_permit_sees_the_audit_trail_and_is_refused_another_county(browser):
    permit = m.WithdrawalPermit.objects.filter(region__code="411325").order_by("pk").first()
    other = m.WithdrawalPermit.objects.filter(region__code="411328").order_by("pk").first()
    new_max = permit.max_daily_volume_m3 + 250

    login(browser, "neixiang_officer")
    browser.goto_path(permit.get_absolute_url())
    assert browser.locator("h1").inner_text().startswith("取水许可证")
    browser.click("a.button.primary:has-text('编辑')")
    browser.wait_for_url(f"**/registry/permits/{permit.pk}/edit/")
    browser.fill("#id_comments", "浏览器测试：核定最大日取水量")
    browser.fill("#id_max_daily_volume_m3", str(new_max))
    screenshot(browser, "registry-permit-edit")
    browser.click("button[type=submit]")
    browser.wait_for_url(f"**/registry/permits/{permit.pk}/")
    trail = browser.locator("#audit-trail")
    assert str(new_max) in trail.inner_text()
    assert "neixiang_officer" in trail.inner_text() and "update" in trail.inner_text()
    assert m.WithdrawalPermit.objects.get(pk=permit.pk).max_daily_volume_m3 == new_max
    trail.scroll_into_view_if_needed()
    screenshot(browser, "registry-permit-audit-trail")

    response = browser.goto_path(other.get_absolute_url())
    assert response.status == 404
    assert "404" in browser.content() and other.number not in browser.content()
    response = browser.goto_path(f"/registry/permits/{other.pk}/edit/")
    assert response.status == 404
    screenshot(browser, "registry-permit-refused")
    assert m.WithdrawalPermit.objects.get(pk=other.pk).max_daily_volume_m3 == other.max_daily_volume_m3


def test_overview_map_renders(browser):
    errors = []
    browser.on("pageerror", lambda exc: errors.append(str(exc)))
    browser.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and "/static/" in r.url else None)
    login(browser, "city_admin")
    browser.goto_path("/registry/overview/")
    browser.wait_for_selector("#county-map canvas")
    browser.wait_for_selector("#use-chart canvas")
    assert browser.locator("#county-map").get_attribute("data-rendered") == "1"
    info = browser.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('county-map'));
        const series = chart.getOption().series[0];
        return {map: !!echarts.getMap('南阳'), n: series.data.length, dengzhou: series.data.find(d => d.name === '邓州市').value};
    }""")
    assert info == {"map": True, "n": 13, "dengzhou": 70100}
    table = browser.locator("#use-2021").inner_text()
    assert "24.98" in table and "25.00" in table
    assert not errors, errors
    screenshot(browser, "overview-map")


def _water_users_xlsx() -> bytes:
    rng = random.Random(2026)
    wb = Workbook()
    ws = wb.active
    ws.append(["名称", "类型", "统一社会信用代码", "所在行政区", "联系人"])
    ws.append(["内乡县浏览器导入甲有限公司", "企业", credit_code(rng, "411325"), "内乡县", "李四"])
    ws.append(["内乡县浏览器导入乙有限公司", "企业", credit_code(rng, "411325"), "内乡县", "王五"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_preview_and_confirm(browser):
    login(browser, "neixiang_officer")
    browser.goto_path("/registry/import/water_users/")
    browser.set_input_files("#id_file", files=[{"name": "取用水户.xlsx", "mimeType":
                                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                                "buffer": _water_users_xlsx()}])
    browser.click("button:has-text('上传并预览')")
    browser.wait_for_selector("#confirm-import")
    assert not m.WaterUser.objects.filter(name__startswith="内乡县浏览器导入").exists()
    screenshot(browser, "registry-import-preview")
    browser.click("#confirm-import")
    browser.wait_for_selector("#import-report h2.ok")
    assert m.WaterUser.objects.filter(name__startswith="内乡县浏览器导入").count() == 2


def test_english_switch(browser):
    login(browser, "neixiang_officer")
    browser.goto_path("/registry/permits/")
    browser.click("form.lang-switch button")
    browser.wait_for_load_state()
    assert "Withdrawal permit" in browser.locator("h1").inner_text()
    assert "Permit number" in browser.locator("table.data thead").inner_text()
    browser.goto_path("/registry/overview/")
    assert "City overview" in browser.locator("h1").inner_text()
    browser.wait_for_selector("#county-map canvas")
    screenshot(browser, "overview-map-en")
    browser.click("form.lang-switch button")
    browser.wait_for_load_state()
    assert "全市概览" in browser.locator("h1").inner_text()
