"""The one ingestion path every source goes through (API, CSV/XLSX, MQTT, SL 651, SZY206).

A source turns what it received into *records*: plain dicts with a device reference (serial, or
station address for RTUs), an observation time and values, numbered by row. ``process_chunk``
then, in the caller's transaction:

1. normalises each record (``normalize``) or explains why it is rejected;
2. sorts out repeats inside the delivery (identical → duplicate, different → conflict);
3. inserts the rest with ``INSERT … ON CONFLICT (device_id, observed_at) DO NOTHING RETURNING``,
   so exactly the rows that were new are counted as accepted, whatever runs concurrently;
4. compares every row that was not new with the stored reading: the same values are a harmless
   duplicate, different values a *conflict* (the stored reading is kept, the row is reported);
5. moves each device's latest-reading state forward and marks the device-years whose use must be
   recomputed;
6. adds the counts to the batch and itemises every row that was not accepted.

A dry run does all of this except the writes of steps 3 and 5.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, Max, Min
from django.utils import timezone

from shuiquan.registry.choices import DeviceStatus
from shuiquan.registry.models import MeteringDevice

from . import params
from .choices import COUNTED_QUALITIES, Outcome, Quality
from .models import BatchIssue, DeviceModelProfile, DeviceState, IngestionBatch, Reading

TZ = ZoneInfo("Asia/Shanghai")
CHUNK = 1000
#: Rows itemised per batch; beyond this only the counts grow (``issues_truncated``).
MAX_ISSUES = 20_000
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=TZ)

#: Accepted names of each field (API/MQTT use the English keys; files may use the Chinese headers).
ALIASES: dict[str, tuple[str, ...]] = {
    "device": ("device", "serial", "device_serial", "设备编号", "设备", "计量设施编号"),
    "station": ("station", "station_address", "遥测站地址"),
    "observed_at": ("observed_at", "time", "timestamp", "观测时间", "时间"),
    "volume_m3": ("volume_m3", "volume", "累计水量", "累计水量（立方米）", "累计水量(立方米)", "累计水量(m3)"),
    "flow_m3s": ("flow_m3s", "flow", "瞬时流量", "瞬时流量（立方米/秒）", "瞬时流量(立方米/秒)", "瞬时流量(m3/s)"),
    "level_m": ("level_m", "level", "水位", "水位（米）", "水位(米)", "水位(m)"),
    "battery_v": ("battery_v", "battery", "电压", "电池电压", "电池电压（伏）", "电池电压(伏)", "电池电压(V)"),
    "quality": ("quality", "质量", "质量标记"),
}
_LOOKUP = {alias.strip().lower(): name for name, aliases in ALIASES.items() for alias in aliases}
VALUE_FIELDS = ("volume_m3", "flow_m3s", "level_m", "battery_v")
MISSING_TEXT = {"", "-", "—", "--", "na", "n/a", "null", "none", "缺测", "无"}
QUALITY_ALIASES = {
    **{q.value: q.value for q in Quality},
    **{str(q.label): q.value for q in Quality},
}

#: code → (中文, English). ``{}`` placeholders are filled from the issue's arguments.
MESSAGES = {
    "unknown_device": ("未知设备或不在您的管辖范围内：{}", "Unknown device, or not in your scope: {}"),
    "missing_device": ("缺少设备编号", "Device is missing"),
    "device_retired": ("设备已停用：{}", "Device is retired: {}"),
    "missing_time": ("缺少观测时间", "Observation time is missing"),
    "bad_time": ("观测时间格式无法识别：{}", "Unrecognised observation time: {}"),
    "future_time": ("观测时间晚于当前时间：{}", "Observation time is in the future: {}"),
    "too_old": ("观测时间早于2000年：{}", "Observation time is before 2000: {}"),
    "no_values": ("没有任何测值（累计水量、流量、水位、电压均为空）", "No values (volume, flow, level and battery all missing)"),
    "bad_number": ("{}不是有效数字：{}", "{} is not a valid number: {}"),
    "negative_volume": ("累计水量不能为负：{}", "Accumulated volume cannot be negative: {}"),
    "volume_out_of_range": ("累计水量超过设备量程上限 {}：{}", "Accumulated volume exceeds the register maximum {}: {}"),
    "out_of_range": ("{}超出允许范围：{}", "{} is out of range: {}"),
    "bad_quality": ("质量标记无效：{}", "Invalid quality flag: {}"),
    "duplicate": ("重复读数：该设备该时刻已有相同读数", "Duplicate: the same reading is already stored"),
    "duplicate_in_batch": ("本批次内重复的读数", "Repeated within this delivery"),
    "conflict": ("冲突：该设备该时刻已存读数（{}）与本行不同，保留已存读数", "Conflict: a different reading is stored for this device and time ({}); the stored one is kept"),
    "conflict_in_batch": ("本批次内同一设备同一时刻有不同读数，保留先出现的一行", "Different readings for the same device and time within this delivery; the first is kept"),
    "bad_record": ("无法解析的记录：{}", "Unparseable record: {}"),
    "bad_payload": ("消息不是有效的 JSON 读数：{}", "The message is not valid JSON readings: {}"),
    "device_mismatch": ("消息中的设备编号 {} 与主题中的 {} 不一致", "The device {} in the message does not match the topic's {}"),
    "bad_topic": ("主题不符合 <前缀>/readings/<设备编号>：{}", "The topic is not <prefix>/readings/<serial>: {}"),
    "unknown_station": ("未登记的遥测站地址：{}", "Unregistered station address: {}"),
}
FIELD_LABELS = {"volume_m3": ("累计水量", "volume_m3"), "flow_m3s": ("瞬时流量", "flow_m3s"), "level_m": ("水位", "level_m"),
                "battery_v": ("电池电压", "battery_v")}
LIMITS = {"flow_m3s": (Decimal("0.0001"), Decimal("1e10")), "level_m": (Decimal("0.001"), Decimal("1e7")),
          "battery_v": (Decimal("0.01"), Decimal("1e4"))}


# ---------------------------------------------------------------------------------------------
# Records and their normal form
# ---------------------------------------------------------------------------------------------


def canonical(record: dict[str, Any]) -> dict[str, Any]:
    """Map the record's keys to field names (unknown keys are dropped; they stay in ``raw``)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = _LOOKUP.get(str(key).strip().lower())
        if name and name not in out:
            out[name] = value.strip() if isinstance(value, str) else value
    return out


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of a received value (Decimal and datetimes as text; exact, never float)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex().upper()
    return value


