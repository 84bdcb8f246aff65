"""Metering services: ingestion batches, uploads, use recomputation, alarms, M2 check.

Every state change runs in a transaction, locks what it changes and raises ``core.errors``.
Auditing (documented in docs/metering.md): bulk ingestion writes **one audit record per batch**
(when the batch closes, with its counts; an upload also when its import is confirmed) — not one
per reading; each alarm opened, closed or acknowledged writes its own record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from shuiquan.core import audit, faults
from shuiquan.core.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from shuiquan.core.roles import Role
from shuiquan.core.scoping import get_scoped
from shuiquan.core.uploads import check_upload
from shuiquan.registry.models import MeteringDevice, WithdrawalPermit

from . import accounting, files, params, usage
from .choices import COUNTED_QUALITIES, AlarmKind, AlarmLevel, BatchStatus, Period, Source
from .ingestion import CHUNK, ChunkResult, Directory, actor_may_ingest, max_rate_for, process_chunk
from .models import Alarm, BatchIssue, DeviceState, DeviceUse, IngestionBatch, Reading

log = logging.getLogger("shuiquan.metering")

#: Largest number of readings one API call may carry.
MAX_API_READINGS = 10_000
#: A running upload whose heartbeat is older than this is taken over by another runner.
STALE_AFTER = dt.timedelta(minutes=2)


def _actor_user(actor):
    return actor if getattr(actor, "pk", None) else None


def _require_ingest(actor) -> None:
    if not actor_may_ingest(actor):
        raise Forbidden(code="ingest_forbidden", message="您的角色不能提交计量读数",
                        message_en="Your role may not submit meter readings")


# ---------------------------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def open_batch(*, actor, source: str, label: str = "", extra: dict | None = None, dry_run: bool = False,
               is_demo: bool = False) -> IngestionBatch:
    """Start a delivery of readings (an API call, an MQTT window, an RTU connection)."""
    _require_ingest(actor)
    if source not in Source.values:
        raise ValidationFailed("bad_source", f"未知来源：{source}", f"Unknown source: {source}")
    return IngestionBatch.objects.create(
        source=source, status=BatchStatus.RUNNING, dry_run=dry_run, created_by=_actor_user(actor), label=label[:200],
        extra=extra or {}, started_at=timezone.now(), heartbeat_at=timezone.now(), is_demo=is_demo,
    )


@transaction.atomic
def add_records(batch: IngestionBatch, records: list[tuple[int, dict]], *, actor, by: str = "device",
                seen: dict | None = None, directory: Directory | None = None) -> ChunkResult:
    """Add records to an open batch (idempotent per reading; exact counts)."""
    batch = IngestionBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.RUNNING:
        raise Conflict("batch_closed", f"批次 {batch.number} 已结束", f"Batch {batch.number} is closed")
    directory = directory or Directory(_actor_user(actor), by=by)
    seen = seen if seen is not None else {}
    total = ChunkResult()
    for i in range(0, len(records), CHUNK):
        total.add(process_chunk(batch, records[i : i + CHUNK], directory=directory, seen=seen, dry_run=batch.dry_run))
    regions = set(batch.extra.get("regions", [])) | total.regions
    if regions != set(batch.extra.get("regions", [])):
        IngestionBatch.objects.filter(pk=batch.pk).update(extra={**batch.extra, "regions": sorted(regions)})
    faults.point("ingest_chunk")  # crash-safety tests only (inert unless SHUIQUAN_FAULT is set)
    return total


@transaction.atomic
def close_batch(batch: IngestionBatch, *, actor, status: str | None = None, error: str = "") -> IngestionBatch:
    """Finish a batch: its region (if all its readings are in one), its status, one audit record."""
    batch = IngestionBatch.objects.select_for_update().get(pk=batch.pk)
    regions = batch.extra.get("regions", [])
    batch.region_id = regions[0] if len(regions) == 1 else None
    batch.status = status or (BatchStatus.PREVIEWED if batch.dry_run else BatchStatus.DONE)
    batch.finished_at = timezone.now()
    batch.error = error[:2000]
    if batch.total is None or batch.total < batch.offered:
        batch.total = batch.offered
    batch.processed = max(batch.processed, batch.offered)
    batch.save(update_fields=["region", "status", "finished_at", "error", "total", "processed"])
    if not batch.dry_run:
        audit.record(
            actor=actor, action="ingest_readings", obj=batch,
            after={"source": batch.source, "label": batch.label, **batch.summary()},
            message=f"读数接收批次 {batch.number}：接收 {batch.accepted}，重复 {batch.duplicates}，冲突 {batch.conflicts}，拒收 {batch.rejected}",
        )
    return batch


@transaction.atomic
def ingest_readings(records: Iterable[dict[str, Any]], *, actor, source: str = Source.API, label: str = "",
                    dry_run: bool = False, by: str = "device", extra: dict | None = None) -> IngestionBatch:
    """One delivery in one transaction (the REST batch endpoint): returns the closed batch, whose
    counts and ``issues`` say what was accepted and why anything was not."""
    records = list(records)
    if len(records) > MAX_API_READINGS:
        raise ValidationFailed("too_many_readings", f"一次最多提交 {MAX_API_READINGS} 条读数", f"At most {MAX_API_READINGS} readings per call")
    if not records:
        raise ValidationFailed("no_readings", "没有读数", "No readings")
    batch = open_batch(actor=actor, source=source, label=label, extra=extra, dry_run=dry_run)
    IngestionBatch.objects.filter(pk=batch.pk).update(total=len(records))
    add_records(batch, [(i, r if isinstance(r, dict) else {"value": r}) for i, r in enumerate(records, start=1)], actor=actor, by=by)
    return close_batch(batch, actor=actor)


# ---------------------------------------------------------------------------------------------
# Uploads (CSV / XLSX): preview, confirm, run in the background with progress
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def create_upload(upload, *, actor) -> IngestionBatch:
    """Store an uploaded file and queue its preview (a dry run: nothing is stored as readings)."""
    _require_ingest(actor)
    kind = check_upload(upload, kinds=("csv", "xlsx"))
    content = upload.read()
    digest = hashlib.sha256(content).hexdigest()
    name = Path(getattr(upload, "name", "") or f"upload.{kind}").name
    batch = IngestionBatch(
        source=Source.CSV if kind == "csv" else Source.XLSX, status=BatchStatus.QUEUED_PREVIEW, dry_run=True,
        created_by=_actor_user(actor), label=name[:200], upload_sha256=digest,
        extra={"file_kind": kind, "size": len(content)},
    )
    batch.upload.save(f"{digest[:16]}.{kind}", ContentFile(content), save=False)
    batch.save()
    return batch


def _owned(batch_id: int, actor, *, lock: bool = True) -> IngestionBatch:
    batch = get_scoped(IngestionBatch.objects.all(), actor, batch_id, "view", lock=lock)
    if not (actor.is_superuser or actor.role == Role.CITY_ADMIN or batch.created_by_id == actor.pk):
        raise Forbidden(code="not_your_batch", message="只能操作自己提交的批次", message_en="You may act only on batches you submitted")
    return batch


@transaction.atomic
def confirm_upload(batch_id: int, *, actor) -> IngestionBatch:
    """After the preview: import the file for real (queued for the background runner)."""
    _require_ingest(actor)
    batch = _owned(batch_id, actor)
    if batch.status != BatchStatus.PREVIEWED:
        raise Conflict("not_previewed", "只有预检完成的批次可以确认导入", "Only a previewed batch can be imported")
    BatchIssue.objects.filter(batch=batch).delete()
    batch.status = BatchStatus.QUEUED
    batch.dry_run = False
    for name in ("processed", "offered", "accepted", "duplicates", "conflicts", "rejected", "issues_truncated"):
        setattr(batch, name, 0)
    batch.extra = {k: v for k, v in batch.extra.items() if k != "regions"}
    batch.extra["preview"] = {"finished_at": batch.finished_at.isoformat() if batch.finished_at else None}
    batch.started_at = batch.finished_at = None
    batch.save()
    audit.record(actor=actor, action="ingest_confirm", obj=batch, after={"file": batch.label, "sha256": batch.upload_sha256},
                 message=f"确认导入 {batch.label}", region_code="")
    return batch


@transaction.atomic
def cancel_batch(batch_id: int, *, actor) -> IngestionBatch:
    batch = _owned(batch_id, actor)
    if batch.status not in (BatchStatus.QUEUED_PREVIEW, BatchStatus.PREVIEWED, BatchStatus.QUEUED):
        raise Conflict("not_cancellable", "该批次已开始导入或已结束，不能取消", "This batch has started or finished and cannot be cancelled")
    batch.status = BatchStatus.CANCELLED
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    return batch


def claim_batch(batch_id: int) -> IngestionBatch | None:
    """Take a queued (or abandoned) upload for running; None if another runner has it."""
    now = timezone.now()
    stale = now - STALE_AFTER
    transitions = [
        (Q(status=BatchStatus.QUEUED_PREVIEW), BatchStatus.PREVIEWING),
        (Q(status=BatchStatus.PREVIEWING, heartbeat_at__lt=stale), BatchStatus.PREVIEWING),
        (Q(status=BatchStatus.QUEUED), BatchStatus.RUNNING),
        (Q(status=BatchStatus.RUNNING, heartbeat_at__lt=stale, upload__gt=""), BatchStatus.RUNNING),
    ]
    for condition, target in transitions:
        with transaction.atomic():
            n = IngestionBatch.objects.filter(condition, pk=batch_id).update(status=target, heartbeat_at=now)
        if n:
            batch = IngestionBatch.objects.get(pk=batch_id)
            if batch.started_at is None:
                IngestionBatch.objects.filter(pk=batch_id).update(started_at=now)
                batch.started_at = now
            return batch
    return None


def run_batch(batch_id: int) -> IngestionBatch | None:
    """Run (or resume) an upload's preview or import, chunk by chunk, each chunk in its own
    transaction together with its progress, so a crash loses nothing and counts nothing twice."""
    batch = claim_batch(batch_id)
    if batch is None:
        return None
    actor = batch.created_by
    preview = batch.status == BatchStatus.PREVIEWING
    try:
        path = Path(batch.upload.path)
        kind = batch.extra.get("file_kind", "csv")
        if preview and batch.processed:
            # A preview is cheap to redo from the start.
            BatchIssue.objects.filter(batch=batch).delete()
            IngestionBatch.objects.filter(pk=batch.pk).update(processed=0, offered=0, accepted=0, duplicates=0, conflicts=0,
                                                              rejected=0, issues_truncated=0)
            batch.processed = 0
        if batch.total is None:
            total = files.count_rows(path, kind)
            IngestionBatch.objects.filter(pk=batch.pk).update(total=total)
        skip = batch.processed
        directory = Directory(actor, by="device")
        seen: dict = {}
        chunk: list[tuple[int, dict]] = []
        done = 0

        def flush(chunk):
            with transaction.atomic():
                current = IngestionBatch.objects.select_for_update().get(pk=batch.pk)
                if current.status not in (BatchStatus.PREVIEWING, BatchStatus.RUNNING):
                    raise Conflict("batch_stopped", "批次已停止", "The batch was stopped")
                result = process_chunk(current, chunk, directory=directory, seen=seen, dry_run=preview)
                regions = sorted(set(current.extra.get("regions", [])) | result.regions)
                IngestionBatch.objects.filter(pk=batch.pk).update(
                    processed=current.processed + len(chunk), extra={**current.extra, "regions": regions})

        for number, record in files.rows(path, kind):
            done += 1
            if done <= skip:
                continue
            chunk.append((number, record))
            if len(chunk) >= CHUNK:
                flush(chunk)
                chunk = []
        if chunk:
            flush(chunk)
        return close_batch(batch, actor=actor or "system")
    except ValidationFailed as exc:
        return _fail(batch, exc.localized("zh-hans"))
    except Conflict:
        return IngestionBatch.objects.get(pk=batch.pk)
    except Exception as exc:  # noqa: BLE001 - recorded on the batch (ERRORED), re-raised for the log
        log.exception("upload batch %s failed", batch.pk)
        _fail(batch, f"处理出错：{exc.__class__.__name__}: {exc}")
        raise


def _fail(batch: IngestionBatch, message: str) -> IngestionBatch:
    with transaction.atomic():
        IngestionBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED, error=message[:2000], finished_at=timezone.now())
    return IngestionBatch.objects.get(pk=batch.pk)


def close_stale_streams(older_than: dt.timedelta = dt.timedelta(hours=1)) -> int:
    """Close MQTT/RTU batch windows left open by a process that died (their heartbeat is old)."""
    n = 0
    stale = timezone.now() - older_than
    for batch in IngestionBatch.objects.filter(source__in=[Source.MQTT, Source.SL651, Source.SZY206], status=BatchStatus.RUNNING,
                                               heartbeat_at__lt=stale):
        close_batch(batch, actor="system", error="接收进程未正常结束，批次窗口已关闭 / closed: the receiving process did not stop cleanly")
        n += 1
    return n


def runnable_batches() -> list[int]:
    """Uploads waiting for a runner, or abandoned by one (heartbeat too old)."""
    stale = timezone.now() - STALE_AFTER
    return list(IngestionBatch.objects.filter(
        Q(status__in=[BatchStatus.QUEUED_PREVIEW, BatchStatus.QUEUED])
        | Q(status__in=[BatchStatus.PREVIEWING, BatchStatus.RUNNING], heartbeat_at__lt=stale, upload__gt="")
    ).order_by("pk").values_list("pk", flat=True))


# ---------------------------------------------------------------------------------------------
# Use recomputation
# ---------------------------------------------------------------------------------------------


def _counted_readings():
    return Reading.objects.filter(volume_m3__isnull=False, quality__in=COUNTED_QUALITIES)


def device_points(device_id: int, first: dt.datetime, last: dt.datetime) -> list[accounting.Point]:
    """Counted readings in [first, last] plus the nearest one before and after (for boundaries)."""
    base = _counted_readings().filter(device_id=device_id)
    rows = list(base.filter(observed_at__gte=first, observed_at__lte=last).order_by("observed_at")
                .values_list("observed_at", "volume_m3", "quality"))
    before = base.filter(observed_at__lt=first).order_by("-observed_at").values_list("observed_at", "volume_m3", "quality").first()
    after = base.filter(observed_at__gt=last).order_by("observed_at").values_list("observed_at", "volume_m3", "quality").first()
    rows = ([before] if before else []) + rows + ([after] if after else [])
    return [accounting.Point(at, volume, quality) for at, volume, quality in rows]


def accounting_params(device: MeteringDevice) -> dict:
    return {"register_max": device.register_max_m3, "max_rate_m3s": max_rate_for(device),
            "gap_seconds": params.GAP_HOURS.value * 3600}


class ParamCache:
    """``accounting_params`` for many devices with two queries in all."""

    def __init__(self):
        from .models import DeviceModelProfile

        self.rates = {m: r for m, r in DeviceModelProfile.objects.exclude(max_flow_m3s=None).values_list("model", "max_flow_m3s") if r}
        self.default_rate = params.MAX_FLOW.value
        self.gap = params.GAP_HOURS.value * 3600

    def __call__(self, device: MeteringDevice) -> dict:
        return {"register_max": device.register_max_m3, "max_rate_m3s": self.rates.get(device.model, self.default_rate),
                "gap_seconds": self.gap}


def compute_days(device: MeteringDevice, first_day: dt.date, last_day: dt.date) -> accounting.DeviceUsage:
    """The device's daily use from ``first_day`` to ``last_day`` (pure computation over its readings)."""
    first = accounting.local_midnight(first_day)
    last = accounting.local_midnight(last_day + dt.timedelta(days=1))
    return accounting.device_usage(device_points(device.pk, first, last), first_day=first_day, last_day=last_day,
                                   **accounting_params(device))


