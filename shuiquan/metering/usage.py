"""Use per device, intake, permit, holder, region and source; use against rights and plans; M1;
silent devices. Read-side functions (the writes are in ``services``).

Use of a device comes from ``DeviceUse`` (computed from the readings by ``accounting`` and kept
fresh by ``services.refresh_usage``); everything above a device is a sum of device figures.

Use against rights (rule of record: each permit's withdrawal right in the ledger, read with
``ledger.services.right_for_permit`` and its balance for the year, so a trade — a ledger transfer
seller → buyer for the year — moves both parties' thresholds the moment it is posted).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import RightKind, RightStatus
from shuiquan.ledger.models import RightBalance, WaterRight
from shuiquan.registry.choices import ACTIVE_PERMIT_STATUSES, DeviceStatus, SourceType
from shuiquan.registry.models import AnnualWithdrawalPlan, MeteringDevice, WithdrawalPermit

from . import params
from .accounting import Flag
from .choices import AlarmLevel, Period, Subject
from .models import DeviceState, DeviceUse

# ---------------------------------------------------------------------------------------------
# Levels and thresholds
# ---------------------------------------------------------------------------------------------


def level_for(used: int, limit: int | None, warn_pct: int, alarm_pct: int) -> str | None:
    """``alarm`` when used ≥ alarm_pct % of limit, ``warning`` when ≥ warn_pct %, else None (exact
    integer comparison; no rounding). Any use against a zero limit is an alarm."""
    if limit is None:
        return None
    if limit <= 0:
        return AlarmLevel.ALARM if used > 0 else None
    if used * 100 >= limit * alarm_pct:
        return AlarmLevel.ALARM
    if used * 100 >= limit * warn_pct:
        return AlarmLevel.WARNING
    return None


def threshold_m3(limit: int, pct: int) -> int:
    """The smallest whole m³ at which ``pct`` % of ``limit`` is reached."""
    return -(-limit * pct // 100)


def current_levels() -> tuple[int, int]:
    return params.WARNING_PCT.value, params.ALARM_PCT.value


# ---------------------------------------------------------------------------------------------
# Sums of device use
# ---------------------------------------------------------------------------------------------

SUBJECT_PATH = {
    Subject.DEVICE: "device",
    Subject.INTAKE: "device__intake_point",
    Subject.PERMIT: "device__intake_point__permit",
    Subject.HOLDER: "device__intake_point__water_user",
    Subject.REGION: "device__region",
    Subject.SOURCE: "device__intake_point__source",
}


def period_start(period: str, year: int, month: int | None = None) -> dt.date:
    return dt.date(year, month or 1, 1)


def use_rows(period: str, year: int, month: int | None = None, qs: QuerySet | None = None) -> QuerySet:
    """``DeviceUse`` rows of ``period`` within ``year`` (and ``month`` for days)."""
    qs = qs if qs is not None else DeviceUse.objects.all()
    qs = qs.filter(period=period)
    if period == Period.YEAR:
        return qs.filter(start=dt.date(year, 1, 1))
    if period == Period.MONTH:
        return qs.filter(start__year=year) if month is None else qs.filter(start=dt.date(year, month, 1))
    first = dt.date(year, month or 1, 1)
    last = dt.date(year + (month == 12), (month % 12) + 1, 1) if month else dt.date(year + 1, 1, 1)
    return qs.filter(start__gte=first, start__lt=last)


@dataclass
class UseFigure:
    subject_id: int | None
    start: dt.date
    volume_m3: int = 0
    flags: int = 0
    devices: int = 0

    @property
    def estimated(self) -> bool:
        return bool(self.flags & Flag.ESTIMATED)


def aggregate(subject: str, period: str, year: int, month: int | None = None, qs: QuerySet | None = None) -> list[UseFigure]:
    """Use per subject (device, intake, permit, holder, region, source) and period start."""
    path = SUBJECT_PATH[Subject(subject)]
    out: dict[tuple, UseFigure] = {}
    for subject_id, start, volume, flags in use_rows(period, year, month, qs).values_list(path, "start", "volume_m3", "flags"):
        fig = out.setdefault((subject_id, start), UseFigure(subject_id, start))
        fig.volume_m3 += volume
        fig.flags |= flags
        fig.devices += 1
    return sorted(out.values(), key=lambda f: (f.subject_id or 0, f.start))


def permit_year_use(permit_ids: Iterable[int], year: int) -> dict[int, tuple[int, int]]:
    """permit id → (use in the year, flags)."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for pid, volume, flags in use_rows(Period.YEAR, year).filter(device__intake_point__permit__in=list(permit_ids)).values_list(
        "device__intake_point__permit", "volume_m3", "flags"
    ):
        out[pid][0] += volume
        out[pid][1] |= flags
    return {k: (v[0], v[1]) for k, v in out.items()}


