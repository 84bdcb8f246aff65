"""Supervision API and pages for S6, S3, evaluations, monitoring and the national interface:
writes go through the services, errors are the core JSON shape, pages render for their roles."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuiquan.registry.models import Region
from shuiquan.supervision.models import Enforcement, NationalExport
from shuiquan.trading import services as trading
from shuiquan.trading.tests.test_permit_trade import permit_trade

pytestmark = pytest.mark.django_db


def test_enforcement_api_and_pages(api, page, users):
    admin = api(users["city_admin"])
    tongbai = Region.objects.get(name="桐柏县")
    r = admin.post("/api/v1/supervision/enforcements/", {"ground": "groundwater_reduction", "kind": "cut", "cut_pct": "30", "region": tongbai.pk,
                                                          "reason": "地下水压采未达标", "assessment_year": 2021}, format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["active"] and r.json()["cut_pct"] == "30.00"
    r = api(users["neixiang_officer"]).post("/api/v1/supervision/enforcements/", {"ground": "strict_assessment", "kind": "halt",
                                                                                   "region": tongbai.pk, "reason": "x"}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    r = admin.post("/api/v1/supervision/enforcements/", {"ground": "strict_assessment", "kind": "halt", "reason": "no party"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "one_party"
    r = admin.post(f"/api/v1/supervision/enforcements/{pk}/lift/", {}, format="json")
    assert r.status_code == 400
    r = admin.post(f"/api/v1/supervision/enforcements/{pk}/lift/", {"reason": "复核达标"}, format="json")
    assert r.status_code == 200 and r.json()["active"] is False
    for name in ("city_admin", "auditor"):
        assert page(users[name]).get("/supervision/enforcement/").status_code == 200
        assert page(users[name]).get(f"/supervision/enforcement/{pk}/").status_code == 200
    r = page(users["city_admin"]).post("/supervision/enforcement/new/", {"party_kind": "region", "region": tongbai.pk, "ground": "strict_assessment",
                                                                         "kind": "halt", "reason": "考核不合格", "assessment_year": 2021})
    assert r.status_code == 302
    assert Enforcement.objects.filter(restriction__region=tongbai, restriction__lifted_at__isnull=True).count() == 1
    assert page(users["neixiang_officer"]).get("/supervision/enforcement/new/").status_code == 403


def test_inspection_evaluation_monitoring_api_and_pages(api, page, users, rights):
    trade, _, _ = permit_trade(users, rights)
    county = api(users["neixiang_officer"])
    r = county.post("/api/v1/supervision/inspections/", {"trade": trade.pk, "inspected_on": "2026-03-01", "inspectors": "张工",
                                                          "location": "取水口", "conclusion": "rectify", "metering_ok": False,
                                                          "metering_note": "计量设施未联网"}, format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    pdf = SimpleUploadedFile("记录.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    r = county.post(f"/api/v1/supervision/inspections/{pk}/attachments/", {"file": pdf}, format="multipart")
    assert r.status_code == 201 and r.json()["attachments"][0]["kind"] == "pdf"
    bad = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    r = county.post(f"/api/v1/supervision/inspections/{pk}/attachments/", {"file": bad}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "bad_file_type"
    assert api(users["tanghe_officer"]).get(f"/api/v1/supervision/inspections/{pk}/").status_code == 200  # the buyer's county
    assert api(users["hushan_manager"]).get(f"/api/v1/supervision/inspections/{pk}/").status_code == 404
    r = county.post("/api/v1/supervision/evaluations/", {"trade": trade.pk, "evaluated_on": "2026-03-02", "evaluators": "x",
                                                          "volume_truthful": True, "procedure_compliant": True, "price_reasonable": True,
                                                          "funds_safe": True, "rating": "good"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "not_performed"
    trading.register(actor=users["neixiang_officer"], trade=trade, approval_number="内水许变〔2026〕2号")
    r = county.post("/api/v1/supervision/evaluations/", {"trade": trade.pk, "evaluated_on": "2026-03-02", "evaluators": "评估组",
                                                          "volume_truthful": True, "procedure_compliant": True, "price_reasonable": True,
                                                          "funds_safe": True, "rating": "good"}, format="json")
    assert r.status_code == 201
    ev = r.json()["id"]
    assert county.post(f"/api/v1/supervision/evaluations/{ev}/finalize/", {}, format="json").json()["status"] == "final"
    r = api(users["auditor"]).get("/api/v1/supervision/monitoring/?year=2026")
    assert r.status_code == 200 and any(m["trade"] == trade.number for m in r.json())
    client = page(users["neixiang_officer"])
    for url in ("/supervision/inspections/", f"/supervision/inspections/{pk}/", "/supervision/evaluations/", f"/supervision/evaluations/{ev}/",
                "/supervision/monitoring/?year=2026", f"/supervision/inspections/new/{trade.pk}/", f"/supervision/evaluations/new/{trade.pk}/"):
        assert client.get(url).status_code == 200, url
    r = client.post(f"/supervision/inspections/new/{trade.pk}/", {"inspected_on": "2026-03-01", "inspectors": "李工", "location": "厂区",
                                                                 "saving_measures_ok": "true", "metering_ok": "true", "conclusion": "passed",
                                                                 "file": SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n0000")})
    assert r.status_code == 302


def test_national_api_pages_and_command(api, page, users, tmp_path):
    from django.core.management import call_command

    admin = api(users["city_admin"])
    r = admin.post("/api/v1/supervision/national/exports/", {}, format="json")
    assert r.status_code == 201
    pk = r.json()["id"]
    doc = admin.get(f"/api/v1/supervision/national/exports/{pk}/download/").json()
    assert doc["schema_version"] == "1.0.0"
    items = admin.get(f"/api/v1/supervision/national/exports/{pk}/").json()["items"]
    ack = {"schema_version": "1.0.0", "ack_id": "API-ACK", "batch_id": doc["batch_id"], "received_at": "2026-03-02T10:00:00+08:00",
           "results": [{"record_type": i["record_type"], "record_id": i["record_id"], "status": "accepted", "national_id": "N1"} for i in items[:3]]}
    r = admin.post("/api/v1/supervision/national/acknowledgements/", ack, format="json")
    assert r.status_code == 201 and r.json()["accepted"] == 3
    r = admin.post("/api/v1/supervision/national/acknowledgements/", ack, format="json")
    assert r.status_code == 200 and r.json()["created"] is False
    r = admin.post("/api/v1/supervision/national/acknowledgements/", {"ack_id": "x"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "ack_invalid"
    assert api(users["neixiang_officer"]).post("/api/v1/supervision/national/exports/", {}, format="json").status_code == 403
    assert admin.get("/api/v1/supervision/national/schema/?kind=ack").json()["$id"].endswith("/1.0.0")
    client = page(users["city_admin"])
    assert client.get("/supervision/national/").status_code == 200
    assert client.get(f"/supervision/national/{pk}/").status_code == 200
    assert client.get(f"/supervision/national/{pk}/?download=json").status_code == 200
    r = client.post(f"/supervision/national/{pk}/", {"text": "{not json"})
    assert r.status_code == 400
    assert page(users["permit_holder"]).get("/supervision/national/").status_code == 403
    out = tmp_path / "batch.json"
    call_command("national_export", "--user", "city_admin", "--all", "--out", str(out))
    assert NationalExport.objects.count() == 2 and out.read_text(encoding="utf-8").startswith("{")


def test_openapi_schema_covers_supervision_and_public(api, users):
    r = api(users["city_admin"]).get("/api/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in ("/api/v1/supervision/assessment/", "/api/v1/supervision/enforcements/", "/api/v1/supervision/national/exports/",
              "/api/v1/supervision/national/acknowledgements/", "/api/v1/public/rights/", "/api/v1/public/complaints/"):
        assert p in paths, p


def test_S3_inspection_and_evaluation_forms_refuse_those_who_may_not_supervise(page, users):
    """Found by the access matrix: a permit holder (or the bank, the auditor, …) who may see a
    trade could open its site-inspection and post-trade-evaluation forms; only the city bureau and
    the parties' county bureaus may record them (S3), so the forms now answer 403 to the others."""
    from shuiquan.trading.models import Trade
    from shuiquan.trading.services import visible_trades

    trade = visible_trades(users["permit_holder"]).order_by("pk").first()
    assert trade is not None
    for name in ("inspection_new", "evaluation_new"):
        url = f"/supervision/{'inspections' if name == 'inspection_new' else 'evaluations'}/new/{trade.pk}/"
        assert page(users["permit_holder"]).get(url).status_code == 403, url
        assert page(users["auditor"]).get(url).status_code == 403, url
        assert page(users["city_admin"]).get(url).status_code == 200, url
    assert Trade.objects.filter(pk=trade.pk).exists()
