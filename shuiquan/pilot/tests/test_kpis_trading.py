"""The pilot's KPIs are computed live from trades registered through trading's real procedure."""

import pytest

from shuiquan.pilot import kpis
from shuiquan.trading import services as trading
from shuiquan.trading.tests.test_permit_trade import permit_trade

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock_at(monkeypatch):
    from shuiquan.trading.tests.conftest import Clock

    return Clock(monkeypatch)


@pytest.fixture
def rights(db, city_admin):
    from shuiquan.trading.tests.builders import build_rights

    return build_rights(city_admin)


def _by_key():
    return {k.key: k for k in kpis.compute()}


def test_a_registered_permit_trade_counts_once_as_a_permit_trade(users, rights):
    before = _by_key()
    trade, _, _ = permit_trade(users, rights)
    assert _by_key()["permit_trades"].to_date == before["permit_trades"].to_date  # settled, not yet in the ledger
    trading.register(actor=users["neixiang_officer"], trade=trade, approval_number="内水许变〔2026〕7号")
    after = _by_key()
    assert after["permit_trades"].to_date == before["permit_trades"].to_date + 1
    assert after["irrigation_trades"].to_date == before["irrigation_trades"].to_date
    assert after["snwd_new_volume_m3"].to_date == before["snwd_new_volume_m3"].to_date


def test_snwd_sale_to_another_city_adds_its_annual_volume(users, rights):
    from shuiquan.finance.tests.test_funds import _snwd_sale

    before = _by_key()["snwd_new_volume_m3"].to_date
    _take, sale = _snwd_sale(users, rights, volume=5_000_000)
    trading.register(actor=users["city_admin"], trade=sale)
    assert _by_key()["snwd_new_volume_m3"].to_date == before + 5_000_000
