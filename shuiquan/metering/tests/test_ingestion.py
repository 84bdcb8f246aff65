"""The ingestion service every path goes through: idempotent, exact counts, per-row report."""

import datetime as dt
from decimal import Decimal

import pytest

from shuiquan.core.errors import Forbidden, ValidationFailed
from shuiquan.core.models import AuditEvent
from shuiquan.metering import services
from shuiquan.metering.choices import BatchStatus, Outcome, Period
from shuiquan.metering.models import BatchIssue, DeviceState, DeviceUse, IngestionBatch, Reading

from .conftest import at

pytestmark = pytest.mark.django_db


def rec(device, when, volume=None, **values):
    out = {"device": device.serial, "observed_at": when.isoformat()}
    if volume is not None:
        out["volume_m3"] = volume
    out.update(values)
    return out


def test_resending_the_same_readings_stores_nothing_new(mk, city_admin):
    d = mk.device()
    rows = [rec(d, at(2026, 3, 1, h), 1000 + 10 * h, flow_m3s="0.0028") for h in range(5)]
    first = services.ingest_readings(rows, actor=city_admin)
    assert (first.offered, first.accepted, first.duplicates, first.rejected) == (5, 5, 0, 0)
    second = services.ingest_readings(list(reversed(rows)), actor=city_admin)
    assert (second.offered, second.accepted, second.duplicates, second.conflicts) == (5, 0, 5, 0)
    assert Reading.objects.filter(device=d).count() == 5
    assert set(second.issues.values_list("outcome", flat=True)) == {Outcome.DUPLICATE}
    assert first.status == second.status == BatchStatus.DONE


def test_a_different_value_for_a_stored_time_is_a_conflict_and_the_stored_reading_stays(mk, city_admin):
    d = mk.device()
    services.ingest_readings([rec(d, at(2026, 3, 1, 8), 500)], actor=city_admin)
    batch = services.ingest_readings([rec(d, at(2026, 3, 1, 8), 999)], actor=city_admin)
    assert (batch.accepted, batch.conflicts) == (0, 1)
    issue = batch.issues.get()
    assert issue.code == "conflict" and "volume_m3=500" in issue.message
    assert Reading.objects.get(device=d).volume_m3 == 500


def test_out_of_order_readings_are_accepted(mk, city_admin):
    d = mk.device()
    services.ingest_readings([rec(d, at(2026, 3, 2, 8), 200)], actor=city_admin)
    batch = services.ingest_readings([rec(d, at(2026, 3, 1, 8), 100), rec(d, at(2026, 2, 28, 8), 50)], actor=city_admin)
    assert batch.accepted == 2
    assert list(Reading.objects.filter(device=d).order_by("observed_at").values_list("volume_m3", flat=True)) == [50, 100, 200]
    # the state keeps the newest observation, not the last received
    assert DeviceState.objects.get(device=d).last_volume_m3 == 200


def test_bad_rows_are_rejected_with_reasons_and_good_rows_are_kept(mk, city_admin):
    d = mk.device()
    retired = mk.device()
    retired.status = "retired"
    retired.save()
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    rows = [
        rec(d, at(2026, 4, 1, 8), 100),  # 1 good
        {"device": "NO-SUCH", "observed_at": "2026-04-01 08:00", "volume_m3": 1},  # 2
        {"device": d.serial, "observed_at": "yesterday", "volume_m3": 1},  # 3
        {"device": d.serial, "observed_at": future, "volume_m3": 1},  # 4
        rec(d, at(2026, 4, 1, 9), -5),  # 5
        {"device": d.serial, "observed_at": "2026-04-01 10:00"},  # 6 no values
        rec(d, at(2026, 4, 1, 11), "12a"),  # 7
        rec(d, at(2026, 4, 1, 12), 100_000_000),  # 8 above register max 99 999 999
        rec(retired, at(2026, 4, 1, 8), 1),  # 9
        {"observed_at": "2026-04-01 08:00", "volume_m3": 1},  # 10
        rec(d, at(2026, 4, 1, 13), 130, quality="maybe"),  # 11
        rec(d, at(2026, 4, 1, 14), 140, quality="可疑"),  # 12 good (suspect)
    ]
    batch = services.ingest_readings(rows, actor=city_admin)
    assert (batch.offered, batch.accepted, batch.rejected) == (12, 2, 10)
    codes = dict(batch.issues.values_list("row", "code"))
    assert codes == {2: "unknown_device", 3: "bad_time", 4: "future_time", 5: "negative_volume", 6: "no_values",
                     7: "bad_number", 8: "volume_out_of_range", 9: "device_retired", 10: "missing_device", 11: "bad_quality"}
    assert all(i.message and i.message_en for i in batch.issues.all())
    assert Reading.objects.get(device=d, observed_at=at(2026, 4, 1, 14)).quality == "suspect"


