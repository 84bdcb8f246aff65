"""Trading test fixtures: a frozen clock (2 March 2026, a Monday, 09:00 Beijing time) and the
rights allocation's demo registered (see ``builders``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shuiquan.trading import clock

TZ = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


class Clock:
    """A movable clock: ``clock_at.set(datetime)`` / ``clock_at.advance(days=…, minutes=…)``."""

    def __init__(self, monkeypatch):
        self.now = START
        monkeypatch.setattr(clock, "now", lambda: self.now)

    def set(self, when: dt.datetime):
        self.now = when

    def advance(self, **kwargs):
        self.now = self.now + dt.timedelta(**kwargs)
        return self.now


@pytest.fixture(autouse=True)
def clock_at(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def rights(db, city_admin):
    from .builders import build_rights

    return build_rights(city_admin)


@pytest.fixture
def ledger_snapshot():
    """``snap = ledger_snapshot()`` … ``assert ledger_snapshot() == snap``: entries, postings, balances, locks."""
    from shuiquan.ledger.models import JournalEntry, Posting, RightBalance, VolumeLock

    def take():
        return (
            JournalEntry.objects.count(),
            Posting.objects.count(),
            sorted(RightBalance.objects.values_list("right_id", "year", "balance", "locked")),
            sorted(VolumeLock.objects.values_list("pk", "status", "amount")),
        )

    return take
