"""Use accounting from accumulated readings: exact m³ for rollover, reset, a gap, out-of-order
readings, interpolated boundaries (pure functions, no database)."""

import datetime as dt
import random
from decimal import Decimal

from shuiquan.metering.accounting import TZ, Flag, Point, device_usage, year_usage


def at(month, day, hour=0, minute=0, year=2026):
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


# register_max 99 999; plausible flow at most 0.05 m³/s (180 m³/h); a gap is > 24 h.
PARAMS = dict(register_max=99_999, max_rate_m3s=Decimal("0.05"), gap_seconds=24 * 3600)

SCENARIO = [
    Point(at(1, 30, 0), 99_000),
    Point(at(1, 30, 12), 99_600),  # +600 in 12 h
    Point(at(1, 31, 12), 99_900),  # +300
    Point(at(2, 1, 12), 200),  # rollover: 99 999 − 99 900 + 1 + 200 = 300 in 24 h (plausible)
    Point(at(2, 2, 12), 500),  # +300
    Point(at(2, 3, 12), 50),  # down again: a rollover would be 99 550 m³ in 24 h > 4 320 → reset
    Point(at(2, 4, 12), 350),  # +300 on the new segment
    Point(at(2, 7, 12), 1_250),  # +900 over 72 h: a gap (counted, spread, flagged)
    Point(at(2, 8, 0), 1_310),  # +60
]


def shuffled(points, seed=7):
    pts = list(points)
    random.Random(seed).shuffle(pts)
    return pts


def by_start(periods):
    return {p.start: p for p in periods}


def test_rollover_reset_gap_out_of_order_exact_daily_m3():
    usage = device_usage(shuffled(SCENARIO), **PARAMS)
    days = by_start(usage.days)
    expected = {
        dt.date(2026, 1, 30): 750,  # 600 + half of the next 300 (boundary interpolated)
        dt.date(2026, 1, 31): 300,
        dt.date(2026, 2, 1): 300,
        dt.date(2026, 2, 2): 150,  # half of +300; nothing across the reset
        dt.date(2026, 2, 3): 150,
        dt.date(2026, 2, 4): 300,  # 150 + 900 × 12/72
        dt.date(2026, 2, 5): 300,  # 900 × 24/72
        dt.date(2026, 2, 6): 300,
        dt.date(2026, 2, 7): 210,  # 900 × 12/72 + 60
        dt.date(2026, 2, 8): 0,  # one reading at midnight; nothing after it yet
    }
    assert {d: p.volume_m3 for d, p in days.items()} == expected
    assert days[dt.date(2026, 1, 31)].flags & Flag.ROLLOVER
    assert days[dt.date(2026, 2, 1)].flags & Flag.ROLLOVER
    assert days[dt.date(2026, 2, 2)].flags & Flag.RESET and days[dt.date(2026, 2, 3)].flags & Flag.RESET
    assert not days[dt.date(2026, 2, 4)].flags & Flag.RESET
    for d in (4, 5, 6, 7):
        assert days[dt.date(2026, 2, d)].flags & Flag.GAP, d
        assert days[dt.date(2026, 2, d)].estimated
    assert not days[dt.date(2026, 2, 3)].flags & Flag.GAP
    assert days[dt.date(2026, 2, 8)].flags & Flag.INCOMPLETE
    assert all(days[dt.date(2026, 1, 30) + dt.timedelta(days=i)].estimated for i in range(9))


def test_months_and_year_sum_exactly_and_carry_flags():
    usage = device_usage(SCENARIO, **PARAMS)
    months = by_start(usage.months)
    assert months[dt.date(2026, 1, 1)].volume_m3 == 1_050
    assert months[dt.date(2026, 2, 1)].volume_m3 == 1_710
    assert months[dt.date(2026, 1, 1)].flags & Flag.INCOMPLETE  # readings start on 30 January
    feb = months[dt.date(2026, 2, 1)].flags
    assert feb & Flag.ROLLOVER and feb & Flag.RESET and feb & Flag.GAP and feb & Flag.INCOMPLETE
    assert usage.years[0].volume_m3 == 2_760 == sum(p.volume_m3 for p in usage.days)
    for month in usage.months:
        assert month.volume_m3 == sum(d.volume_m3 for d in usage.days if month.start <= d.start < month.end)


def test_same_readings_same_result_in_any_order():
    results = {tuple((p.start, p.volume_m3, p.flags) for p in device_usage(shuffled(SCENARIO, s), **PARAMS).days) for s in range(5)}
    assert len(results) == 1


def test_fractional_boundary_is_floored_consistently():
    # 100 m³ between 23:00 and 02:00: the midnight boundary is 1/3 of the way → C = 33.3 → 33.
    pts = [Point(at(3, 1, 23), 1_000), Point(at(3, 2, 2), 1_100)]
    days = by_start(device_usage(pts, **PARAMS).days)
    assert days[dt.date(2026, 3, 1)].volume_m3 == 33
    assert days[dt.date(2026, 3, 2)].volume_m3 == 67
    assert days[dt.date(2026, 3, 1)].estimated


def test_reading_exactly_on_boundaries_is_not_estimated():
    pts = [Point(at(4, 1, 0), 10), Point(at(4, 1, 12), 110), Point(at(4, 2, 0), 210)]
    day = device_usage(pts, **PARAMS).days[0]
    assert (day.volume_m3, day.flags) == (200, 0)


def test_implausible_jump_is_not_counted_and_flagged():
    # +50 000 m³ in one hour at most 0.05 m³/s (180 m³/h): a new meter or a corrupt value.
    pts = [Point(at(5, 1, 0), 100), Point(at(5, 1, 1), 50_100), Point(at(5, 1, 2), 50_200)]
    day = device_usage(pts, **PARAMS).days[0]
    assert day.volume_m3 == 100
    assert day.flags & Flag.JUMP


def test_invalid_readings_are_ignored_and_suspect_ones_flag_the_period():
    pts = [
        Point(at(6, 1, 0), 100),
        Point(at(6, 1, 6), 90_000, "invalid"),  # ignored entirely
        Point(at(6, 1, 12), 160, "suspect"),
        Point(at(6, 2, 0), 220),
    ]
    day = device_usage(pts, **PARAMS).days[0]
    assert day.volume_m3 == 120
    assert day.flags & Flag.SUSPECT and not day.flags & Flag.RESET


def test_year_usage_interpolates_the_year_boundaries():
    pts = [Point(at(12, 31, 12, year=2025), 1_000), Point(at(1, 1, 12), 1_240), Point(at(12, 31, 12), 5_000),
           Point(at(1, 1, 12, year=2027), 5_100)]
    usage = year_usage(pts, 2026, **PARAMS)
    assert usage.years[0].start == dt.date(2026, 1, 1)
    # C(2026-01-01 00:00) = 120; C(2027-01-01 00:00) = 4 000 + 50 = 4 050 → 3 930
    assert usage.years[0].volume_m3 == 3_930
    assert usage.years[0].estimated and not usage.years[0].flags & Flag.INCOMPLETE
    assert [m.start.month for m in usage.months] == list(range(1, 13))
    assert usage.days[0].start == dt.date(2026, 1, 1) and usage.days[-1].start == dt.date(2026, 12, 31)


def test_no_readings_no_use():
    usage = device_usage([], **PARAMS)
    assert usage.days == [] and usage.total() == 0
    one = device_usage([Point(at(7, 1, 8), 5)], **PARAMS)
    assert one.days[0].volume_m3 == 0 and one.days[0].flags & Flag.INCOMPLETE