def compute_device_year(device: MeteringDevice, year: int) -> accounting.DeviceUsage:
    return compute_days(device, dt.date(year, 1, 1), dt.date(year, 12, 31))


class UseRow(NamedTuple):
    device_id: int
    period: str
    start: dt.date
    volume_m3: int
    estimated: bool
    complete: bool
    flags: int
    readings: int


def _period_rows(device_id: int, period: str, items) -> list[UseRow]:
    return [UseRow(device_id, period, p.start, p.volume_m3, p.estimated, p.complete, p.flags, p.readings) for p in items]


def _use_rows(device: MeteringDevice, result: accounting.DeviceUsage) -> list[UseRow]:
    return (_period_rows(device.pk, Period.DAY, result.days) + _period_rows(device.pk, Period.MONTH, result.months)
            + _period_rows(device.pk, Period.YEAR, result.years))


def _insert_use_rows(rows: list[UseRow]) -> None:
    """A plain insert of derived, recomputable rows: COPY on PostgreSQL, executemany elsewhere
    (several times faster than ``bulk_create``)."""
    if not rows:
        return
    ops = connection.ops
    qn = ops.quote_name
    cols = ["device_id", "period", "start", "volume_m3", "estimated", "complete", "flags", "readings", "computed_at"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            now = timezone.now()
            with cursor.cursor.copy(f"COPY {qn(DeviceUse._meta.db_table)} ({', '.join(qn(c) for c in cols)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row((*r, now))
            return
        now_text = ops.adapt_datetimefield_value(timezone.now())
        sql = (f"INSERT INTO {qn(DeviceUse._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "
               f"VALUES ({', '.join(['%s'] * len(cols))})")
        cursor.executemany(sql, [(r.device_id, r.period, ops.adapt_datefield_value(r.start), r.volume_m3, r.estimated, r.complete,
                                  r.flags, r.readings, now_text) for r in rows])


def _as_period_use(rows) -> list[accounting.PeriodUse]:
    return [accounting.PeriodUse(start=start, end=start, volume_m3=volume, flags=flags, readings=readings)
            for start, volume, flags, readings in rows]


def _months_between(first_day: dt.date, last_day: dt.date) -> list[dt.date]:
    out, m = [], first_day.replace(day=1)
    while m <= last_day:
        out.append(m)
        m = dt.date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def _roll_up_stored(device_ids: Iterable[int], first_day: dt.date, last_day: dt.date) -> None:
    """Rebuild the month and year rows touched by [first_day, last_day] from the stored day
    (month) rows: a month is the exact sum of its days (``accounting`` rule 6)."""
    ids = sorted(set(device_ids))
    months = _months_between(first_day, last_day)
    m0, m1 = months[0], dt.date(months[-1].year + (months[-1].month == 12), months[-1].month % 12 + 1, 1)
    years = sorted({m.year for m in months})
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        days: dict[int, list] = {}
        for row in DeviceUse.objects.filter(device_id__in=chunk, period=Period.DAY, start__gte=m0, start__lt=m1).order_by(
                "device_id", "start").values_list("device_id", "start", "volume_m3", "flags", "readings"):
            days.setdefault(row[0], []).append(row[1:])
        DeviceUse.objects.filter(device_id__in=chunk, period=Period.MONTH, start__in=months).delete()
        _insert_use_rows([r for d, rows in days.items() for r in _period_rows(d, Period.MONTH, accounting.months_from_days(_as_period_use(rows)))])
        month_rows: dict[int, list] = {}
        for row in DeviceUse.objects.filter(device_id__in=chunk, period=Period.MONTH, start__year__in=years).order_by(
                "device_id", "start").values_list("device_id", "start", "volume_m3", "flags", "readings"):
            month_rows.setdefault(row[0], []).append(row[1:])
        DeviceUse.objects.filter(device_id__in=chunk, period=Period.YEAR, start__in=[dt.date(y, 1, 1) for y in years]).delete()
        _insert_use_rows([r for d, rows in month_rows.items() for r in _period_rows(d, Period.YEAR, accounting.years_from_months(_as_period_use(rows)))])


@transaction.atomic
def recompute_days(device: MeteringDevice, first_day: dt.date, last_day: dt.date) -> accounting.DeviceUsage:
    """Replace the device's daily use from ``first_day`` to ``last_day`` by a fresh computation and
    rebuild the months and years they belong to."""
    result = compute_days(device, first_day, last_day)
    DeviceUse.objects.filter(device=device, period=Period.DAY, start__gte=first_day, start__lte=last_day).delete()
    _insert_use_rows(_period_rows(device.pk, Period.DAY, result.days))
    _roll_up_stored([device.pk], first_day, last_day)
    return result


def recompute_device_year(device: MeteringDevice, year: int) -> accounting.DeviceUsage:
    return recompute_days(device, dt.date(year, 1, 1), dt.date(year, 12, 31))


def refresh_usage(*, device_ids: Iterable[int] | None = None, limit: int | None = None) -> int:
    """Recompute the days that ingestion marked on each device's state (between the neighbours of
    new readings); return how many devices were brought up to date. Each device is done in one
    transaction holding its state row, so readings arriving meanwhile wait and mark again."""
    qs = DeviceState.objects.filter(dirty_from__isnull=False).order_by("device_id")
    if device_ids is not None:
        qs = qs.filter(device_id__in=list(device_ids))
    ids = list(qs.values_list("device_id", flat=True)[:limit] if limit else qs.values_list("device_id", flat=True))
    devices = MeteringDevice.objects.in_bulk(ids)
    done = 0
    for device_id in ids:
        with transaction.atomic():
            state = DeviceState.objects.select_for_update().filter(device_id=device_id, dirty_from__isnull=False).first()
            if state is None:
                continue
            recompute_days(devices[device_id], state.dirty_from, state.dirty_to)
            DeviceState.objects.filter(pk=device_id).update(dirty_from=None, dirty_to=None)
        done += 1
    return done


#: A request brings at most this many devices up to date itself; the rest is left to the job.
REQUEST_REFRESH_LIMIT = 200


def refresh_for_request(device_ids: Iterable[int] | None = None) -> int:
    """Bring use up to date before a page or API answer, within a bounded amount of work; return
    how many devices are still waiting for ``metering_jobs`` (the page says so)."""
    refresh_usage(device_ids=device_ids, limit=REQUEST_REFRESH_LIMIT)
    pending = DeviceState.objects.filter(dirty_from__isnull=False)
    if device_ids is not None:
        pending = pending.filter(device_id__in=list(device_ids))
    return pending.count()


def recompute_bulk(first_day: dt.date, last_day: dt.date, devices: Iterable[MeteringDevice] | None = None) -> int:
    """Recompute daily use (and the months and years touched) for many devices at once, streaming
    their readings in one ordered query — what ``recompute_use`` and the benchmark run. Gives
    exactly the figures of ``recompute_days`` (the same pure functions over the same readings)."""
    devices = list(devices if devices is not None else MeteringDevice.objects.all())
    by_id = {d.pk: d for d in devices}
    first = accounting.local_midnight(first_day)
    last = accounting.local_midnight(last_day + dt.timedelta(days=1))
    counted = _counted_readings()
    # the neighbours just outside the range, by index probes per device
    edges: dict[int, list] = {}
    for lookup, order in (({"observed_at__lt": first}, "-observed_at"), ({"observed_at__gt": last}, "observed_at")):
        near = counted.filter(device=OuterRef("pk"), **lookup).order_by(order)
        for device_id, at, volume, quality in MeteringDevice.objects.filter(pk__in=list(by_id)).annotate(
                t=Subquery(near.values("observed_at")[:1]), v=Subquery(near.values("volume_m3")[:1]),
                q=Subquery(near.values("quality")[:1])).exclude(t=None).values_list("pk", "t", "v", "q"):
            edges.setdefault(device_id, []).append(accounting.Point(at, volume, quality))
    rows: list[UseRow] = []
    done = 0

    finished: set[int] = set()
    param_cache = ParamCache()

    def finish(device_id: int, points: list) -> None:
        nonlocal done
        finished.add(device_id)
        device = by_id[device_id]
        result = accounting.device_usage(points + edges.get(device_id, []), first_day=first_day, last_day=last_day,
                                         **param_cache(device))
        rows.extend(_period_rows(device_id, Period.DAY, result.days))
        done += 1

    with transaction.atomic():
        current, points = None, []
        for device_id, at, volume, quality in _stream_readings(list(by_id), first, last):
            if device_id != current:
                if current is not None:
                    finish(current, points)
                current, points = device_id, []
            points.append(accounting.Point(at, volume, quality))
        if current is not None:
            finish(current, points)
        for device_id in sorted(set(edges) - finished):  # a gap spanning the whole range
            finish(device_id, [])
        DeviceUse.objects.filter(device_id__in=list(by_id), period=Period.DAY, start__gte=first_day, start__lte=last_day).delete()
        _insert_use_rows(rows)
        _roll_up_stored(by_id, first_day, last_day)
        DeviceState.objects.filter(device_id__in=list(by_id), dirty_from__gte=first_day, dirty_to__lte=last_day).update(
            dirty_from=None, dirty_to=None)
    return done


def _stream_readings(device_ids: list[int], first: dt.datetime, last: dt.datetime):
    """(device id, Unix seconds, volume, quality) of the counted readings in [first, last], ordered
    by device and time; on PostgreSQL through a server-side cursor with the time as an integer."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor(name=f"use_stream_{id(device_ids)}") as cur:
            cur.itersize = 50_000
            cur.execute(
                "SELECT device_id, extract(epoch FROM observed_at)::bigint, volume_m3, quality FROM metering_reading "
                "WHERE device_id = ANY(%s) AND observed_at >= %s AND observed_at <= %s AND volume_m3 IS NOT NULL "
                "AND quality = ANY(%s) ORDER BY device_id, observed_at",
                [device_ids, first, last, list(COUNTED_QUALITIES)],
            )
            yield from cur
        return
    for device_id, at, volume, quality in _counted_readings().filter(
            device_id__in=device_ids, observed_at__gte=first, observed_at__lte=last).order_by("device_id", "observed_at").values_list(
            "device_id", "observed_at", "volume_m3", "quality").iterator(chunk_size=20_000):
        yield device_id, int(at.timestamp()), volume, quality


def verify_usage(devices: Iterable[MeteringDevice], years: Iterable[int]) -> list[dict]:
    """Recompute from the readings and compare with what is stored; return the differences."""
    diffs = []
    for device in devices:
        for year in years:
            fresh = {(r.period, r.start): (r.volume_m3, r.flags) for r in _use_rows(device, compute_device_year(device, year))}
            stored = {(r.period, r.start): (r.volume_m3, r.flags) for r in DeviceUse.objects.filter(
                device=device, start__gte=dt.date(year, 1, 1), start__lte=dt.date(year, 12, 31))}
            for key in sorted(set(fresh) | set(stored)):
                if fresh.get(key) != stored.get(key):
                    diffs.append({"device": device.serial, "period": key[0], "start": key[1].isoformat(),
                                  "stored": stored.get(key), "recomputed": fresh.get(key)})
    return diffs


# ---------------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------------

LEVEL_TEXT = {AlarmLevel.WARNING: ("预警", "warning"), AlarmLevel.ALARM: ("报警", "alarm")}


def _desired_use_alarms(statuses: list[usage.PermitUse]) -> dict[tuple[str, str], dict]:
    out = {}
    for s in statuses:
        p = s.permit
        for kind, limit, lvl, what, what_en in (
            (AlarmKind.RIGHT_USE, s.right_m3, s.right_level, "用水权", "right"),
            (AlarmKind.PLAN_USE, s.plan_m3, s.plan_level, "年度取水计划", "annual plan"),
        ):
            if lvl is None:
                continue
            pct = s.ratio(limit)
            pct_text = f"{pct * 100:.1f}%" if pct is not None else "—"
            out[(kind, f"permit:{p.pk}:{s.year}")] = dict(
                level=lvl, permit=p, holder_id=p.holder_id, region_id=p.region_id, year=s.year, used_m3=s.used_m3, limit_m3=limit,
                message=f"{p.number} {p.holder}：{s.year}年已用水 {s.used_m3:,} 立方米，为{what} {limit:,} 立方米的 {pct_text}（{LEVEL_TEXT[lvl][0]}）",
                message_en=f"{p.number}: {s.used_m3:,} m³ used in {s.year}, {pct_text} of the {what_en} of {limit:,} m³ ({LEVEL_TEXT[lvl][1]})",
            )
    return out


def _desired_silent(now: dt.datetime) -> dict[tuple[str, str], dict]:
    out = {}
    for s in usage.silent_devices(now):
        d = s.device
        last = timezone.localtime(s.last_observed_at).strftime("%Y-%m-%d %H:%M") if s.last_observed_at else "从未上报"
        last_en = timezone.localtime(s.last_observed_at).strftime("%Y-%m-%d %H:%M") if s.last_observed_at else "never"
        out[(AlarmKind.SILENT_DEVICE, f"device:{d.pk}")] = dict(
            level=AlarmLevel.WARNING, device=d, holder_id=d.intake_point.water_user_id, region_id=d.region_id,
            permit_id=d.intake_point.permit_id,
            message=f"计量设施 {d.serial} 已 {s.hours} 小时无读数（最新读数：{last}）",
            message_en=f"Device {d.serial} silent for {s.hours} h (last reading: {last_en})",
        )
    return out


def _desired_m1() -> dict[tuple[str, str], dict]:
    out = {}
    for f in usage.m1_findings():
        p = f.permit
        where = "、".join(i.code for i in f.lacking) or "无取水口"
        out[(AlarmKind.M1_METERING, f"permit:{p.pk}")] = dict(
            level=AlarmLevel.WARNING, permit=p, holder_id=p.holder_id, region_id=p.region_id, limit_m3=f.threshold_m3,
            used_m3=p.annual_volume_m3,
            message=f"M1：{p.number} {p.holder} 年许可水量 {p.annual_volume_m3:,} 立方米，达到 {f.threshold_m3:,} 立方米门槛，取水口（{where}）未安装符合标准的在线计量设施",
            message_en=f"M1: permit {p.number} ({p.annual_volume_m3:,} m³/year, threshold {f.threshold_m3:,}) lacks compliant online metering at intake(s) {where}",
        )
    return out


def _reconcile(kinds: Iterable[str], desired: dict[tuple[str, str], dict], *, actor, now, scope: Q | None = None,
               is_demo: bool = False) -> dict[str, int]:
    counts = {"opened": 0, "closed": 0, "updated": 0}
    open_qs = Alarm.objects.select_for_update().filter(kind__in=list(kinds), closed_at__isnull=True)
    if scope is not None:
        open_qs = open_qs.filter(scope)
    current = {(a.kind, a.subject_key): a for a in open_qs.order_by("pk")}
    for key, alarm in current.items():
        want = desired.get(key)
        if want is not None and want["level"] == alarm.level:
            changed = [f for f in ("used_m3", "limit_m3", "message", "message_en") if f in want and getattr(alarm, f) != want[f]]
            if changed:
                for f in changed:
                    setattr(alarm, f, want[f])
                alarm.save(update_fields=changed)
                counts["updated"] += 1
            continue
        reason = "级别变化" if want is not None else "已解除"
        alarm.closed_at = now
        alarm.close_reason = reason
        alarm.save(update_fields=["closed_at", "close_reason"])
        audit.record(actor=actor, action="alarm_closed", obj=alarm, after={"level": alarm.level, "reason": reason},
                     message=alarm.message)
        counts["closed"] += 1
    for key, want in desired.items():
        if key in current and current[key].closed_at is None:
            continue
        fields = {k: v for k, v in want.items()}
        alarm = Alarm.objects.create(kind=key[0], subject_key=key[1], opened_at=now, is_demo=is_demo, **fields)
        audit.record(actor=actor, action="alarm_opened", obj=alarm,
                     after={"kind": alarm.kind, "level": alarm.level, "used_m3": alarm.used_m3, "limit_m3": alarm.limit_m3},
                     message=alarm.message)
        counts["opened"] += 1
    return counts


@transaction.atomic
def evaluate_alarms(*, actor=None, year: int | None = None, now: dt.datetime | None = None, is_demo: bool = False) -> dict[str, int]:
    """Bring the open alarms in line with the current use, rights, plans, devices and M1 rule:
    open what is new, close what has cleared, replace an alarm whose level changed."""
    now = now or timezone.now()
    year = year or timezone.localtime(now).year
    actor = actor or "system"
    refresh_usage()
    statuses = usage.permits_use(usage.active_permits(year), year)
    counts = {}
    use = _reconcile([AlarmKind.RIGHT_USE, AlarmKind.PLAN_USE], _desired_use_alarms(statuses), actor=actor, now=now,
                     scope=Q(year=year), is_demo=is_demo)
    silent = _reconcile([AlarmKind.SILENT_DEVICE], _desired_silent(now), actor=actor, now=now, is_demo=is_demo)
    m1 = _reconcile([AlarmKind.M1_METERING], _desired_m1(), actor=actor, now=now, is_demo=is_demo)
    for part in (use, silent, m1):
        for k, v in part.items():
            counts[k] = counts.get(k, 0) + v
    return counts


@transaction.atomic
def evaluate_permit_alarms(permits: Iterable[WithdrawalPermit], year: int, *, actor=None, now=None) -> dict[str, int]:
    """Re-evaluate the use alarms of some permits (e.g. both parties right after a trade)."""
    now = now or timezone.now()
    permits = list(permits)
    ids = [p.pk for p in permits]
    refresh_usage(device_ids=MeteringDevice.objects.filter(intake_point__permit__in=ids).values_list("pk", flat=True))
    statuses = usage.permits_use(WithdrawalPermit.objects.filter(pk__in=ids), year)
    keys = [f"permit:{pk}:{year}" for pk in ids]
    return _reconcile([AlarmKind.RIGHT_USE, AlarmKind.PLAN_USE], _desired_use_alarms(statuses), actor=actor or "system", now=now,
                      scope=Q(subject_key__in=keys))


@transaction.atomic
def acknowledge_alarm(alarm_id: int, *, actor, note: str = "") -> Alarm:
    """The responsible office confirms it has seen the alarm (it stays open until it clears)."""
    alarm = get_scoped(Alarm.objects.all(), actor, alarm_id, "change", lock=True)
    if alarm.acknowledged_at is not None:
        raise Conflict("already_acknowledged", "该告警已确认", "This alarm has already been acknowledged")
    alarm.acknowledged_at = timezone.now()
    alarm.acknowledged_by = actor
    alarm.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit.record(actor=actor, action="alarm_acknowledged", obj=alarm, after={"note": note[:300]}, message=alarm.message)
    return alarm


# ---------------------------------------------------------------------------------------------
# M2: both parties of a trade have online metering at their intakes
# ---------------------------------------------------------------------------------------------


def require_online_metering(permit: WithdrawalPermit, *, rule: str = "M2", role_text: str = "") -> None:
    """Refuse (RuleViolation) unless every intake of the permit has an active, online,
    standard-compliant metering device. Trading calls this for both parties (M2, S5)."""
    lacking, no_intake = usage.metering_gaps(permit)
    if no_intake or lacking:
        where = "、".join(i.code for i in lacking) or "无登记取水口"
        raise RuleViolation(
            rule, "no_online_metering",
            f"{role_text}{permit.number}（{permit.holder}）的取水口（{where}）未安装符合国家技术标准的在线计量设施",
            f"{permit.number} ({permit.holder}) lacks compliant online metering at intake(s): {where}",
            detail={"permit": permit.number, "intakes": [i.code for i in lacking]},
        )