def permit_months(permit: WithdrawalPermit, year: int) -> list[UseFigure]:
    figures = {m: UseFigure(permit.pk, dt.date(year, m, 1)) for m in range(1, 13)}
    for start, volume, flags in use_rows(Period.MONTH, year).filter(device__intake_point__permit=permit).values_list(
        "start", "volume_m3", "flags"
    ):
        fig = figures[start.month]
        fig.volume_m3 += volume
        fig.flags |= flags
        fig.devices += 1
    return [figures[m] for m in range(1, 13)]


# ---------------------------------------------------------------------------------------------
# Use against rights and plans
# ---------------------------------------------------------------------------------------------


@dataclass
class PermitUse:
    """A permit's use in a year against its right (ledger balance, trades included), its annual
    withdrawal plan and its permitted volume."""

    permit: WithdrawalPermit
    year: int
    used_m3: int
    flags: int
    right: WaterRight | None
    right_m3: int | None  # ledger balance of the permit's withdrawal right for the year
    plan_m3: int | None
    warn_pct: int
    alarm_pct: int
    metered: bool = True  # the permit has at least one device with use rows this year

    @property
    def permit_m3(self) -> int:
        return self.permit.annual_volume_m3

    @property
    def right_level(self) -> str | None:
        return level_for(self.used_m3, self.right_m3, self.warn_pct, self.alarm_pct)

    @property
    def plan_level(self) -> str | None:
        return level_for(self.used_m3, self.plan_m3, self.warn_pct, self.alarm_pct)

    @property
    def permit_level(self) -> str | None:
        return level_for(self.used_m3, self.permit_m3, self.warn_pct, self.alarm_pct)

    @property
    def level(self) -> str | None:
        levels = {self.right_level, self.plan_level}
        return AlarmLevel.ALARM if AlarmLevel.ALARM in levels else AlarmLevel.WARNING if AlarmLevel.WARNING in levels else None

    def ratio(self, limit: int | None) -> Decimal | None:
        if limit is None or limit <= 0:
            return None
        return (Decimal(self.used_m3) / Decimal(limit)).quantize(Decimal("0.0001"))

    @property
    def right_ratio(self) -> Decimal | None:
        return self.ratio(self.right_m3)

    @property
    def plan_ratio(self) -> Decimal | None:
        return self.ratio(self.plan_m3)

    @property
    def permit_ratio(self) -> Decimal | None:
        return self.ratio(self.permit_m3)

    def thresholds(self) -> dict[str, tuple[int, int] | None]:
        """(warning m³, alarm m³) against the right and against the plan."""
        out: dict[str, tuple[int, int] | None] = {}
        for name, limit in (("right", self.right_m3), ("plan", self.plan_m3)):
            out[name] = None if limit is None else (threshold_m3(limit, self.warn_pct), threshold_m3(limit, self.alarm_pct))
        return out

    @property
    def estimated(self) -> bool:
        return bool(self.flags & Flag.ESTIMATED)


def rights_for_permits(permit_ids: Iterable[int]) -> dict[int, WaterRight]:
    """Each permit's withdrawal right: the same choice as ``ledger.services.right_for_permit``
    (the lowest-numbered right of kind ``withdrawal`` that is not cancelled), in one query."""
    out: dict[int, WaterRight] = {}
    for right in WaterRight.objects.filter(permit__in=list(permit_ids), kind=RightKind.WITHDRAWAL).exclude(
        status=RightStatus.CANCELLED
    ).order_by("pk"):
        out.setdefault(right.permit_id, right)
    return out