def test_missing_values_stay_missing_and_decimals_are_floored_with_the_raw_kept(mk, city_admin):
    d = mk.device()
    services.ingest_readings([
        {"device": d.serial, "observed_at": "2026-05-01T08:00:00+08:00", "flow_m3s": Decimal("-0.0125"), "level_m": None},
        {"device": d.serial, "observed_at": "2026-05-01T09:00:00Z", "volume_m3": Decimal("1234.99"), "battery_v": "3.61"},
    ], actor=city_admin)
    flow_only, with_volume = Reading.objects.filter(device=d).order_by("observed_at")
    assert flow_only.volume_m3 is None and flow_only.level_m is None
    assert flow_only.flow_m3s == Decimal("-0.0125")  # reverse flow is a real, negative value
    assert with_volume.volume_m3 == 1234
    assert with_volume.raw["volume_m3"] == "1234.99"
    assert with_volume.observed_at == dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)


def test_repeats_inside_one_delivery(mk, city_admin):
    d = mk.device()
    batch = services.ingest_readings([rec(d, at(2026, 6, 1, 8), 10), rec(d, at(2026, 6, 1, 8), 10), rec(d, at(2026, 6, 1, 8), 11)],
                                     actor=city_admin)
    assert (batch.accepted, batch.duplicates, batch.conflicts) == (1, 1, 1)
    assert sorted(batch.issues.values_list("code", flat=True)) == ["conflict_in_batch", "duplicate_in_batch"]


def test_dry_run_reports_and_stores_nothing(mk, city_admin):
    d = mk.device()
    services.ingest_readings([rec(d, at(2026, 6, 2, 8), 10)], actor=city_admin)
    batch = services.ingest_readings([rec(d, at(2026, 6, 2, 8), 10), rec(d, at(2026, 6, 2, 9), 20), rec(d, at(2026, 6, 2, 10), -1)],
                                     actor=city_admin, dry_run=True)
    assert (batch.accepted, batch.duplicates, batch.rejected) == (1, 1, 1)
    assert batch.status == BatchStatus.PREVIEWED
    assert Reading.objects.filter(device=d).count() == 1


def test_one_audit_record_per_batch(mk, city_admin):
    d = mk.device()
    before = AuditEvent.objects.filter(action="ingest_readings").count()
    batch = services.ingest_readings([rec(d, at(2026, 6, 3, h), h) for h in range(20)], actor=city_admin)
    events = AuditEvent.objects.filter(action="ingest_readings")
    assert events.count() == before + 1
    assert events.order_by("-id").first().after["accepted"] == 20 == batch.accepted


def test_scope_a_county_officer_can_only_send_readings_of_their_county(mk, tanghe_officer, neixiang_officer, users):
    neixiang_device = mk.device(mk.permit("411325"))
    batch = services.ingest_readings([rec(neixiang_device, at(2026, 6, 4, 8), 1)], actor=tanghe_officer)
    assert (batch.accepted, batch.rejected) == (0, 1)
    assert batch.issues.get().code == "unknown_device"  # does not reveal another county's device
    ok = services.ingest_readings([rec(neixiang_device, at(2026, 6, 4, 8), 1)], actor=neixiang_officer)
    assert ok.accepted == 1
    with pytest.raises(Forbidden):
        services.ingest_readings([rec(neixiang_device, at(2026, 6, 4, 9), 1)], actor=users["auditor"])