@dataclass
class DeviceInfo:
    id: int
    serial: str
    region_id: int
    register_max: int
    retired: bool


@dataclass
class Candidate:
    row: int
    device: DeviceInfo
    device_ref: str
    observed_at: dt.datetime  # aware, whole seconds
    observed_text: str
    volume_m3: int | None
    flow_m3s: Decimal | None
    level_m: Decimal | None
    battery_v: Decimal | None
    quality: str
    raw: dict

    @property
    def key(self) -> tuple[int, dt.datetime]:
        return (self.device.id, self.observed_at)

    @property
    def values(self) -> tuple:
        return (self.volume_m3, self.flow_m3s, self.level_m, self.battery_v)


@dataclass
class Issue:
    row: int
    outcome: str
    code: str
    args: tuple = ()
    device_ref: str = ""
    observed_text: str = ""
    data: dict = field(default_factory=dict)

    def texts(self) -> tuple[str, str]:
        zh, en = MESSAGES[self.code]
        return zh.format(*self.args)[:300], en.format(*self.args)[:300]

    def as_dict(self) -> dict:
        zh, en = self.texts()
        return {"row": self.row, "outcome": self.outcome, "code": self.code, "message": zh, "message_en": en,
                "device": self.device_ref, "observed_at": self.observed_text}


class _Reject(Exception):
    def __init__(self, code: str, *args):
        super().__init__(code)
        self.code = code
        self.args_ = args


