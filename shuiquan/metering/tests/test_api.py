"""The metering API: token-authenticated batch endpoint (idempotent, per-row report), readings,
batches, use, use against rights, alarms; scoping; errors in the core JSON shape; the schema."""

import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shuiquan.metering import services
from shuiquan.metering.choices import AlarmKind
from shuiquan.metering.models import Alarm, Reading
from shuiquan.registry.models import AnnualWithdrawalPlan

from .conftest import at

pytestmark = pytest.mark.django_db
URL = "/api/v1/metering/readings/batch/"


def bearer(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_batch_endpoint_with_a_bearer_token_is_idempotent(mk, neixiang_officer):
    d = mk.device(mk.permit("411325"))
    body = {"readings": [{"device": d.serial, "observed_at": f"2026-03-0{i}T08:00:00+08:00", "volume_m3": 1000.5 + i,
                          "flow_m3s": 0.0125} for i in range(1, 4)]}
    client = bearer(neixiang_officer)
    r1 = client.post(URL, body, format="json")
    assert r1.status_code == 201, r1.content
    assert (r1.json()["accepted"], r1.json()["duplicates"], r1.json()["issues"]) == (3, 0, [])
    r2 = client.post(URL, body, format="json")
    assert r2.status_code == 201
    assert (r2.json()["accepted"], r2.json()["duplicates"]) == (0, 3)
    assert [i["outcome"] for i in r2.json()["issues"]] == ["duplicate"] * 3
    assert Reading.objects.filter(device=d).count() == 3
    stored = Reading.objects.filter(device=d).order_by("observed_at").first()
    assert stored.volume_m3 == 1001 and stored.raw["volume_m3"] == "1001.5"  # exact decimal text, not a float


def test_batch_endpoint_reports_each_rejected_row_and_keeps_the_good_ones(mk, city_admin):
    d = mk.device()
    r = bearer(city_admin).post(URL, [
        {"device": d.serial, "observed_at": "2026-03-01 08:00", "volume_m3": "10"},
        {"device": d.serial, "observed_at": "not a time", "volume_m3": "11"},
        "junk",
    ], format="json")
    assert r.status_code == 201
    body = r.json()
    assert (body["offered"], body["accepted"], body["rejected"]) == (3, 1, 2)
    assert [(i["row"], i["code"]) for i in body["issues"]] == [(2, "bad_time"), (3, "missing_device")]


def test_dry_run_stores_nothing(mk, city_admin):
    d = mk.device()
    r = bearer(city_admin).post(URL, {"dry_run": True, "readings": [{"device": d.serial, "observed_at": "2026-03-01 08:00",
                                                                      "volume_m3": 5}]}, format="json")
    assert r.status_code == 200 and r.json()["accepted"] == 1 and r.json()["status"] == "previewed"
    assert not Reading.objects.filter(device=d).exists()


@pytest.mark.parametrize("body,content_type", [
    ("{not json", "application/json"),
    (json.dumps({"readings": "x"}), "application/json"),
    (json.dumps({"nothing": []}), "application/json"),
    (json.dumps({"readings": []}), "application/json"),
])
def test_bad_bodies_get_4xx_in_the_core_error_shape(city_admin, body, content_type):
    r = bearer(city_admin).post(URL, body, content_type=content_type)
    assert 400 <= r.status_code < 500
    assert {"code", "message", "message_en"} <= set(r.json())


def test_without_a_token_401_and_a_reader_role_403(users):
    assert APIClient().post(URL, {"readings": []}, format="json").status_code in (401, 403)
    r = bearer(users["auditor"]).post(URL, {"readings": [{"device": "x", "observed_at": "2026-01-01", "volume_m3": 1}]}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "ingest_forbidden"


def test_readings_and_batches_are_scoped(mk, city_admin, neixiang_officer, tanghe_officer, api):
    d = mk.device(mk.permit("411325"))
    batch = services.ingest_readings([{"device": d.serial, "observed_at": "2026-03-01 08:00", "volume_m3": 1}], actor=neixiang_officer)
    mine = api(neixiang_officer).get(f"/api/v1/metering/readings/?device={d.serial}")
    assert mine.status_code == 200 and [x["device"] for x in mine.json()["results"]] == [d.serial]
    other = api(tanghe_officer).get(f"/api/v1/metering/readings/?device={d.serial}")
    assert other.json()["results"] == []
    assert api(neixiang_officer).get(f"/api/v1/metering/batches/{batch.pk}/").status_code == 200
    assert api(tanghe_officer).get(f"/api/v1/metering/batches/{batch.pk}/").status_code == 404


def test_use_and_use_against_rights(mk, city_admin, api):
    p = mk.permit(volume=1_000_000)
    mk.book((p, 1_000_000))
    d = mk.device(p)
    services.ingest_readings([{"device": d.serial, "observed_at": at(2026, 1, 1).isoformat(), "volume_m3": 0},
                              {"device": d.serial, "observed_at": at(2026, 2, 1).isoformat(), "volume_m3": 31_000},
                              {"device": d.serial, "observed_at": at(2026, 3, 1).isoformat(), "volume_m3": 900_000}], actor=city_admin)
    client = api(city_admin)
    months = client.get(f"/api/v1/metering/use/?subject=permit&period=month&year=2026&id={p.pk}").json()
    assert [(m["start"], m["volume_m3"]) for m in months] == [("2026-01-01", 31_000), ("2026-02-01", 869_000),
                                                           ("2026-03-01", 0)]  # one reading at its first midnight
    days = client.get(f"/api/v1/metering/use/?subject=device&period=day&year=2026&month=1&id={d.pk}").json()
    assert len(days) == 31 and sum(x["volume_m3"] for x in days) == 31_000 and days[0]["volume_m3"] == 1_000
    rows = client.get("/api/v1/metering/permits/use/?year=2026&level=any").json()
    row = next(x for x in rows if x["permit_id"] == p.pk)
    assert (row["used_m3"], row["right_m3"], row["right_level"], row["right_thresholds_m3"]) == (900_000, 1_000_000, "warning",
                                                                                                 [800_000, 1_000_000])
    assert client.get("/api/v1/metering/use/?period=week").status_code == 400
    assert client.get("/api/v1/metering/use/?year=abc").status_code == 400


def test_alarms_list_and_acknowledge(mk, city_admin, neixiang_officer, tanghe_officer, api):
    p = mk.permit("411325")
    AnnualWithdrawalPlan.objects.create(permit=p, year=2026, volume_m3=10)
    d = mk.device(p)
    services.ingest_readings([{"device": d.serial, "observed_at": at(2026, 1, 1).isoformat(), "volume_m3": 0},
                              {"device": d.serial, "observed_at": at(2026, 2, 1).isoformat(), "volume_m3": 100}], actor=city_admin)
    services.evaluate_alarms(year=2026)
    alarm = Alarm.objects.get(permit=p, kind=AlarmKind.PLAN_USE, closed_at__isnull=True)
    ids = [a["id"] for a in api(neixiang_officer).get("/api/v1/metering/alarms/?state=open&kind=plan_use&page_size=500").json()["results"]]
    assert alarm.pk in ids
    assert alarm.pk not in [a["id"] for a in api(tanghe_officer).get("/api/v1/metering/alarms/?page_size=500").json()["results"]]
    r = api(tanghe_officer).post(f"/api/v1/metering/alarms/{alarm.pk}/acknowledge/", {}, format="json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = api(neixiang_officer).post(f"/api/v1/metering/alarms/{alarm.pk}/acknowledge/", {"note": "已核实"}, format="json")
    assert r.status_code == 200 and r.json()["acknowledged_at"]
    r = api(neixiang_officer).post(f"/api/v1/metering/alarms/{alarm.pk}/acknowledge/", {}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "already_acknowledged"


def test_the_batch_endpoint_is_in_the_openapi_schema(client):
    schema = json.loads(client.get("/api/openapi.json?format=json").content)
    assert "/api/v1/metering/readings/batch/" in schema["paths"]
    op = schema["paths"]["/api/v1/metering/readings/batch/"]["post"]
    assert op["operationId"] == "metering_readings_batch"
    for path in ("/api/v1/metering/use/", "/api/v1/metering/permits/use/", "/api/v1/metering/alarms/",
                 "/api/v1/metering/readings/", "/api/v1/metering/batches/{id}/"):
        assert path in schema["paths"], path


@pytest.mark.parametrize("reading", [
    {"device": {"nested": 1}, "observed_at": "2026-03-01 08:00", "volume_m3": 1},
    {"device": "T", "observed_at": {"x": 1}, "volume_m3": 1},
    {"device": "T", "observed_at": "0001-01-01 00:00", "volume_m3": 1},
    {"device": "T", "observed_at": "9999-12-31 23:59", "volume_m3": 1},
    {"device": "T", "observed_at": "2026-03-01 08:00", "volume_m3": "1e30"},
    {"device": "T", "observed_at": "2026-03-01 08:00", "level_m": "1e40"},
    {"device": "T", "observed_at": "2026-03-01 08:00", "flow_m3s": "NaN"},
    {"device": "T", "observed_at": "2026-03-01 08:00", "battery_v": "-Infinity"},
    {"device": "T", "observed_at": "2026-03-01 08:00", "volume_m3": [1, 2]},
    {"device": "T", "observed_at": "2026-03-01 08:00", "volume_m3": True},
    {"device": "T", "observed_at": 1.5, "volume_m3": 1},
    {"device": "T", "observed_at": "2026-03-01 08:00", "volume_m3": 1, "quality": 7},
    {"device": "x" * 5000, "observed_at": "2026-03-01 08:00", "volume_m3": 1},
])
def test_hostile_readings_are_rejected_rows_never_errors(mk, city_admin, reading):
    d = mk.device()
    reading = {**reading, "device": d.serial} if reading.get("device") == "T" else reading
    r = bearer(city_admin).post(URL, {"readings": [reading]}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["rejected"] == 1 and r.json()["accepted"] == 0


@pytest.mark.parametrize("url", [
    "/api/v1/metering/readings/?observed_after=garbage", "/api/v1/metering/readings/?device_id=x",
    "/api/v1/metering/batches/abc/", "/api/v1/metering/use/?subject=planet", "/api/v1/metering/use/?month=13",
    "/api/v1/metering/permits/use/?year=99999", "/api/v1/metering/alarms/?state=weird", "/api/v1/metering/alarms/0/",
])
def test_bad_queries_are_4xx(city_admin, api, url):
    r = api(city_admin).get(url)
    assert 400 <= r.status_code < 500, (url, r.status_code)


def test_a_district_manager_acknowledges_an_alarm_of_their_district(api, users):
    """Found by the API fuzzer on PostgreSQL: the district manager's scope outer-joins nullable
    relations (permit or device), and locking that join was a 500 ("FOR UPDATE cannot be applied to
    the nullable side of an outer join"); ``get_scoped`` now locks the alarm row only."""
    from shuiquan.metering.models import Alarm

    manager = users["damogang_manager"]
    alarm = Alarm.objects.restrict(manager, "change").filter(acknowledged_at=None).order_by("pk").first()
    assert alarm is not None, "the small demo has an open alarm in 打磨岗灌区"
    r = api(manager).post(f"/api/v1/metering/alarms/{alarm.pk}/acknowledge/", {"note": "已核实"}, format="json")
    assert r.status_code == 200, r.content
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is not None and alarm.acknowledged_by == manager
