"""The trading app's clock, in one place so that tests can move time (auction ends, notice
periods, term expiry) without sleeping: ``monkeypatch.setattr(clock, "now", lambda: ...)``."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    return timezone.localtime(now()).date()


def this_year() -> int:
    return today().year