def parse_decimal(value: Any, name: str) -> Decimal | None:
    """A received number as an exact Decimal; None for the missing markers. Floats (from JSON
    parsers that produce them) are taken by their shortest text, which is what the sender wrote."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise _Reject("bad_number", FIELD_LABELS[name][0], value)
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Reject("bad_number", FIELD_LABELS[name][0], value)
        number = Decimal(repr(value))
    else:
        text = str(value).strip()
        if text.lower() in MISSING_TEXT:
            return None
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
            text = text.replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _Reject("bad_number", FIELD_LABELS[name][0], text[:40]) from None
    if not number.is_finite():
        raise _Reject("bad_number", FIELD_LABELS[name][0], value)
    return number


def parse_time(value: Any) -> dt.datetime:
    """An observation time: a datetime, ISO 8601 text (``2026-11-01 08:00``, ``…T08:00:00+08:00``,
    ``…Z``, ``2026/11/01 08:00``) or Unix seconds. Times without an offset are Asia/Shanghai.
    Sub-second parts are dropped (they stay in the raw record)."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, Decimal)) and not isinstance(value, bool) and value > 10**9:
        try:
            moment = dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise _Reject("bad_time", str(value)[:40]) from None
    else:
        text = str(value).strip()
        if not text:
            raise _Reject("missing_time")
        norm = text.replace("/", "-")
        if norm.endswith(("Z", "z")):
            norm = norm[:-1] + "+00:00"
        try:
            moment = dt.datetime.fromisoformat(norm)
        except ValueError:
            raise _Reject("bad_time", text[:40]) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=TZ)
    try:
        return moment.replace(microsecond=0).astimezone(dt.UTC)
    except (OverflowError, ValueError):  # e.g. 0001-01-01 in Beijing time is before year 1 in UTC
        raise _Reject("too_old" if moment.year < 2000 else "bad_time", str(value)[:40]) from None


def normalize(row: int, record: dict[str, Any], devices: dict[str, DeviceInfo | None], now: dt.datetime,
              *, by: str = "device", future_tolerance: dt.timedelta) -> Candidate | Issue:
    """One received record → a ``Candidate`` reading, or the ``Issue`` that rejects it."""
    raw = jsonable(record)
    fields = canonical(record)
    ref = str(fields.get(by) or "").strip()
    observed_text = str(fields.get("observed_at") or "")[:40]
    try:
        if not ref:
            raise _Reject("missing_device")
        info = devices.get(ref)
        if info is None:
            raise _Reject("unknown_device", ref)
        if info.retired:
            raise _Reject("device_retired", ref)
        if fields.get("observed_at") in (None, ""):
            raise _Reject("missing_time")
        observed = parse_time(fields["observed_at"])
        if observed > now + future_tolerance:
            raise _Reject("future_time", observed_text)
        if observed < EARLIEST:
            raise _Reject("too_old", observed_text)
        values: dict[str, Decimal | None] = {name: parse_decimal(fields.get(name), name) for name in VALUE_FIELDS}
        if all(v is None for v in values.values()):
            raise _Reject("no_values")
        volume = values["volume_m3"]
        volume_m3 = None
        if volume is not None:
            if volume < 0:
                raise _Reject("negative_volume", volume)
            volume_m3 = int(volume)  # floor: whole cubic metres that have passed the meter
            if volume_m3 > info.register_max:
                raise _Reject("volume_out_of_range", info.register_max, volume)
        quantized: dict[str, Decimal | None] = {}
        for name, (step, limit) in LIMITS.items():
            v = values[name]
            if v is None:
                quantized[name] = None
                continue
            if abs(v) >= limit or (name == "battery_v" and v < 0):
                raise _Reject("out_of_range", FIELD_LABELS[name][0], v)
            quantized[name] = v.quantize(step)
        quality_text = str(fields.get("quality") or "").strip()
        quality = Quality.GOOD.value
        if quality_text:
            quality = QUALITY_ALIASES.get(quality_text) or QUALITY_ALIASES.get(quality_text.lower())
            if quality is None:
                raise _Reject("bad_quality", quality_text[:20])
    except _Reject as rej:
        return Issue(row, Outcome.REJECTED, rej.code, rej.args_, ref[:60], observed_text, raw if isinstance(raw, dict) else {"value": raw})
    return Candidate(
        row=row, device=info, device_ref=ref, observed_at=observed, observed_text=observed_text,
        volume_m3=volume_m3, flow_m3s=quantized["flow_m3s"], level_m=quantized["level_m"],
        battery_v=quantized["battery_v"], quality=quality, raw=raw,
    )


# ---------------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------------


