"""XLSX import of water users and permits: a preview writes nothing; a good file imports every row,
each audited; a file with any bad row reports its row number and reason and imports nothing."""

import io
import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from shuiquan.core.errors import Forbidden, ValidationFailed
from shuiquan.core.models import AuditEvent
from shuiquan.registry import importing
from shuiquan.registry import models as m
from shuiquan.registry.demo import credit_code

pytestmark = pytest.mark.django_db

WU_HEADERS = ["名称", "类型", "统一社会信用代码", "行业（GB/T 4754 代码）", "所在行政区", "地址", "公共供水（是/否）", "联系人", "联系电话"]


def xlsx(headers, rows, name="data.xlsx", note=None) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    if note:
        ws.append([note])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def codes(n, admin="411325", seed=7):
    rng = random.Random(seed)
    return [credit_code(rng, admin) for _ in range(n)]


def wu_rows(n=3, region="内乡县", seed=7):
    return [[f"内乡导入测试{i}有限公司", "企业", c, "13", region, f"内乡县产业集聚区{i}号", "否", "张三", "0377-65000000"]
            for i, c in enumerate(codes(n, seed=seed), start=1)]


def counts():
    return m.WaterUser.objects.count(), m.WithdrawalPermit.objects.count(), AuditEvent.objects.count()


def test_water_users_preview_writes_nothing(neixiang_officer):
    before = counts()
    report = importing.run_import("water_users", xlsx(WU_HEADERS, wu_rows()), actor=neixiang_officer, dry_run=True)
    assert report.ok and not report.executed
    assert [r["row"] for r in report.created] == [2, 3, 4]
    assert counts() == before


def test_water_users_good_file_imports_every_row_with_audit(neixiang_officer):
    before = counts()
    report = importing.run_import("water_users", xlsx(WU_HEADERS, wu_rows()), actor=neixiang_officer, dry_run=False)
    assert report.ok and report.executed and len(report.created) == 3
    created = m.WaterUser.objects.filter(name__startswith="内乡导入测试")
    assert created.count() == 3
    assert all(u.region.code == "411325" and u.sector.code == "13" and not u.is_public_supply and not u.is_demo for u in created)
    events = AuditEvent.objects.filter(action="create", object_type="registry.wateruser", object_id__in=[str(u.pk) for u in created])
    assert events.count() == 3
    assert all("XLSX导入" in e.message and e.actor_id == neixiang_officer.pk for e in events)
    assert counts()[0] == before[0] + 3


def _one_bad(neixiang_officer, row_index, column, value):
    rows = wu_rows(4)
    rows[row_index][WU_HEADERS.index(column)] = value
    before = counts()
    report = importing.run_import("water_users", xlsx(WU_HEADERS, rows), actor=neixiang_officer, dry_run=False)
    assert not report.executed and not report.created
    assert counts() == before, "a file with a bad row imports nothing"
    return report


def test_bad_credit_code_reports_row_and_reason_and_imports_nothing(neixiang_officer):
    good = wu_rows(4)[2][2]
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    report = _one_bad(neixiang_officer, 2, "统一社会信用代码", bad)
    [err] = report.errors
    assert (err.row, err.field, err.column) == (4, "credit_code", "统一社会信用代码")
    assert "校验位" in err.message and "check" in err.message_en.lower()


def test_unknown_region(neixiang_officer):
    report = _one_bad(neixiang_officer, 1, "所在行政区", "火星县")
    [err] = report.errors
    assert (err.row, err.field) == (3, "region") and "火星县" in err.message


def test_other_county_row_is_refused_for_a_county_officer(neixiang_officer):
    report = _one_bad(neixiang_officer, 3, "所在行政区", "唐河县")
    [err] = report.errors
    assert (err.row, err.field) == (5, "region")
    assert "本辖区" in err.message and "own region" in err.message_en


def test_other_county_row_is_accepted_for_the_city_admin(city_admin):
    rows = wu_rows(2)
    rows[1][4] = "唐河县"
    report = importing.run_import("water_users", xlsx(WU_HEADERS, rows), actor=city_admin, dry_run=False)
    assert report.executed
    assert m.WaterUser.objects.get(name=rows[1][0]).region.code == "411328"


def test_duplicate_credit_codes_in_the_file_and_in_the_registry(neixiang_officer):
    rows = wu_rows(3)
    rows[2][2] = rows[0][2]
    report = importing.run_import("water_users", xlsx(WU_HEADERS, rows), actor=neixiang_officer, dry_run=False)
    assert [(e.row, e.field) for e in report.errors] == [(4, "credit_code")] and "第2行" in report.errors[0].message
    existing = m.WaterUser.objects.filter(credit_code__isnull=False).first()
    rows = wu_rows(2)
    rows[0][2] = existing.credit_code
    report = importing.run_import("water_users", xlsx(WU_HEADERS, rows), actor=neixiang_officer, dry_run=False)
    assert [(e.row, e.field) for e in report.errors] == [(2, "credit_code")]
    assert not report.executed


