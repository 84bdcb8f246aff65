"""Use accounting from accumulated readings: pure functions, no database, no floats.

Input: the readings of one device (time, accumulated register in whole m³, quality), in any order.
Output: the device's use in each day, month or year, with flags saying how much to trust it.

The rules (docs/metering.md, "Use accounting"):

1. **Intervals.** Readings are sorted by observation time; ``invalid`` readings and readings
   without a volume are ignored. Each pair of consecutive readings is an interval whose volume is
   the register difference.
2. **Plausibility.** The largest volume an interval can hold is ``max_rate × elapsed seconds``
   (``max_rate``: the device model's rated flow, else the parameter ``metering.max_flow_m3s``).
3. **Rollover vs reset.** When the register goes down, the meter either rolled over (passed
   ``register_max`` and restarted at 0) or was reset or replaced. The rollover volume would be
   ``register_max − previous + 1 + current``. If that is plausible for the elapsed time it is a
   **rollover** and counts; otherwise it is a **reset**: nothing is counted across it, a new
   segment starts at the new value, and every period that contains it is flagged.
4. **Jumps.** An increase larger than plausible is a **jump** (e.g. a replacement meter starting
   high, or a corrupt value): not counted, flagged like a reset.
5. **Gaps.** An interval longer than ``gap_seconds`` is a gap. Its volume is real (the register
   says so) and is counted; how it splits between periods is not known, so every period it
   touches is flagged ``GAP`` and ``ESTIMATED``. Nothing is invented where no reading follows:
   after the last reading (and before the first) there is no use, and the period is flagged
   ``INCOMPLETE``.
6. **Boundaries.** The cumulative use C(t) is linear inside each interval. A day's use is
   ``floor(C(end)) − floor(C(start))`` with the day clipped to [first reading, last reading].
   A boundary that falls between readings is interpolated and flags the day ``ESTIMATED``.
   Because every day uses the same floored C at shared boundaries, the days telescope: a month's
   use is exactly the sum of its days, and a year's the sum of its months. A month (year) carries
   every flag of its days, and is ``INCOMPLETE`` unless every one of its days has a complete figure.
   A day's figure depends only on the readings from the last one at or before its start to the
   first one at or after its end, so new readings only ever require recomputing the days between
   their neighbours (``services.refresh_usage``).

Everything is integer arithmetic on whole m³ and whole seconds, so the same readings always give
the same numbers (``manage.py recompute_use --verify`` checks the stored results against them).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntFlag
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
EXCLUDED_QUALITIES = {"invalid"}
LESS_TRUSTED_QUALITIES = {"suspect", "estimated", "manual"}


class Flag(IntFlag):
    ESTIMATED = 1  # a period boundary was interpolated between two readings
    GAP = 2  # an interval longer than the gap threshold touches the period
    ROLLOVER = 4  # the register rolled over inside the period (counted)
    RESET = 8  # the register was reset or the meter replaced (not counted across)
    JUMP = 16  # an implausible increase (not counted)
    INCOMPLETE = 32  # readings do not cover the whole period
    SUSPECT = 64  # a reading of quality suspect / estimated / manual contributed


FLAG_LABELS = {
    Flag.ESTIMATED: ("估算", "estimated"),
    Flag.GAP: ("缺测", "gap"),
    Flag.ROLLOVER: ("翻转", "rollover"),
    Flag.RESET: ("清零/换表", "reset"),
    Flag.JUMP: ("异常跳变", "jump"),
    Flag.INCOMPLETE: ("数据不完整", "incomplete"),
    Flag.SUSPECT: ("含可疑读数", "suspect readings"),
}


def flag_names(flags: int, language: str = "zh") -> list[str]:
    idx = 1 if language.startswith("en") else 0
    return [labels[idx] for flag, labels in FLAG_LABELS.items() if flags & flag]


@dataclass(frozen=True)
class Point:
    at: dt.datetime  # timezone-aware
    volume: int  # accumulated register, whole m³
    quality: str = "good"


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime
    volume: int  # counted volume (0 for reset and jump)
    kind: str  # normal | rollover | reset | jump
    gap: bool
    suspect: bool
    raw_delta: int  # current − previous register value


@dataclass
class PeriodUse:
    start: dt.date  # first day of the period (local date)
    end: dt.date  # first day after the period
    volume_m3: int
    flags: int = 0
    readings: int = 0

    @property
    def estimated(self) -> bool:
        return bool(self.flags & Flag.ESTIMATED)

    @property
    def complete(self) -> bool:
        return not self.flags & Flag.INCOMPLETE


@dataclass
class DeviceUsage:
    days: list[PeriodUse] = field(default_factory=list)
    months: list[PeriodUse] = field(default_factory=list)
    years: list[PeriodUse] = field(default_factory=list)
    intervals: list[Interval] = field(default_factory=list)

    def total(self) -> int:
        return sum(p.volume_m3 for p in self.years)


def _seconds(a: dt.datetime, b: dt.datetime) -> int:
    """Whole seconds from a to b (observation times are kept to the second)."""
    delta = b - a
    return delta.days * 86400 + delta.seconds


def clean_points(points: Iterable[Point]) -> list[Point]:
    """Sorted by time, without invalid readings; of two readings at the same instant the first is kept."""
    out: list[Point] = []
    for p in sorted((p for p in points if p.quality not in EXCLUDED_QUALITIES and p.volume is not None), key=lambda p: p.at):
        if out and out[-1].at == p.at:
            continue
        out.append(p)
    return out


def build_intervals(points: Sequence[Point], *, register_max: int, max_rate_m3s: Decimal, gap_seconds: int) -> list[Interval]:
    """Classify each pair of consecutive readings (rules 2–5 above)."""
    out = []
    for a, b in zip(points, points[1:], strict=False):
        elapsed = _seconds(a.at, b.at)
        cap = max_rate_m3s * elapsed
        delta = b.volume - a.volume
        if delta >= 0:
            kind, volume = ("normal", delta) if delta <= cap else ("jump", 0)
        else:
            rollover = register_max - a.volume + 1 + b.volume
            kind, volume = ("rollover", rollover) if 0 <= rollover <= cap else ("reset", 0)
        out.append(Interval(
            start=a.at, end=b.at, volume=volume, kind=kind, gap=elapsed > gap_seconds,
            suspect=a.quality in LESS_TRUSTED_QUALITIES or b.quality in LESS_TRUSTED_QUALITIES, raw_delta=delta,
        ))
    return out


class Cumulative:
    """C(t): cumulative counted volume since the first reading, linear inside each interval."""

    def __init__(self, points: Sequence[Point], intervals: Sequence[Interval]):
        self.times = [p.at for p in points]
        self.intervals = list(intervals)
        self.at_point = [0]
        for iv in intervals:
            self.at_point.append(self.at_point[-1] + iv.volume)
        self.first = self.times[0] if self.times else None
        self.last = self.times[-1] if self.times else None

    def floor_at(self, t: dt.datetime) -> tuple[int, bool]:
        """floor(C(t)) for first ≤ t ≤ last, and whether t was interpolated (not a reading time)."""
        i = bisect.bisect_left(self.times, t)
        if i < len(self.times) and self.times[i] == t:
            return self.at_point[i], False
        iv = self.intervals[i - 1]  # times[i-1] < t < times[i]
        span = _seconds(iv.start, iv.end)
        part = _seconds(iv.start, t)
        return self.at_point[i - 1] + (iv.volume * part) // span, True

    def intervals_overlapping(self, a: dt.datetime, b: dt.datetime) -> list[Interval]:
        """Intervals with a positive overlap with (a, b)."""
        if a >= b:
            return []
        i = max(0, bisect.bisect_right(self.times, a) - 1)
        out = []
        while i < len(self.intervals) and self.intervals[i].start < b:
            if self.intervals[i].end > a:
                out.append(self.intervals[i])
            i += 1
        return out


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=TZ)


def _next_day(d: dt.date) -> dt.date:
    return d + dt.timedelta(days=1)


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _next_year(d: dt.date) -> dt.date:
    return dt.date(d.year + 1, 1, 1)


def period_use(cum: Cumulative, points: Sequence[Point], start: dt.date, end: dt.date) -> PeriodUse | None:
    """The use in [start, end) (local dates), or None if no reading covers any of it."""
    if cum.first is None:
        return None
    t0, t1 = local_midnight(start), local_midnight(end)
    a, b = max(t0, cum.first), min(t1, cum.last)
    times = cum.times
    readings = bisect.bisect_left(times, t1) - bisect.bisect_left(times, t0)
    if a > b or (a == b and readings == 0):
        return None
    flags = 0
    if a > t0 or b < t1:
        # Open at the start (first reading after the period began) or at the end (no reading at
        # or after the period's end yet): only the covered part is counted, nothing is invented.
        flags |= Flag.INCOMPLETE
    ca, est_a = cum.floor_at(a)
    cb, est_b = cum.floor_at(b)
    if est_a or est_b:
        flags |= Flag.ESTIMATED
    for iv in cum.intervals_overlapping(a, b):
        if iv.gap:
            flags |= Flag.GAP | Flag.ESTIMATED
        if iv.kind == "rollover":
            flags |= Flag.ROLLOVER
        elif iv.kind == "reset":
            flags |= Flag.RESET
        elif iv.kind == "jump":
            flags |= Flag.JUMP
        if iv.suspect:
            flags |= Flag.SUSPECT
    return PeriodUse(start=start, end=end, volume_m3=cb - ca, flags=flags, readings=readings)


def _periods(first: dt.date, last: dt.date, step) -> list[tuple[dt.date, dt.date]]:
    out = []
    d = first
    while d <= last:
        nxt = step(d)
        out.append((d, nxt))
        d = nxt
    return out


def device_usage(
    points: Iterable[Point],
    *,
    register_max: int,
    max_rate_m3s: Decimal,
    gap_seconds: int,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
) -> DeviceUsage:
    """Daily, monthly and annual use of one device between ``first_day`` and ``last_day``
    (inclusive; default: the span of its readings)."""
    pts = clean_points(points)
    intervals = build_intervals(pts, register_max=register_max, max_rate_m3s=Decimal(max_rate_m3s), gap_seconds=gap_seconds)
    usage = DeviceUsage(intervals=intervals)
    if not pts:
        return usage
    cum = Cumulative(pts, intervals)
    first_day = first_day or pts[0].at.astimezone(TZ).date()
    last_day = last_day or pts[-1].at.astimezone(TZ).date()
    for start, end in _periods(first_day, last_day, _next_day):
        pu = period_use(cum, pts, start, end)
        if pu is not None:
            usage.days.append(pu)
    usage.months = roll_up(usage.days, _next_month)
    usage.years = roll_up(usage.months, _next_year)
    return usage


def _period_start(d: dt.date, step) -> dt.date:
    return d.replace(day=1) if step is _next_month else d.replace(month=1, day=1)


def roll_up(parts: Sequence[PeriodUse], step) -> list[PeriodUse]:
    """Months from days (``step=_next_month``) or years from months (``_next_year``): volumes and
    readings add up, flags combine, and a period missing any part (or with an incomplete part)
    is ``INCOMPLETE``."""
    out: dict[dt.date, PeriodUse] = {}
    count: dict[dt.date, int] = {}
    for p in parts:
        key = _period_start(p.start, step)
        agg = out.setdefault(key, PeriodUse(start=key, end=step(key), volume_m3=0))
        agg.volume_m3 += p.volume_m3
        agg.flags |= p.flags
        agg.readings += p.readings
        count[key] = count.get(key, 0) + 1
    for key, agg in out.items():
        expected = (agg.end - agg.start).days if step is _next_month else 12
        if count[key] < expected:
            agg.flags |= Flag.INCOMPLETE
    return [out[k] for k in sorted(out)]


def months_from_days(days: Sequence[PeriodUse]) -> list[PeriodUse]:
    return roll_up(days, _next_month)


def years_from_months(months: Sequence[PeriodUse]) -> list[PeriodUse]:
    return roll_up(months, _next_year)


def year_usage(points: Iterable[Point], year: int, **kwargs) -> DeviceUsage:
    """``device_usage`` restricted to the periods of ``year``. ``points`` should include the last
    reading before the year and the first after it, so the year's boundaries can be interpolated."""
    return device_usage(points, first_day=dt.date(year, 1, 1), last_day=dt.date(year, 12, 31), **kwargs)
