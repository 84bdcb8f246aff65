"""Pages: upload with preview, confirm and per-row report (CSV and XLSX); device, permit, map,
alarms, M1 and batch pages; scoping per role."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from shuiquan.metering import services
from shuiquan.metering.choices import BatchStatus
from shuiquan.metering.models import IngestionBatch, Reading

from .conftest import at

pytestmark = pytest.mark.django_db


def csv_file(text: str, name="readings.csv", encoding="utf-8-sig"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows, name="readings.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(["南阳市计量读数（演示）"])  # a title row above the header
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def upload(client, f):
    r = client.post("/metering/upload/", {"file": f})
    assert r.status_code == 302, r.content.decode()[:2000]
    return IngestionBatch.objects.get(pk=int(r["Location"].rstrip("/").split("/")[-1]))


def test_csv_upload_preview_then_confirm_then_resend_is_a_no_op(mk, neixiang_officer, page, inline_jobs):
    d = mk.device(mk.permit("411325"))
    text = ("设备编号,观测时间,累计水量（立方米）,瞬时流量（立方米/秒）,质量\n"
            f"{d.serial},2026-03-01 08:00,1000,0.01,正常\n"
            f"{d.serial},2026-03-01 09:00,1036.5,,正常\n"
            f"{d.serial},2026-03-01 10:00,-3,,正常\n"
            f"NO-SUCH,2026-03-01 10:00,5,,正常\n"
            f"{d.serial},2026-13-01 10:00,5,,正常\n")
    client = page(neixiang_officer)
    batch = upload(client, csv_file(text))
    assert batch.status == BatchStatus.PREVIEWED and batch.dry_run
    assert (batch.offered, batch.accepted, batch.rejected) == (5, 2, 3)
    assert not Reading.objects.filter(device=d).exists()  # a preview stores nothing
    html = client.get(f"/metering/batches/{batch.pk}/").content.decode()
    assert "确认导入" in html and 'data-row="4"' in html and "unknown_device" in html and "negative_volume" in html
    assert 'data-row="6"' in html  # row numbers are the file's own (header = row 1)
    r = client.post(f"/metering/batches/{batch.pk}/confirm/")
    assert r.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.dry_run, batch.accepted, batch.rejected) == (BatchStatus.DONE, False, 2, 3)
    assert Reading.objects.filter(device=d).count() == 2
    again = upload(client, csv_file(text))
    client.post(f"/metering/batches/{again.pk}/confirm/")
    again.refresh_from_db()
    assert (again.accepted, again.duplicates, again.rejected) == (0, 2, 3)
    assert Reading.objects.filter(device=d).count() == 2


def test_gbk_csv_and_xlsx_uploads(mk, city_admin, page, inline_jobs):
    d = mk.device()
    client = page(city_admin)
    gbk = upload(client, csv_file(f"设备编号,观测时间,累计水量\n{d.serial},2026-03-02 08:00,10\n", encoding="gbk"))
    assert gbk.accepted == 1
    import datetime as dt

    book = upload(client, xlsx_file([["设备编号", "观测时间", "累计水量（立方米）", "电池电压（伏）"],
                                     [d.serial, dt.datetime(2026, 3, 3, 8), 20, 3.6],
                                     [d.serial, "2026-03-03 09:00", "abc", None]]))
    assert (book.source, book.offered, book.accepted, book.rejected) == ("xlsx", 2, 1, 1)
    assert book.issues.get().row == 4  # title row 1, header row 2, data rows 3–4


def test_a_file_without_the_required_columns_fails_with_a_message(city_admin, page, inline_jobs):
    batch = upload(page(city_admin), csv_file("设备,数值\nA,1\n"))
    assert batch.status == BatchStatus.FAILED and "缺少必填列" in batch.error


def test_upload_refuses_other_file_types(city_admin, page):
    r = page(city_admin).post("/metering/upload/", {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4", content_type="application/pdf")})
    assert r.status_code == 400 and "文件类型不符" in r.content.decode()


def test_progress_fragment_and_batch_pages(mk, city_admin, page):
    d = mk.device()
    client = page(city_admin)
    batch = services.create_upload(csv_file(f"设备编号,观测时间,累计水量\n{d.serial},2026-03-04 08:00,1\n"), actor=city_admin)
    r = client.get(f"/metering/batches/{batch.pk}/")
    assert 'hx-trigger="every 1s"' in r.content.decode()  # queued: the page polls the progress
    services.run_batch(batch.pk)
    r = client.get(f"/metering/batches/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Refresh"] == "true"
    assert client.get("/metering/batches/").status_code == 200
    assert client.get(f"/metering/batches/{batch.pk}/?export=xlsx").status_code == 200
    assert client.get("/metering/upload/template.xlsx").status_code == 200
    assert client.get("/metering/upload/template.csv").content.decode("utf-8-sig").startswith("设备编号")


def _readings(device, actor):
    services.ingest_readings([{"device": device.serial, "observed_at": at(2026, 1, 1).isoformat(), "volume_m3": 0},
                              {"device": device.serial, "observed_at": at(2026, 2, 15, 12).isoformat(), "volume_m3": 45_500}],
                             actor=actor)


def test_device_and_permit_pages_show_use(mk, city_admin, page):
    p = mk.permit()
    mk.book((p, 100_000))
    d = mk.device(p)
    _readings(d, city_admin)
    client = page(city_admin)
    html = client.get(f"/metering/devices/{d.pk}/?year=2026").content.decode()
    assert 'id="device-chart"' in html and "45,500" in html and "device-chart-data" in html
    html = client.get(f"/metering/permits/{p.pk}/?year=2026").content.decode()
    assert "45,500" in html and "100,000" in html and "45.5%" in html
    html = client.get("/metering/permits/?year=2026&level=").content.decode()
    assert p.number in html
    assert client.get("/metering/?year=2026").status_code == 200
    assert client.get("/metering/?year=2026&basis=permit").status_code == 200
    assert client.get("/metering/permits/?year=2026&export=xlsx").status_code == 200


def test_a_permit_without_a_right_shows_no_right_record(mk, city_admin, page):
    p = mk.permit()
    html = page(city_admin).get(f"/metering/permits/{p.pk}/?year=2026").content.decode()
    assert "无用水权记录" in html


def test_pages_are_scoped_by_role(mk, neixiang_officer, tanghe_officer, users, page):
    p = mk.permit("411325")
    d = mk.device(p)
    assert page(neixiang_officer).get(f"/metering/devices/{d.pk}/").status_code == 200
    assert page(tanghe_officer).get(f"/metering/devices/{d.pk}/").status_code == 404
    assert page(tanghe_officer).get(f"/metering/permits/{p.pk}/").status_code == 404
    assert f">{d.serial}</a>" not in page(tanghe_officer).get("/metering/devices/?q=" + d.serial).content.decode()
    assert f">{d.serial}</a>" in page(neixiang_officer).get("/metering/devices/?q=" + d.serial).content.decode()
    holder = users["permit_holder"]
    own = mk.device(mk.permit("411325", holder=holder.water_user))
    assert page(holder).get(f"/metering/devices/{own.pk}/").status_code == 200
    assert page(holder).get(f"/metering/devices/{d.pk}/").status_code == 404
    assert page(users["auditor"]).get("/metering/upload/").status_code == 403
    assert page(None).get("/metering/").status_code == 302


@pytest.mark.parametrize("username", ["city_admin", "neixiang_officer", "permit_holder", "damogang_manager", "auditor",
                                      "association_rep", "finance_officer"])
def test_every_page_renders_for_every_role(users, page, username):
    client = page(users[username])
    for url in ["/metering/", "/metering/devices/", "/metering/permits/", "/metering/alarms/", "/metering/m1/",
                "/metering/batches/", "/workbench/"]:
        assert client.get(url).status_code == 200, url


def test_alarm_pages_and_workbench(mk, city_admin, neixiang_officer, tanghe_officer, page):
    from shuiquan.registry.models import AnnualWithdrawalPlan

    p = mk.permit("411325")
    AnnualWithdrawalPlan.objects.create(permit=p, year=2026, volume_m3=1_000)
    _readings(mk.device(p), city_admin)
    services.evaluate_alarms(year=2026)
    html = page(neixiang_officer).get("/metering/alarms/?kind=plan_use").content.decode()
    assert p.number in html
    assert p.number not in page(tanghe_officer).get("/metering/alarms/?kind=plan_use").content.decode()
    wb = page(neixiang_officer).get("/workbench/").content.decode()
    assert "监测计量告警" in wb and "超用水权或超计划取水" in wb
    from shuiquan.metering.models import Alarm

    alarm = Alarm.objects.get(permit=p, kind="plan_use", closed_at__isnull=True)
    r = page(neixiang_officer).post(f"/metering/alarms/{alarm.pk}/acknowledge/", {"note": "x"})
    assert r.status_code == 302
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is not None
    assert page(tanghe_officer).post(f"/metering/alarms/{alarm.pk}/acknowledge/").status_code == 404
    assert page(neixiang_officer).post("/metering/alarms/evaluate/").status_code == 403
    assert page(city_admin).post("/metering/alarms/evaluate/").status_code == 302


def test_english_switch(users, client):
    client.force_login(users["city_admin"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/metering/"})
    html = client.get("/metering/").content.decode()
    assert "Water use monitoring" in html


def test_device_model_profiles_are_edited_by_the_city_bureau_and_audited(city_admin, neixiang_officer, page):
    from shuiquan.core.models import AuditEvent
    from shuiquan.metering.models import DeviceModelProfile

    client = page(city_admin)
    r = client.post("/metering/profiles/add/", {"model": "RTU-X1", "description": "测试", "max_flow_m3s": "2.5",
                                                "element_map": '{"FF07": "volume_m3"}'})
    assert r.status_code == 302
    profile = DeviceModelProfile.objects.get(model="RTU-X1")
    assert profile.element_map == {"FF07": "volume_m3"}
    assert AuditEvent.objects.filter(action="create", object_type="metering.devicemodelprofile", object_id=str(profile.pk)).exists()
    r = client.post(f"/metering/profiles/{profile.pk}/edit/", {"model": "RTU-X1", "max_flow_m3s": "2.5",
                                                              "element_map": '{"FF07": "pressure"}'})
    assert r.status_code == 400 and "无效的映射" in r.content.decode()
    assert "RTU-X1" in client.get("/metering/profiles/").content.decode()
    assert page(neixiang_officer).get("/metering/profiles/add/").status_code == 403
    assert page(neixiang_officer).post(f"/metering/profiles/{profile.pk}/edit/", {"model": "x"}).status_code in (403, 404)