def test_every_bad_row_is_reported(neixiang_officer):
    rows = wu_rows(5)
    rows[0][0] = ""  # name missing
    rows[2][1] = "外星企业"  # kind
    rows[4][6] = "也许"  # yes/no
    report = importing.run_import("water_users", xlsx(WU_HEADERS, rows), actor=neixiang_officer, dry_run=True)
    assert sorted((e.row, e.field) for e in report.errors) == [(2, "name"), (4, "kind"), (6, "is_public_supply")]


def test_a_role_that_cannot_register_cannot_import(users):
    with pytest.raises(Forbidden):
        importing.run_import("water_users", xlsx(WU_HEADERS, wu_rows()), actor=users["permit_holder"], dry_run=True)


def test_not_an_xlsx_file_is_refused(neixiang_officer):
    with pytest.raises(ValidationFailed) as exc:
        importing.run_import("water_users", SimpleUploadedFile("x.xlsx", b"name,region\n"), actor=neixiang_officer)
    assert exc.value.code == "bad_file_type"


def test_missing_required_column_is_refused(neixiang_officer):
    with pytest.raises(ValidationFailed) as exc:
        importing.run_import("water_users", xlsx(["名称", "地址"], [["某公司", "某地"]]), actor=neixiang_officer)
    assert exc.value.code == "missing_columns"


def test_template_round_trip(neixiang_officer):
    content = importing.template("water_users")
    ws = load_workbook(io.BytesIO(content)).active
    headers = [c.value for c in ws[2]]
    assert headers[:3] == ["名称", "类型", "统一社会信用代码"]
    rows = [[""] * len(headers)]
    rows[0][headers.index("名称")] = "模板测试有限公司"
    rows[0][headers.index("统一社会信用代码")] = codes(1, seed=99)[0]
    rows[0][headers.index("所在行政区")] = "411325"
    report = importing.run_import("water_users", xlsx(headers, rows, note=ws["A1"].value), actor=neixiang_officer, dry_run=False)
    assert report.executed, [e.as_dict() for e in report.errors]
    assert report.created[0]["row"] == 3


# --- permits ----------------------------------------------------------------------------------

P_HEADERS = ["许可证编号", "取水权人", "取水地行政区", "审批机关", "水源", "取水方式", "取水用途", "年许可水量（立方米）",
             "最大日取水量（立方米）", "发证日期", "有效期止"]


def permit_rows():
    holder = m.WaterUser.objects.filter(region__code="411325", kind="enterprise").order_by("pk")
    a, b = holder[0], holder[1]
    return [
        ["", a.credit_code, "内乡县", "内乡县水利局", "内乡县浅层地下水", "机井", "工业", 80000, 300, "2027-04-01", ""],
        ["", b.name, "内乡县", "内乡县水利局", "湍河地表水", "提水", "工业", 250000.0, 900, "2027/4/2", ""],
        ["411325-2027-0050", a.credit_code, "内乡县", "内乡县水利局", "内乡县再生水", "pumping", "industrial", "30,000", "", "2027-05-01", "2030-04-30"],
    ]


def test_permits_good_file_issues_numbers_and_defaults(neixiang_officer):
    before = counts()
    report = importing.run_import("permits", xlsx(P_HEADERS, permit_rows()), actor=neixiang_officer, dry_run=False)
    assert report.executed, [e.as_dict() for e in report.errors]
    numbers = [r["repr"] for r in report.created]
    assert numbers == ["411325-2027-0001", "411325-2027-0002", "411325-2027-0050"]
    p1 = m.WithdrawalPermit.objects.get(number="411325-2027-0001")
    assert (p1.annual_volume_m3, p1.max_daily_volume_m3, p1.status) == (80_000, 300, "new")
    assert str(p1.valid_to) == "2032-03-31" and p1.supervising_authority.name == "内乡县水利局"
    p2 = m.WithdrawalPermit.objects.get(number="411325-2027-0002")
    assert p2.annual_volume_m3 == 250_000 and str(p2.issued_on) == "2027-04-02"
    assert str(m.WithdrawalPermit.objects.get(number="411325-2027-0050").valid_to) == "2030-04-30"
    assert counts()[1] == before[1] + 3
    assert AuditEvent.objects.filter(action="create", object_type="registry.withdrawalpermit").count() >= 3


def test_permits_preview_shows_the_numbers_it_would_issue_and_writes_nothing(neixiang_officer):
    before = counts()
    report = importing.run_import("permits", xlsx(P_HEADERS, permit_rows()), actor=neixiang_officer, dry_run=True)
    assert report.ok and [r["repr"] for r in report.created][:2] == ["411325-2027-0001", "411325-2027-0002"]
    assert counts() == before


