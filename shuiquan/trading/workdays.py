"""Working days for procedural deadlines (T5: the saved volume is verified within 20 working days).

A working day is Monday to Friday, minus the dates in ``trading.holidays``, plus the make-up days
in ``trading.extra_workdays`` (调休). The official list is published each year by the State
Council; the city bureau enters it as parameters. Without it, only weekends are skipped (a
documented limitation: a deadline may then fall on a public holiday).
"""

from __future__ import annotations

import datetime as dt

from shuiquan.core import config


def _dates(key: str) -> set[dt.date]:
    out = set()
    for raw in config.get(key) or []:
        try:
            out.add(dt.date.fromisoformat(str(raw).strip()))
        except ValueError:
            continue
    return out


def is_working_day(day: dt.date, holidays: set[dt.date] | None = None, extra: set[dt.date] | None = None) -> bool:
    holidays = _dates("trading.holidays") if holidays is None else holidays
    extra = _dates("trading.extra_workdays") if extra is None else extra
    if day in extra:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date that is ``days`` working days after ``start`` (``start`` itself not counted)."""
    holidays, extra = _dates("trading.holidays"), _dates("trading.extra_workdays")
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays, extra):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
    if end == start:
        return 0
    holidays, extra = _dates("trading.holidays"), _dates("trading.extra_workdays")
    sign = 1 if end > start else -1
    lo, hi = (start, end) if sign > 0 else (end, start)
    n, day = 0, lo
    while day < hi:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays, extra):
            n += 1
    return sign * n


def countdown(due: dt.date | None, today: dt.date | None = None) -> dict | None:
    """Working days left until ``due`` (negative when overdue), for the countdown display."""
    if due is None:
        return None
    from . import clock

    today = today or clock.today()
    left = working_days_between(today, due)
    return {"due": due, "left": left, "overdue": left < 0, "level": "alarm" if left < 0 else ("warning" if left <= 3 else "todo")}
