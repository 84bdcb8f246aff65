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
    at: dt.datetime | int  # timezone-aware datetime, or Unix seconds
    volume: int  # accumulated register, whole m³
    quality: str = "good"


@dataclass(frozen=True)
class Interval:
    start: int  # Unix seconds
    end: int
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


def epoch(at: dt.datetime | int) -> int:
    """Unix seconds (observation times are kept to the whole second)."""
    return at if isinstance(at, int) else int(at.timestamp())


def clean_points(points: Iterable[Point]) -> list[tuple[int, int, str]]:
    """(seconds, volume, quality) sorted by time, without invalid readings or readings without a
    volume; of two readings at the same instant the first is kept."""
    rows = sorted((epoch(p.at), p.volume, p.quality) for p in points if p.quality not in EXCLUDED_QUALITIES and p.volume is not None)
    out: list[tuple[int, int, str]] = []
    for row in rows:
        if out and out[-1][0] == row[0]:
            continue
        out.append(row)
    return out


def build_intervals(points: Sequence[tuple[int, int, str]], *, register_max: int, max_rate_m3s: Decimal,
                    gap_seconds: int) -> list[Interval]:
    """Classify each pair of consecutive readings (rules 2–5 above), in exact integer arithmetic:
    ``x ≤ max_rate × elapsed`` is tested as ``x × den ≤ num × elapsed``."""
    num, den = Decimal(max_rate_m3s).as_integer_ratio()
    out = []
    for (t0, v0, q0), (t1, v1, q1) in zip(points, points[1:], strict=False):
        elapsed = t1 - t0
        cap = num * elapsed
        delta = v1 - v0
        if delta >= 0:
            kind, volume = ("normal", delta) if delta * den <= cap else ("jump", 0)
        else:
            rollover = register_max - v0 + 1 + v1
            kind, volume = ("rollover", rollover) if 0 <= rollover and rollover * den <= cap else ("reset", 0)
        out.append(Interval(t0, t1, volume, kind, elapsed > gap_seconds,
                            q0 in LESS_TRUSTED_QUALITIES or q1 in LESS_TRUSTED_QUALITIES, delta))
    return out


_KIND_FLAG = {"normal": 0, "rollover": Flag.ROLLOVER, "reset": Flag.RESET, "jump": Flag.JUMP}


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=TZ)


def _next_day(d: dt.date) -> dt.date:
    return d + dt.timedelta(days=1)


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _next_year(d: dt.date) -> dt.date:
    return dt.date(d.year + 1, 1, 1)


def daily_use(points: Sequence[tuple[int, int, str]], intervals: Sequence[Interval], first_day: dt.date,
              last_day: dt.date) -> list[PeriodUse]:
    """The use of each day from ``first_day`` to ``last_day`` (rule 6), in one sweep over the days
    and the intervals. A day no reading covers has no figure (it is absent from the list)."""
    if not points:
        return []
    times = [p[0] for p in points]
    first, last = times[0], times[-1]
    # cumulative counted volume at each reading
    at_point = [0] * len(points)
    for k, iv in enumerate(intervals):
        at_point[k + 1] = at_point[k] + iv.volume
    n = (last_day - first_day).days + 1
    # day boundaries in Unix seconds (Asia/Shanghai has no DST: one day is 86 400 s)
    b0 = int(local_midnight(first_day).timestamp())
    out: list[PeriodUse] = []
    ip = 0  # index into times: first reading ≥ current boundary
    iv_lo = 0  # first interval that may overlap the current day

    def floor_c(t: int, idx: int) -> tuple[int, bool]:
        """floor(C(t)) where times[idx-1] < t ≤ times[idx] (or t == times[idx])."""
        if idx < len(times) and times[idx] == t:
            return at_point[idx], False
        iv = intervals[idx - 1]
        return at_point[idx - 1] + (iv.volume * (t - iv.start)) // (iv.end - iv.start), True

    for k in range(n):
        t0, t1 = b0 + k * 86400, b0 + (k + 1) * 86400
        if t1 <= first and not (t0 <= first < t1):
            continue
        if t0 > last:
            break
        a, b = max(t0, first), min(t1, last)
        while ip < len(times) and times[ip] < t0:
            ip += 1
        start_idx = ip
        end_idx = bisect.bisect_left(times, t1, lo=start_idx)
        readings = end_idx - start_idx
        if a > b or (a == b and readings == 0):
            continue
        flags = Flag.INCOMPLETE if (a > t0 or b < t1) else 0
        ca, est_a = floor_c(a, bisect.bisect_left(times, a, lo=max(0, start_idx - 1)))
        cb, est_b = floor_c(b, bisect.bisect_left(times, b, lo=start_idx))
        if est_a or est_b:
            flags |= Flag.ESTIMATED
        while iv_lo < len(intervals) and intervals[iv_lo].end <= a:
            iv_lo += 1
        j = iv_lo
        while j < len(intervals) and intervals[j].start < b:
            iv = intervals[j]
            if iv.end > a:
                if iv.gap:
                    flags |= Flag.GAP | Flag.ESTIMATED
                flags |= _KIND_FLAG[iv.kind]
                if iv.suspect:
                    flags |= Flag.SUSPECT
            j += 1
        day = first_day + dt.timedelta(days=k)
        out.append(PeriodUse(start=day, end=day + dt.timedelta(days=1), volume_m3=cb - ca, flags=int(flags), readings=readings))
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
    first_day = first_day or dt.datetime.fromtimestamp(pts[0][0], TZ).date()
    last_day = last_day or dt.datetime.fromtimestamp(pts[-1][0], TZ).date()
    usage.days = daily_use(pts, intervals, first_day, last_day)
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