class Directory:
    """Resolves device references for one actor: only devices the actor can see resolve (a system
    process — MQTT, RTU server — has no actor and sees all devices). Cached per delivery."""

    def __init__(self, actor=None, *, by: str = "device"):
        self.actor = actor
        self.by = by
        self.cache: dict[str, DeviceInfo | None] = {}

    def _queryset(self):
        qs = MeteringDevice.objects.all()
        if self.actor is not None and getattr(self.actor, "pk", None):
            qs = qs.restrict(self.actor, "view")
        return qs

    def resolve(self, refs: Iterable[str]) -> dict[str, DeviceInfo | None]:
        wanted = {r for r in refs if r and r not in self.cache}
        if wanted:
            column = "serial" if self.by == "device" else "station_address"
            lookup = {r.upper() if self.by == "station" else r: r for r in wanted}
            for row in self._queryset().filter(**{f"{column}__in": list(lookup)}).values(
                "id", "serial", "station_address", "region_id", "register_max_m3", "status"
            ):
                key = lookup.get(row[column].upper() if self.by == "station" else row[column])
                if key is not None:
                    self.cache[key] = DeviceInfo(row["id"], row["serial"], row["region_id"], row["register_max_m3"],
                                                 row["status"] == DeviceStatus.RETIRED)
            for r in wanted:
                self.cache.setdefault(r, None)
        return self.cache


def actor_may_ingest(actor) -> bool:
    from .models import INGEST_ROLES

    if actor is None or not getattr(actor, "pk", None):
        return True  # a system process (MQTT subscriber, RTU server, demo loader)
    return actor.is_active and (actor.is_superuser or actor.role in INGEST_ROLES)


def max_rate_for(device: MeteringDevice) -> Decimal:
    profile = DeviceModelProfile.objects.filter(model=device.model).only("max_flow_m3s").first()
    if profile and profile.max_flow_m3s:
        return profile.max_flow_m3s
    return params.MAX_FLOW.value


# ---------------------------------------------------------------------------------------------
# Storing a chunk
# ---------------------------------------------------------------------------------------------

COLUMNS = ["device_id", "observed_at", "volume_m3", "flow_m3s", "level_m", "battery_v", "quality", "batch_id", "raw", "received_at"]


@dataclass
class ChunkResult:
    offered: int = 0
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    issues: list[Issue] = field(default_factory=list)
    regions: set[int] = field(default_factory=set)
    accepted_rows: list[Candidate] = field(default_factory=list)

    def add(self, other: ChunkResult) -> None:
        for name in ("offered", "accepted", "duplicates", "conflicts", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.issues.extend(other.issues)
        self.regions |= other.regions


def _text_or_value(value: Any) -> Any:
    """Key form of a stored timestamp: SQLite stores text and may hand back a naive datetime for
    it, so compare the text; PostgreSQL hands back an aware datetime, compared as is."""
    return value if connection.vendor == "postgresql" else str(value)


def _insert_returning(rows: list[Candidate], batch_id: int, now: dt.datetime) -> set[tuple[int, dt.datetime]]:
    """Insert the rows; return the keys of those that were new (ON CONFLICT DO NOTHING)."""
    if not rows:
        return set()
    qn = connection.ops.quote_name
    table = qn(Reading._meta.db_table)
    cols = ", ".join(qn(c) for c in COLUMNS)
    tail = " ON CONFLICT (device_id, observed_at) DO NOTHING RETURNING device_id, observed_at"
    raw_field = Reading._meta.get_field("raw")
    if connection.vendor == "postgresql":
        # One array per column (10 parameters whatever the number of rows): no giant statement to
        # build and parse, and the server does the unpacking.
        sql = (f"INSERT INTO {table} ({cols}) SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::bigint[], "
               f"%s::numeric[], %s::numeric[], %s::numeric[], %s::varchar[], %s::bigint[], %s::jsonb[], %s::timestamptz[])" + tail)
        import json

        params_ = [[c.device.id for c in rows], [c.observed_at for c in rows], [c.volume_m3 for c in rows],
                   [c.flow_m3s for c in rows], [c.level_m for c in rows], [c.battery_v for c in rows], [c.quality for c in rows],
                   [batch_id] * len(rows), [json.dumps(c.raw, ensure_ascii=False, cls=raw_field.encoder) for c in rows],
                   [now] * len(rows)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params_)
            returned = cursor.fetchall()
        keys = {c.key for c in rows}
        inserted = {(device_id, observed) for device_id, observed in returned}
        if not inserted <= keys:
            raise RuntimeError("inserted readings not matched to the offered rows")
        return inserted
    # SQLite: a multi-row VALUES list (at most 1000 rows × 10 columns per statement).
    prep_dt = Reading._meta.get_field("observed_at").get_db_prep_save
    received = prep_dt(now, connection)
    by_prepared: dict[tuple[int, Any], Candidate] = {}
    params_ = []
    for c in rows:
        observed = prep_dt(c.observed_at, connection)
        by_prepared[(c.device.id, _text_or_value(observed))] = c
        # Decimals go to the driver as they are (Django registers an adapter for SQLite).
        params_ += [c.device.id, observed, c.volume_m3, c.flow_m3s, c.level_m, c.battery_v, c.quality, batch_id,
                    raw_field.get_db_prep_save(c.raw, connection), received]
    placeholders = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({cols}) VALUES " + ", ".join([placeholders] * len(rows)) + tail, params_)
        returned = cursor.fetchall()
    inserted = set()
    for device_id, observed in returned:
        c = by_prepared.get((device_id, _text_or_value(observed)))
        if c is None:
            raise RuntimeError(f"inserted reading {device_id}@{observed} not matched to an offered row")
        inserted.add(c.key)
    return inserted


def _stored(keys: Iterable[tuple[int, dt.datetime]]) -> dict[tuple[int, dt.datetime], tuple]:
    by_device: dict[int, list[dt.datetime]] = defaultdict(list)
    for device_id, observed in keys:
        by_device[device_id].append(observed)
    out = {}
    for device_id, times in by_device.items():
        for row in Reading.objects.filter(device_id=device_id, observed_at__in=times).values_list(
            "device_id", "observed_at", "volume_m3", "flow_m3s", "level_m", "battery_v"
        ):
            out[(row[0], row[1])] = row[2:]
    return out


def _same(a: tuple, b: tuple) -> bool:
    return all((x is None and y is None) or (x is not None and y is not None and Decimal(x) == Decimal(y)) for x, y in zip(a, b, strict=True))


def _describe(values: tuple) -> str:
    names = ("volume_m3", "flow_m3s", "level_m", "battery_v")
    return ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True) if v is not None)


