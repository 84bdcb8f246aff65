"""Supervision pages and API: assessment, export, figures, complaints workflow; errors in the core shape."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from shuiquan.registry.models import Region
from shuiquan.supervision import services
from shuiquan.supervision.choices import ComplaintStatus
from shuiquan.supervision.models import Complaint, ComplaintEvent

pytestmark = pytest.mark.django_db


def D(v):
    return Decimal(str(v))


def test_dashboard_and_detail_pages_render_for_every_role(page, users):
    tanghe = Region.objects.get(name="唐河县")
    for name in ("city_admin", "neixiang_officer", "auditor", "finance_officer", "permit_holder", "bank_officer"):
        client = page(users[name])
        r = client.get("/supervision/?year=2021")
        assert r.status_code == 200, name
        assert "邓州市" in r.content.decode()
        r = client.get(f"/supervision/assessment/{tanghe.pk}/?year=2021")
        assert r.status_code == 200
        assert "211,000,000" in r.content.decode()


def test_dashboard_needs_login(page):
    r = page(None).get("/supervision/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_export_is_in_the_layout_of_tables_1_2_and_2_1(page, users):
    r = page(users["auditor"]).get("/supervision/assessment/export/?year=2021")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[:2] == ["表1-2 用水量", "表2-1 控制目标"]
    t12 = wb["表1-2 用水量"]
    rows = {row[0]: row[1:] for row in t12.iter_rows(min_row=4, values_only=True) if row[0]}
    assert D(rows["邓州市"][3]) == D("8.25")  # 2020
    assert D(rows["合计"][4]) == D("24.98")  # 2021 computed
    assert D(rows["合计（原表）"][4]) == D("25.00")  # as printed
    t21 = wb["表2-1 控制目标"]
    rows = {row[0]: row[1:] for row in t21.iter_rows(min_row=4, values_only=True) if row[0]}
    assert D(rows["全市合计"][0]) == D("28.0940")
    assert D(rows["全市合计"][3]) == D("0.255")  # 2023 non-conventional
    results = wb["考核结果 2021"]
    names = [row[0] for row in results.iter_rows(min_row=3, values_only=True)]
    assert "唐河县" in names and "南阳市" in names


def test_figures_form_city_only(page, users):
    r = page(users["neixiang_officer"]).get("/supervision/figures/new/")
    assert r.status_code == 403
    city = Region.objects.get(code="411300")
    r = page(users["city_admin"]).post("/supervision/figures/new/", {"region": city.pk, "year": 2024, "irrigation_coefficient": "1.7"})
    assert r.status_code == 400
    r = page(users["city_admin"]).post("/supervision/figures/new/", {"region": city.pk, "year": 2024, "gdp_100m_yuan": "5000.00",
                                                                     "basis": "统计年鉴（演示）"})
    assert r.status_code == 302


def test_api_assessment_and_errors(api, users):
    client = api(users["auditor"])
    r = client.get("/api/v1/supervision/assessment/?year=2021")
    assert r.status_code == 200
    by_name = {row["region"]["name"]: row for row in r.json()}
    assert by_name["邓州市"]["status"] == "red" and by_name["邓州市"]["measured_m3"] == 701_000_000
    r = client.get("/api/v1/supervision/assessment/?year=abc")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    r = client.get("/api/v1/supervision/assessment/999999/")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = api(None).get("/api/v1/supervision/assessment/")
    assert r.status_code in (401, 403)
    # Writes: the city bureau only, through the services.
    city = Region.objects.get(code="411300")
    r = client.post("/api/v1/supervision/figures/", {"region": city.pk, "year": 2024, "gdp_100m_yuan": "1"}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    r = api(users["city_admin"]).post("/api/v1/supervision/reported-use/", {"region": city.pk, "year": 2024, "total_m3": 2_600_000_000},
                                      format="json")
    assert r.status_code == 201 and r.json()[0]["volume_m3"] == 2_600_000_000
    r = api(users["city_admin"]).post("/api/v1/supervision/reported-use/", [1, 2], format="json")
    assert r.status_code == 400


def test_complaint_workflow_to_resolution(api, users):
    holder = users["permit_holder"]
    r = api(holder).post("/api/v1/supervision/complaints/", {"kind": "complaint", "topic": "price", "subject": "挂牌价格明显偏高",
                                                               "content": "某挂牌交易价格远高于近期成交中位数，请核查。"}, format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["receipt_code"]
    admin = api(users["city_admin"])
    # The holder cannot handle it; nor can a county officer.
    assert api(holder).post(f"/api/v1/supervision/complaints/{pk}/accept/", {}, format="json").status_code == 403
    # Resolving needs acceptance first (409) and a result (400).
    r = admin.post(f"/api/v1/supervision/complaints/{pk}/resolve/", {"resolution": "x"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    assert admin.post(f"/api/v1/supervision/complaints/{pk}/accept/", {}, format="json").json()["status"] == "accepted"
    assert admin.post(f"/api/v1/supervision/complaints/{pk}/investigate/", {"note": "调取挂牌记录"}, format="json").status_code == 200
    r = admin.post(f"/api/v1/supervision/complaints/{pk}/resolve/", {}, format="json")
    assert r.status_code == 400
    assert Complaint.objects.get(pk=pk).status == ComplaintStatus.INVESTIGATING
    r = admin.post(f"/api/v1/supervision/complaints/{pk}/resolve/", {"resolution": "经核查价格由竞价形成，程序合规。",
                                                                      "public_reply": "经核查，交易程序合规。"}, format="json")
    assert r.json()["status"] == "resolved"
    assert list(ComplaintEvent.objects.filter(complaint_id=pk).values_list("action", flat=True)) == ["submit", "accept", "investigate",
                                                                                                       "resolve"]
    # The holder sees its own complaint; another holder does not.
    assert api(holder).get(f"/api/v1/supervision/complaints/{pk}/").status_code == 200
    assert api(users["buyer_holder"]).get(f"/api/v1/supervision/complaints/{pk}/").status_code == 404


def test_complaint_pages(page, users):
    row = services.submit_complaint(actor=users["association_rep"], kind="dispute", topic="third_party", subject="渠系用水纠纷",
                                    content="上下游协会之间的用水纠纷。")
    admin = page(users["city_admin"])
    r = admin.get(f"/supervision/complaints/{row.pk}/")
    assert r.status_code == 200 and "受理" in r.content.decode()
    r = admin.post(f"/supervision/complaints/{row.pk}/", {"action": "dismiss"})
    assert r.status_code == 400  # a result is required
    r = admin.post(f"/supervision/complaints/{row.pk}/", {"action": "dismiss", "resolution": "不属于水权交易事项，已转灌区管理单位。"})
    assert r.status_code == 302
    assert Complaint.objects.get(pk=row.pk).status == ComplaintStatus.DISMISSED
    assert admin.get("/supervision/complaints/").status_code == 200
    r = page(users["permit_holder"]).post("/supervision/complaints/new/", {"kind": "complaint", "topic": "other", "subject": "测试",
                                                                          "content": "测试内容"})
    assert r.status_code == 302