def test_limits_on_one_call(mk, city_admin):
    with pytest.raises(ValidationFailed):
        services.ingest_readings([], actor=city_admin)
    before = IngestionBatch.objects.count()
    with pytest.raises(ValidationFailed):
        services.ingest_readings([{}] * (services.MAX_API_READINGS + 1), actor=city_admin)
    assert IngestionBatch.objects.count() == before


def dirty(device):
    state = DeviceState.objects.get(device=device)
    return (state.dirty_from, state.dirty_to)


def test_new_readings_mark_the_days_between_their_neighbours_for_recomputation(mk, city_admin):
    d = mk.device()
    services.ingest_readings([rec(d, at(2025, 12, 31, 12), 1000), rec(d, at(2026, 1, 1, 12), 1240)], actor=city_admin)
    assert dirty(d) == (dt.date(2025, 12, 31), dt.date(2026, 1, 1))
    assert services.refresh_usage(device_ids=[d.pk]) == 1
    assert dirty(d) == (None, None)
    day = DeviceUse.objects.get(device=d, period=Period.DAY, start=dt.date(2026, 1, 1))
    assert day.volume_m3 == 120 and day.estimated
    # an in-order reading marks only the days from the previous counted reading to it
    services.ingest_readings([rec(d, at(2026, 1, 3, 12), 1480)], actor=city_admin)
    assert dirty(d) == (dt.date(2026, 1, 1), dt.date(2026, 1, 3))
    # a reading without a volume does not move the counted predecessor
    services.ingest_readings([rec(d, at(2026, 1, 4, 12), None, flow_m3s="0.001")], actor=city_admin)
    services.refresh_usage(device_ids=[d.pk])
    services.ingest_readings([rec(d, at(2026, 1, 5, 12), 1720)], actor=city_admin)
    assert dirty(d) == (dt.date(2026, 1, 3), dt.date(2026, 1, 5))
    services.refresh_usage(device_ids=[d.pk])
    # a back-filled reading marks the days between its neighbours
    services.ingest_readings([rec(d, at(2025, 12, 30, 12), 760)], actor=city_admin)
    assert dirty(d) == (dt.date(2025, 12, 30), dt.date(2025, 12, 31))
    services.refresh_usage(device_ids=[d.pk])
    assert DeviceUse.objects.get(device=d, period=Period.DAY, start=dt.date(2025, 12, 31)).volume_m3 == 120 + 120
    assert DeviceUse.objects.get(device=d, period=Period.MONTH, start=dt.date(2026, 1, 1)).volume_m3 == 1720 - 1120
    assert DeviceUse.objects.get(device=d, period=Period.YEAR, start=dt.date(2025, 1, 1)).volume_m3 == 360
    # what was built bit by bit is what a full recomputation from the readings gives
    assert services.verify_usage([d], [2025, 2026]) == []


def test_bulk_recomputation_gives_the_same_figures(mk, city_admin):
    devices = [mk.device() for _ in range(3)]
    for n, d in enumerate(devices):
        services.ingest_readings([rec(d, at(2026, 2, 27, 6) + dt.timedelta(hours=7 * k), 10_000 + k * (100 + n)) for k in range(30)],
                                 actor=city_admin)
    services.refresh_usage()
    before = sorted(DeviceUse.objects.filter(device__in=devices).values_list("device_id", "period", "start", "volume_m3", "flags"))
    DeviceUse.objects.filter(device__in=devices).delete()
    assert services.recompute_bulk(dt.date(2026, 2, 1), dt.date(2026, 3, 31), devices) == 3
    after = sorted(DeviceUse.objects.filter(device__in=devices).values_list("device_id", "period", "start", "volume_m3", "flags"))
    assert before == after and len(before) == 3 * (9 + 2 + 1)  # 27 Feb–7 Mar, Feb and Mar, 2026
    assert services.verify_usage(devices, [2026]) == []


def test_issues_are_itemised_with_row_numbers(mk, city_admin):
    d = mk.device()
    batch = services.ingest_readings([rec(d, at(2026, 7, 1, 8), 1), {"device": d.serial}], actor=city_admin)
    assert list(BatchIssue.objects.filter(batch=batch).values_list("row", "outcome")) == [(2, Outcome.REJECTED)]