@pytest.mark.parametrize("column,value,field,text", [
    ("年许可水量（立方米）", -5000, "annual_volume_m3", "负数"),
    ("年许可水量（立方米）", 1234.5, "annual_volume_m3", "整数"),
    ("年许可水量（立方米）", "很多", "annual_volume_m3", "不是数字"),
    ("年许可水量（立方米）", 0, "annual_volume_m3", ""),
    ("取水权人", "不存在的公司", "holder", "未找到"),
    ("水源", "黄河地表水", "source", "未找到"),
    ("发证日期", "2027-13-01", "issued_on", "日期"),
    ("取水方式", "飞行", "withdrawal_method", "有效选项"),
    ("许可证编号", "411325-2023-9001", "number", ""),  # duplicate of a demo permit
    ("许可证编号", "411328-2027-0001", "number", "审批机关"),
    ("最大日取水量（立方米）", 100, "max_daily_volume_m3", ""),  # ×366 < annual volume
])
def test_permit_file_with_one_bad_row_reports_it_and_imports_nothing(neixiang_officer, column, value, field, text):
    rows = permit_rows()
    rows[1][P_HEADERS.index(column)] = value
    before = counts()
    report = importing.run_import("permits", xlsx(P_HEADERS, rows), actor=neixiang_officer, dry_run=False)
    assert not report.executed and not report.created
    assert [(e.row, e.field) for e in report.errors] == [(3, field)], [e.as_dict() for e in report.errors]
    assert text in report.errors[0].message
    assert report.errors[0].message_en
    assert counts() == before


def test_permit_rows_for_another_county_refused_for_a_county_officer(tanghe_officer):
    before = counts()
    report = importing.run_import("permits", xlsx(P_HEADERS, permit_rows()), actor=tanghe_officer, dry_run=False)
    assert not report.executed
    # The holders of 内乡县 are not visible to 唐河县's officer, and the region is not theirs.
    assert {e.row for e in report.errors} == {2, 3, 4}
    assert counts() == before


def test_duplicate_permit_numbers_within_the_file(neixiang_officer):
    rows = permit_rows()
    rows[0][0] = rows[2][0]
    report = importing.run_import("permits", xlsx(P_HEADERS, rows), actor=neixiang_officer, dry_run=False)
    assert [(e.row, e.field) for e in report.errors] == [(4, "number")]


# --- pages and API ------------------------------------------------------------------------------


def test_import_page_preview_then_confirm(page, neixiang_officer):
    client = page(neixiang_officer)
    assert client.get("/registry/import/water_users/").status_code == 200
    before = counts()
    r = client.post("/registry/import/water_users/", {"action": "preview", "file": xlsx(WU_HEADERS, wu_rows())})
    assert r.status_code == 200
    assert counts() == before
    token = re.search(r'name="token" value="([0-9a-f-]+)"', r.content.decode()).group(1)
    r = client.post("/registry/import/water_users/", {"action": "execute", "token": token})
    assert r.status_code == 200 and "已导入 3 条记录" in r.content.decode()
    assert counts()[0] == before[0] + 3
    # the stored preview is used once
    assert client.post("/registry/import/water_users/", {"action": "execute", "token": token}).status_code == 400


def test_import_page_shows_row_errors(page, neixiang_officer):
    rows = wu_rows(3)
    rows[1][4] = "唐河县"
    r = page(neixiang_officer).post("/registry/import/water_users/", {"action": "preview", "file": xlsx(WU_HEADERS, rows)})
    assert r.status_code == 400
    html = r.content.decode()
    assert "未导入任何记录" in html and "<td>3</td>" in html and 'name="token"' not in html


def test_import_page_template_and_refusals(page, users):
    r = page(users["neixiang_officer"]).get("/registry/import/permits/template/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert page(users["permit_holder"]).get("/registry/import/permits/").status_code == 403
    assert page(users["neixiang_officer"]).get("/registry/import/nothing/").status_code == 404


def test_import_api(api, neixiang_officer):
    client = api(neixiang_officer)
    before = counts()
    r = client.post("/api/v1/registry/import/water_users/", {"file": xlsx(WU_HEADERS, wu_rows()), "dry_run": "true"}, format="multipart")
    assert r.status_code == 200 and r.json()["ok"] and not r.json()["executed"]
    assert counts() == before
    bad = wu_rows(2)
    bad[1][2] = "123"
    r = client.post("/api/v1/registry/import/water_users/", {"file": xlsx(WU_HEADERS, bad), "dry_run": "false"}, format="multipart")
    assert r.status_code == 400
    assert r.json()["errors"][0]["row"] == 3 and r.json()["errors"][0]["field"] == "credit_code"
    r = client.post("/api/v1/registry/import/water_users/", {"file": xlsx(WU_HEADERS, wu_rows()), "dry_run": "false"}, format="multipart")
    assert r.status_code == 200 and r.json()["executed"] and len(r.json()["created"]) == 3
    assert counts()[0] == before[0] + 3
