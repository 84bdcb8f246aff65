"""Supervision test fixtures: trading's frozen clock and the rights the trading tests build (reused
from ``shuiquan.trading.tests``, so trades here go through trading's real procedure)."""

import pytest


@pytest.fixture(autouse=True)
def clock_at(monkeypatch):
    from shuiquan.trading.tests.conftest import Clock

    return Clock(monkeypatch)


@pytest.fixture
def rights(db, city_admin):
    from shuiquan.trading.tests.builders import build_rights

    return build_rights(city_admin)