def process_chunk(
    batch: IngestionBatch,
    records: list[tuple[int, dict]],
    *,
    directory: Directory,
    seen: dict[tuple[int, dt.datetime], tuple] | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> ChunkResult:
    """Normalise, de-duplicate and store one chunk of records for ``batch`` (caller's transaction)."""
    now = now or timezone.now()
    seen = seen if seen is not None else {}
    result = ChunkResult(offered=len(records))
    by = directory.by
    directory.resolve(str(canonical(r).get(by) or "").strip() for _n, r in records if "_reject" not in r)
    tolerance = dt.timedelta(minutes=params.FUTURE_MINUTES.value)
    fresh: list[Candidate] = []
    for row, record in records:
        if "_reject" in record:  # rejected by the source before normalising (bad JSON, wrong topic…)
            code, args = record["_reject"]
            raw = {k: v for k, v in record.items() if k != "_reject"}
            result.rejected += 1
            result.issues.append(Issue(row, Outcome.REJECTED, code, tuple(args), str(raw.get("device") or raw.get("station") or "")[:60],
                                       "", jsonable(raw)))
            continue
        item = normalize(row, record, directory.cache, now, by=by, future_tolerance=tolerance)
        if isinstance(item, Issue):
            result.rejected += 1
            result.issues.append(item)
            continue
        earlier = seen.get(item.key)
        if earlier is not None:
            if _same(earlier, item.values):
                result.duplicates += 1
                result.issues.append(Issue(row, Outcome.DUPLICATE, "duplicate_in_batch", (), item.device_ref, item.observed_text))
            else:
                result.conflicts += 1
                result.issues.append(Issue(row, Outcome.CONFLICT, "conflict_in_batch", (), item.device_ref, item.observed_text, item.raw))
            continue
        seen[item.key] = item.values
        fresh.append(item)
    if dry_run:
        stored = _stored(c.key for c in fresh)
        inserted = {c.key for c in fresh if c.key not in stored}
    else:
        inserted = _insert_returning(fresh, batch.pk, now)
        stored = _stored(c.key for c in fresh if c.key not in inserted)
    for c in fresh:
        if c.key in inserted:
            result.accepted += 1
            result.regions.add(c.device.region_id)
            result.accepted_rows.append(c)
        elif _same(stored[c.key], c.values):
            result.duplicates += 1
            result.issues.append(Issue(c.row, Outcome.DUPLICATE, "duplicate", (), c.device_ref, c.observed_text))
        else:
            result.conflicts += 1
            result.issues.append(Issue(c.row, Outcome.CONFLICT, "conflict", (_describe(stored[c.key]),), c.device_ref,
                                       c.observed_text, c.raw))
    if not dry_run and result.accepted_rows:
        _advance_devices(result.accepted_rows, now)
    _count(batch, result)
    return result


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def _advance_devices(rows: list[Candidate], now: dt.datetime) -> None:
    """Under each device's state row lock (device-id order, so concurrent deliveries never
    deadlock): move the latest reading forward and widen the range of days whose use must be
    recomputed — the days between the new readings' neighbours (``accounting`` rule 6)."""
    per_device: dict[int, list[Candidate]] = defaultdict(list)
    for c in rows:
        per_device[c.device.id].append(c)
    ids = sorted(per_device)
    DeviceState.objects.bulk_create([DeviceState(device_id=i) for i in ids], ignore_conflicts=True)
    states = {s.device_id: s for s in DeviceState.objects.select_for_update().filter(device_id__in=ids).order_by("device_id")}
    changed = []
    for device_id in ids:
        cands = per_device[device_id]
        newest = max(cands, key=lambda c: c.observed_at)
        state = states[device_id]
        counted = [c for c in cands if c.volume_m3 is not None and c.quality in COUNTED_QUALITIES]
        if counted:
            cmin = min(c.observed_at for c in counted)
            newest_counted = max(counted, key=lambda c: c.observed_at)
            if state.last_volume_at is None:
                # The first counted readings of the device (the state sees every reading that
                # enters through this service): no neighbours outside the new ones.
                first, last = cmin, newest_counted.observed_at
            elif cmin > state.last_volume_at:
                first, last = state.last_volume_at, newest_counted.observed_at  # appended in order
            else:  # back-fill: the neighbours of the inserted span
                base = Reading.objects.filter(device_id=device_id, volume_m3__isnull=False, quality__in=COUNTED_QUALITIES)
                pred = base.filter(observed_at__lt=cmin).aggregate(t=Max("observed_at"))["t"]
                succ = base.filter(observed_at__gt=newest_counted.observed_at).aggregate(t=Min("observed_at"))["t"]
                first, last = pred or cmin, succ or newest_counted.observed_at
            d0, d1 = _local_day(first), _local_day(last)
            state.dirty_from = d0 if state.dirty_from is None else min(state.dirty_from, d0)
            state.dirty_to = d1 if state.dirty_to is None else max(state.dirty_to, d1)
            if state.last_volume_at is None or newest_counted.observed_at > state.last_volume_at:
                state.last_volume_at = newest_counted.observed_at
        if state.last_observed_at is None or newest.observed_at > state.last_observed_at:
            state.last_observed_at = newest.observed_at
            state.last_volume_m3 = newest.volume_m3
        state.last_received_at = now
        changed.append(state)
    DeviceState.objects.bulk_update(changed, ["last_observed_at", "last_volume_m3", "last_received_at", "last_volume_at",
                                              "dirty_from", "dirty_to"])


def _count(batch: IngestionBatch, result: ChunkResult) -> None:
    """Add the chunk's counts to the batch row and itemise its issues (up to ``MAX_ISSUES``)."""
    itemised = BatchIssue.objects.filter(batch=batch).count() if result.issues else 0
    room = max(0, MAX_ISSUES - itemised)
    keep, dropped = result.issues[:room], result.issues[room:]
    if keep:
        BatchIssue.objects.bulk_create([
            BatchIssue(batch=batch, row=i.row, outcome=i.outcome, code=i.code, message=i.texts()[0], message_en=i.texts()[1],
                       device_ref=i.device_ref[:60], observed_at_text=i.observed_text[:40], data=i.data)
            for i in keep
        ])
    IngestionBatch.objects.filter(pk=batch.pk).update(
        offered=F("offered") + result.offered, accepted=F("accepted") + result.accepted,
        duplicates=F("duplicates") + result.duplicates, conflicts=F("conflicts") + result.conflicts,
        rejected=F("rejected") + result.rejected, issues_truncated=F("issues_truncated") + len(dropped),
        heartbeat_at=timezone.now(),
    )


def parse_json_payload(payload: bytes | str) -> Any:
    """JSON with exact decimals (never floats)."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8")
    return json.loads(payload, parse_float=Decimal)


__all__ = ["ALIASES", "Candidate", "ChunkResult", "Directory", "Issue", "canonical", "normalize", "parse_decimal",
           "parse_time", "process_chunk", "parse_json_payload", "actor_may_ingest", "max_rate_for"]