def permit_use(permit: WithdrawalPermit, year: int) -> PermitUse:
    """One permit, read exactly as the ledger documents it (``right_for_permit`` → ``balance``)."""
    warn, alarm = current_levels()
    used, flags = permit_year_use([permit.pk], year).get(permit.pk, (0, 0))
    right = ledger.right_for_permit(permit)
    right_m3 = ledger.balance(right, year) if right is not None else None
    plan = AnnualWithdrawalPlan.objects.filter(permit=permit, year=year).first()
    metered = DeviceUse.objects.filter(device__intake_point__permit=permit, period=Period.YEAR, start=dt.date(year, 1, 1)).exists()
    return PermitUse(permit, year, used, flags, right, right_m3, plan.volume_m3 if plan else None, warn, alarm, metered)


def permits_use(permits: QuerySet, year: int) -> list[PermitUse]:
    """Many permits at once (same figures as ``permit_use``, in a fixed number of queries)."""
    permits = list(permits.select_related("holder", "region", "source"))
    ids = [p.pk for p in permits]
    warn, alarm = current_levels()
    used = permit_year_use(ids, year)
    rights = rights_for_permits(ids)
    balances = {b.right_id: b.balance for b in RightBalance.objects.filter(right__in=list(rights.values()), year=year)}
    plans = dict(AnnualWithdrawalPlan.objects.filter(permit__in=ids, year=year).values_list("permit_id", "volume_m3"))
    out = []
    for p in permits:
        right = rights.get(p.pk)
        u, f = used.get(p.pk, (0, 0))
        out.append(PermitUse(p, year, u, f, right, balances.get(right.pk, 0) if right else None, plans.get(p.pk), warn, alarm,
                             p.pk in used))
    return out


def active_permits(year: int) -> QuerySet:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return WithdrawalPermit.objects.filter(status__in=ACTIVE_PERMIT_STATUSES, valid_from__lte=last, valid_to__gte=first)


@dataclass
class RegionShare:
    region_id: int
    name: str
    used_m3: int = 0
    limit_m3: int = 0
    permits: int = 0

    @property
    def share(self) -> Decimal | None:
        if not self.limit_m3:
            return None
        return (Decimal(self.used_m3) / Decimal(self.limit_m3)).quantize(Decimal("0.0001"))


def region_shares(statuses: list[PermitUse], basis: str = "right") -> list[RegionShare]:
    """Use as a share of rights (or of permitted volume) per county, over permits that have one."""
    out: dict[int, RegionShare] = {}
    for s in statuses:
        limit = s.right_m3 if basis == "right" else s.permit_m3
        region = s.permit.region
        share = out.setdefault(region.pk, RegionShare(region.pk, region.name))
        if limit is None:
            continue
        share.used_m3 += s.used_m3
        share.limit_m3 += limit
        share.permits += 1
    return sorted(out.values(), key=lambda r: r.name)


# ---------------------------------------------------------------------------------------------
# M1 and silent devices
# ---------------------------------------------------------------------------------------------


@dataclass
class M1Finding:
    permit: WithdrawalPermit
    threshold_m3: int
    lacking: list = field(default_factory=list)  # intakes without an online, standard-compliant device
    no_intake: bool = False


def m1_threshold(permit: WithdrawalPermit) -> int | None:
    """The M1 threshold that applies to the permit's source, or None if M1 does not apply.
    Surface water and SNWD (a surface source) use the surface threshold; groundwater its own;
    non-conventional water is not covered by M1."""
    if permit.source_type == SourceType.GROUNDWATER:
        return params.M1_GROUNDWATER.value
    if permit.source_type in (SourceType.SURFACE, SourceType.SNWD, SourceType.MIXED):
        return params.M1_SURFACE.value
    return None


