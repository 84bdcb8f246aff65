"""Registry pages: they render for each role, forms show field errors, XLSX exports are real
workbooks with the right rows, scoping holds on pages, demo rows are labelled, English works."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shuiquan.core.models import AuditEvent
from shuiquan.core.scoping import VIEW
from shuiquan.registry import models as m

pytestmark = pytest.mark.django_db

ROLES = ["city_admin", "neixiang_officer", "tanghe_officer", "damogang_manager", "association_rep", "permit_holder",
         "finance_officer", "bank_officer", "auditor", "snwd_unit"]
MODELS = [m.Region, m.Basin, m.River, m.Reservoir, m.WaterSource, m.WaterUser, m.WithdrawalPermit, m.AnnualWithdrawalPlan,
          m.IntakePoint, m.MeteringDevice, m.IrrigationDistrict, m.Association, m.VillagerGroup, m.Household]


def html(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_every_registry_page_renders_for_every_role(page, users, role):
    user = users[role]
    c = page(user)
    for model in MODELS:
        name = model._meta.model_name
        r = c.get(reverse(f"registry:{name}_list"))
        assert r.status_code == 200, (name, r.status_code)
        obj = model.objects.restrict(user, VIEW).order_by("pk").first()
        if obj is not None:
            r = c.get(obj.get_absolute_url())
            assert r.status_code == 200, (name, obj.pk)
            assert "变更记录（审计）" in html(r)
    for url in ("registry:overview", "registry:withdrawalpermit_renewal_due", "registry:waterresourcezone_list"):
        assert c.get(reverse(url)).status_code == 200
    r = c.get("/workbench/")
    assert r.status_code == 200 and "全市概览" in html(r)  # the registry's nav entry


def test_anonymous_is_sent_to_login(page):
    r = page(None).get(reverse("registry:withdrawalpermit_list"))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert page(None).get(reverse("registry:overview")).status_code == 302


@pytest.mark.parametrize("role,text", [
    ("city_admin", "全市台账"), ("neixiang_officer", "取水许可证延续提醒"), ("neixiang_officer", "内乡县台账"),
    ("permit_holder", "我的取水许可证"), ("damogang_manager", "打磨岗灌区的用水者协会"), ("association_rep", "种植面积合计"),
    ("auditor", "全市台账"),
])
def test_workbench_panels_per_role(page, users, role, text):
    assert text in html(page(users[role]).get("/workbench/"))


def test_permit_holder_workbench_lists_only_their_permits(page, users):
    holder = users["permit_holder"]
    content = html(page(holder).get("/workbench/"))
    for p in m.WithdrawalPermit.objects.filter(holder=holder.water_user):
        assert p.number in content
    other = m.WithdrawalPermit.objects.exclude(holder=holder.water_user).first()
    assert other.number not in content


def test_lists_label_demo_rows_and_show_volumes_in_wan_with_exact_m3(page, users):
    content = html(page(users["city_admin"]).get(reverse("registry:withdrawalpermit_list")))
    assert "演示数据" in content
    permit = m.WithdrawalPermit.objects.order_by("-issued_on", "number").first()
    assert f'title="{permit.annual_volume_m3:,} 立方米"' in content
    assert "万立方米" in content


def test_list_search_filter_pagination_and_htmx(page, users):
    c = page(users["city_admin"])
    tanghe = m.Region.objects.get(code="411328")
    content = html(c.get(reverse("registry:withdrawalpermit_list") + f"?region={tanghe.pk}"))
    assert all(p.number in content for p in m.WithdrawalPermit.objects.filter(region=tanghe))
    assert not any(p.number in content for p in m.WithdrawalPermit.objects.filter(region__code="411325"))
    assert c.get(reverse("registry:withdrawalpermit_list") + "?per_page=abc&page=zzz").status_code == 200
    r = c.get(reverse("registry:withdrawalpermit_list") + "?per_page=5", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "<html" not in html(r) and "下一页" in html(r)


# --- XLSX export ----------------------------------------------------------------------------------


def rows_of(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    return values[1], values[2:]  # row 1 is the note


def test_export_is_a_real_xlsx_with_the_county_officers_rows(page, users):
    r = page(users["neixiang_officer"]).get(reverse("registry:withdrawalpermit_list") + "?export=xlsx")
    header, rows = rows_of(r)
    assert header[0] == "许可证编号" and "年许可水量（立方米）" in header and header[-1] == "演示数据"
    expected = m.WithdrawalPermit.objects.filter(region__code="411325")
    assert sorted(row[0] for row in rows) == sorted(expected.values_list("number", flat=True))
    col = header.index("年许可水量（立方米）")
    by_number = dict(expected.values_list("number", "annual_volume_m3"))
    assert all(row[col] == by_number[row[0]] and isinstance(row[col], int) for row in rows)
    assert all(row[-1] is True for row in rows)


def test_export_applies_the_filters(page, users):
    r = page(users["city_admin"]).get(reverse("registry:wateruser_list") + "?kind=public_supply&export=xlsx")
    header, rows = rows_of(r)
    assert len(rows) == m.WaterUser.objects.filter(kind="public_supply").count() == 13


@pytest.mark.parametrize("model", MODELS)
def test_every_list_exports(page, users, model):
    r = page(users["city_admin"]).get(reverse(f"registry:{model._meta.model_name}_list") + "?export=xlsx")
    header, rows = rows_of(r)
    assert len(rows) == model.objects.count()


def test_household_export_is_masked_for_the_auditor(page, users):
    header, rows = rows_of(page(users["auditor"]).get(reverse("registry:household_list") + "?export=xlsx"))
    names = set(m.Household.objects.values_list("name", flat=True))
    assert "户主姓名（脱敏）" in header
    col = header.index("户主姓名（脱敏）")
    assert not {row[col] for row in rows} & names


# --- forms ----------------------------------------------------------------------------------------


def water_user_form(**over):
    data = {"name": "页面测试有限公司", "kind": "enterprise", "credit_code": "91440300708461136T", "region": m.Region.objects.get(code="411325").pk,
            "is_public_supply": "", "address": "", "legal_representative": "", "contact_name": "", "contact_phone": "", "contact_email": "",
            "comments": ""}
    data.update(over)
    return data


def test_create_form_shows_field_errors_and_saves_nothing(page, users):
    c = page(users["neixiang_officer"])
    count = m.WaterUser.objects.count()
    r = c.post(reverse("registry:wateruser_add"), water_user_form(credit_code="91440300708461136A"))
    assert r.status_code == 400
    assert "校验位错误" in html(r) and "field-error" in html(r)
    r = c.post(reverse("registry:wateruser_add"), water_user_form(credit_code="", contact_email="not-an-email"))
    assert r.status_code == 400 and "contact_email" in html(r)
    assert m.WaterUser.objects.count() == count
    r = c.post(reverse("registry:wateruser_add"), water_user_form())
    assert r.status_code == 302
    created = m.WaterUser.objects.get(credit_code="91440300708461136T")
    assert r["Location"] == created.get_absolute_url()


def test_county_officer_region_choice_is_their_county(page, users):
    content = html(page(users["neixiang_officer"]).get(reverse("registry:wateruser_add")))
    assert "内乡县" in content and ">唐河县<" not in content


def permit_form(permit, **over):
    fields = ["holder", "region", "approving_authority", "supervising_authority", "source", "withdrawal_method", "use", "sector",
              "annual_volume_m3", "max_daily_volume_m3", "return_water_location", "return_water_volume_m3", "issued_on", "valid_from",
              "valid_to", "irrigation_district", "comments"]
    data = {}
    for f in fields:
        value = getattr(permit, f"{f}_id", None) if hasattr(permit, f"{f}_id") else getattr(permit, f)
        data[f] = "" if value is None else value
    data.update(over)
    return data


def test_permit_edit_page_and_audit_trail(page, users):
    officer = users["neixiang_officer"]
    permit = m.WithdrawalPermit.objects.filter(region__code="411325").order_by("pk").first()
    c = page(officer)
    r = c.post(reverse("registry:withdrawalpermit_edit", args=[permit.pk]), permit_form(permit, max_daily_volume_m3=10))
    assert r.status_code == 400 and "最大日取水量×366" in html(r)
    new = permit.max_daily_volume_m3 + 123
    r = c.post(reverse("registry:withdrawalpermit_edit", args=[permit.pk]), permit_form(permit, max_daily_volume_m3=new))
    assert r.status_code == 302
    detail = html(c.get(permit.get_absolute_url()))
    assert f"<ins>{new}</ins>" in detail and "neixiang_officer" in detail


def test_permit_create_page_issues_the_number(page, users):
    neixiang = m.Region.objects.get(code="411325")
    holder = m.WaterUser.objects.filter(region=neixiang, kind="enterprise").first()
    data = {"number": "", "holder": holder.pk, "region": neixiang.pk, "approving_authority": m.Authority.objects.get(name="内乡县水利局").pk,
            "supervising_authority": "", "source": m.WaterSource.objects.get(name="内乡县浅层地下水").pk, "withdrawal_method": "well",
            "use": "industrial", "sector": "", "annual_volume_m3": "50000", "max_daily_volume_m3": "", "return_water_location": "",
            "return_water_volume_m3": "", "issued_on": "2027-08-01", "valid_from": "", "valid_to": "", "irrigation_district": "", "comments": ""}
    r = page(users["neixiang_officer"]).post(reverse("registry:withdrawalpermit_add"), data)
    assert r.status_code == 302, html(r)[-2000:]
    permit = m.WithdrawalPermit.objects.get(number="411325-2027-0001")
    assert str(permit.valid_to) == "2032-07-31"


def test_permit_status_page(page, users):
    officer = users["neixiang_officer"]
    permit = m.WithdrawalPermit.objects.filter(region__code="411325", status="new").order_by("pk").first()
    c = page(officer)
    url = reverse("registry:withdrawalpermit_status", args=[permit.pk])
    assert c.get(url).status_code == 200
    r = c.post(url, {"action": "revoke", "reason": ""})
    assert r.status_code == 400 and m.WithdrawalPermit.objects.get(pk=permit.pk).status == "new"
    r = c.post(url, {"action": "change", "reason": "核减", "annual_volume_m3": permit.annual_volume_m3 - 1000})
    assert r.status_code == 302
    assert m.WithdrawalPermit.objects.get(pk=permit.pk).status == "changed"
    assert "permit_change" in html(c.get(permit.get_absolute_url()))
    r = c.post(url, {"action": "renew", "reason": "延续", "valid_to": "2020-01-01"})
    assert r.status_code == 400 and "valid_to" in html(r)


# --- scoping on pages -----------------------------------------------------------------------------


def test_county_officer_refused_another_countys_permit_on_every_page(page, users):
    c = page(users["neixiang_officer"])
    other = m.WithdrawalPermit.objects.filter(region__code="411328").first()
    before = m.WithdrawalPermit.objects.get(pk=other.pk)
    events = AuditEvent.objects.count()
    assert c.get(other.get_absolute_url()).status_code == 404
    assert c.get(reverse("registry:withdrawalpermit_edit", args=[other.pk])).status_code == 404
    assert c.post(reverse("registry:withdrawalpermit_edit", args=[other.pk]), permit_form(other, comments="x")).status_code == 404
    assert c.get(reverse("registry:withdrawalpermit_status", args=[other.pk])).status_code == 404
    assert c.post(reverse("registry:withdrawalpermit_status", args=[other.pk]), {"action": "revoke", "reason": "x"}).status_code == 404
    assert c.post(reverse("registry:withdrawalpermit_delete", args=[other.pk])).status_code == 404
    after = m.WithdrawalPermit.objects.get(pk=other.pk)
    assert (after.comments, after.status, after.last_updated) == (before.comments, before.status, before.last_updated)
    assert AuditEvent.objects.count() == events
    assert other.number not in html(c.get(reverse("registry:withdrawalpermit_list") + "?per_page=500"))


def test_visible_but_not_changeable_is_403(page, users):
    holder = users["permit_holder"]
    own = m.WithdrawalPermit.objects.filter(holder=holder.water_user).first()
    c = page(holder)
    assert c.get(own.get_absolute_url()).status_code == 200
    assert "编辑" not in html(c.get(own.get_absolute_url())).split("permit-status")[0].split("page-head")[1]
    assert c.get(reverse("registry:withdrawalpermit_edit", args=[own.pk])).status_code == 403
    assert c.get(reverse("registry:withdrawalpermit_add")).status_code == 403


def test_seed_records_are_read_only_on_pages(page, users):
    c = page(users["city_admin"])
    region = m.Region.objects.get(code="411325")
    detail = html(c.get(region.get_absolute_url()))
    assert "种子数据" in detail and reverse("registry:region_edit", args=[region.pk]) not in detail
    assert c.get(reverse("registry:region_edit", args=[region.pk])).status_code == 403
    assert c.post(reverse("registry:region_delete", args=[region.pk])).status_code == 403
    # an outside counterparty the city adds (not one trading's demo already registered) is editable
    assert not m.Region.objects.filter(name="洛阳市").exists()
    r = c.post(reverse("registry:region_add"), {"name": "洛阳市", "name_en": "Luoyang", "code": "410300", "kind": "outside", "sort_order": 90})
    assert r.status_code == 302
    ly = m.Region.objects.get(name="洛阳市")
    assert c.get(reverse("registry:region_edit", args=[ly.pk])).status_code == 200


def test_delete_page(page, users):
    c = page(users["neixiang_officer"])
    plan = m.AnnualWithdrawalPlan.objects.filter(permit__region__code="411325").first()
    assert c.get(reverse("registry:annualwithdrawalplan_delete", args=[plan.pk])).status_code == 200
    r = c.post(reverse("registry:annualwithdrawalplan_delete", args=[plan.pk]))
    assert r.status_code == 302 and not m.AnnualWithdrawalPlan.objects.filter(pk=plan.pk).exists()
    assert AuditEvent.objects.order_by("-id").first().action == "delete"
    holder = users["permit_holder"].water_user
    r = c.post(reverse("registry:wateruser_delete", args=[holder.pk]))  # still referenced by permits
    assert r.status_code == 302 and m.WaterUser.objects.filter(pk=holder.pk).exists()


def test_household_names_masked_except_for_managing_roles(page, users):
    h = users["association_rep"].association.households.first()
    assert h.name in html(page(users["association_rep"]).get(h.get_absolute_url()))
    assert h.id_number in html(page(users["neixiang_officer"]).get(h.get_absolute_url()))
    content = html(page(users["auditor"]).get(h.get_absolute_url()))
    assert h.masked_name in content and h.id_number not in content.split("变更记录")[0]


def test_district_page_shows_the_seed_facts(page, users):
    d = m.IrrigationDistrict.objects.get(name="打磨岗灌区")
    content = html(page(users["damogang_manager"]).get(d.get_absolute_url()))
    assert "工程概况（种子文件）" in content and "5141" in content and "马山口镇" in content


# --- overview and English -------------------------------------------------------------------------


def test_overview_shows_both_totals_and_the_map_data(page, users):
    content = html(page(users["bank_officer"]).get(reverse("registry:overview")))
    assert "24.98" in content and "25.00" in content
    assert "各行合计（计算值）" in content and "原表合计（种子文件印刷值）" in content
    assert "28.0940" in content and "49,140" in content and "693,475" in content and "693,476" in content
    assert 'id="county-map"' in content
    import json
    import re

    data = json.loads(re.search(r'<script id="map-data" type="application/json">(.*?)</script>', content, re.S).group(1))
    assert {"name": "邓州市", "value": 70100} in data and len(data) == 13
    assert sum(d["value"] for d in data) == 249800  # 万立方米: the rows' sum, 24.98亿
    assert "/static/vendor/maps/%E5%8D%97%E9%98%B3%E5%B8%82.js" in content


def test_map_script_is_served(client):
    r = client.get("/static/vendor/maps/%E5%8D%97%E9%98%B3%E5%B8%82.js")
    assert r.status_code == 200
    body = b"".join(r.streaming_content) if r.streaming else r.content
    assert "registerMap('南阳'".encode() in body


def test_english_switch(page, users):
    c = page(users["neixiang_officer"])
    r = c.post("/i18n/setlang/", {"language": "en", "next": reverse("registry:withdrawalpermit_list")})
    assert r.status_code == 302
    content = html(c.get(reverse("registry:withdrawalpermit_list")))
    assert "Permit number" in content and "Annual permitted volume" in content and "Withdrawal permit" in content
    assert "10,000 m³" in content
    assert "City overview" in html(c.get(reverse("registry:overview")))
    assert "Sum of the rows (computed)" in html(c.get(reverse("registry:overview")))
    r = c.post(reverse("registry:wateruser_add"), water_user_form(credit_code="91440300708461136A"))
    assert "wrong check character" in html(r)
    c.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "许可证编号" in html(c.get(reverse("registry:withdrawalpermit_list")))


def test_admin_lists_registry_models_and_edits_through_the_services(page, users):
    from shuiquan.core.models import User

    admin = User.objects.create_superuser("root_test", "root@example.org", "x-very-long-password", role="city_admin")
    c = page(admin)
    for model in MODELS + [m.DualControlTarget, m.WaterUseStatistic, m.SnwdQuota, m.RegionWaterResources, m.Indicator, m.Sector]:
        url = reverse(f"admin:registry_{model._meta.model_name}_changelist")
        assert c.get(url).status_code == 200, url
    # seed tables are read-only
    target = m.DualControlTarget.objects.first()
    r = c.post(reverse("admin:registry_dualcontroltarget_change", args=[target.pk]), {"total_m3": 1})
    assert r.status_code == 403
    assert m.DualControlTarget.objects.get(pk=target.pk).total_m3 == target.total_m3
    # an edit is audited like any other
    group = m.VillagerGroup.objects.first()
    r = c.post(reverse("admin:registry_villagergroup_change", args=[group.pk]),
               {"association": group.association_id, "village": group.village, "name": "后台改名组", "comments": "", "is_demo": "on"})
    assert r.status_code == 302, r.content.decode()[-1500:]
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.object_id, event.after["name"], event.message) == ("update", str(group.pk), "后台改名组", "后台管理")