def compliant_devices() -> QuerySet:
    return MeteringDevice.objects.filter(status=DeviceStatus.ACTIVE, is_online=True, meets_standard=True)


def metering_gaps(permit: WithdrawalPermit) -> tuple[list, bool]:
    """(intakes of the permit lacking an online, standard-compliant device; whether it has no intake)."""
    intakes = list(permit.intake_points.all())
    ok = set(compliant_devices().filter(intake_point__in=intakes).values_list("intake_point_id", flat=True))
    return [i for i in intakes if i.pk not in ok], not intakes


def has_online_metering(permit: WithdrawalPermit) -> bool:
    lacking, no_intake = metering_gaps(permit)
    return not lacking and not no_intake


def m1_findings(permits: QuerySet | None = None, today: dt.date | None = None) -> list[M1Finding]:
    """Active permits at or above their M1 threshold that lack online metering at an intake."""
    today = today or timezone.localdate()
    qs = permits if permits is not None else WithdrawalPermit.objects.all()
    qs = qs.filter(status__in=ACTIVE_PERMIT_STATUSES, valid_to__gte=today).select_related("holder", "region", "source")
    out = []
    for permit in qs.prefetch_related("intake_points"):
        threshold = m1_threshold(permit)
        if threshold is None or permit.annual_volume_m3 < threshold:
            continue
        lacking, no_intake = metering_gaps(permit)
        if lacking or no_intake:
            out.append(M1Finding(permit, threshold, lacking, no_intake))
    return out


@dataclass
class Silence:
    device: MeteringDevice
    last_observed_at: dt.datetime | None
    hours: int


def _silence(now: dt.datetime, cutoff: dt.datetime, last: dt.datetime | None, installed_on: dt.date) -> int | None:
    """Hours a device has been silent, or None if it reported after ``cutoff`` (a device that never
    reported counts from its installation date)."""
    if last is None:
        installed = dt.datetime.combine(installed_on, dt.time(), tzinfo=timezone.get_current_timezone())
        return int((now - installed).total_seconds() // 3600) if installed < cutoff else None
    return int((now - last).total_seconds() // 3600) if last < cutoff else None


def silent_devices(now: dt.datetime | None = None, devices: QuerySet | None = None) -> list[Silence]:
    """Active online devices with no reading for more than ``metering.silent_hours`` (a device that
    never reported counts from its installation date)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=params.SILENT_HOURS.value)
    qs = devices if devices is not None else MeteringDevice.objects.all()
    qs = qs.filter(status=DeviceStatus.ACTIVE, is_online=True).select_related("intake_point", "region")
    states = dict(DeviceState.objects.filter(device__in=qs).values_list("device_id", "last_observed_at"))
    out = []
    for device in qs:
        last = states.get(device.pk)
        hours = _silence(now, cutoff, last, device.installed_on)
        if hours is not None:
            out.append(Silence(device, last, hours))
    return out


def silent_device_ids(now: dt.datetime | None = None, devices: QuerySet | None = None) -> set[int]:
    """The ids of ``silent_devices`` without loading the devices (the device list marks and filters
    by them: with 10,000 devices loading each took 1.8 s — bench/bench_pages.py)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=params.SILENT_HOURS.value)
    qs = devices if devices is not None else MeteringDevice.objects.all()
    qs = qs.filter(status=DeviceStatus.ACTIVE, is_online=True)
    states = dict(DeviceState.objects.filter(device__in=qs).values_list("device_id", "last_observed_at"))
    return {pk for pk, installed_on in qs.values_list("pk", "installed_on").order_by()
            if _silence(now, cutoff, states.get(pk), installed_on) is not None}


__all__ = [
    "PermitUse", "RegionShare", "M1Finding", "Silence", "UseFigure", "aggregate", "active_permits", "has_online_metering",
    "level_for", "m1_findings", "m1_threshold", "metering_gaps", "permit_months", "permit_use", "permits_use",
    "permit_year_use", "region_shares", "rights_for_permits", "silent_device_ids", "silent_devices", "threshold_m3", "use_rows",
]
