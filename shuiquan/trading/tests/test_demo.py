"""Demo data: skipped cleanly without allocated rights; with rights in the ledger-tree shape it makes
trades of every type through the services, and the ledger balances."""

import pytest

from shuiquan.ledger.invariants import verify_ledger
from shuiquan.trading import demo
from shuiquan.trading.choices import TradeStatus
from shuiquan.trading.models import Listing, Trade

pytestmark = pytest.mark.django_db


def test_demo_is_skipped_without_allocated_rights():
    if demo._has_rights():
        pytest.skip("allocated rights are loaded in this database")
    assert demo.load("small") == {"skipped": "no allocated rights yet"}


def test_demo_makes_trades_of_every_type_on_allocated_rights(rights):
    if Trade.objects.filter(is_demo=True).exists():
        pytest.skip("the demo has already been loaded in this database")
    summary = demo.load("small")
    assert "skipped_parts" not in summary, summary
    assert summary["permit_trades"] == 1 and summary["regional_trades"] == 1 and summary["snwd_trades"] == 2
    assert summary["irrigation_trades"] == 1 and summary["reserve_trades"] == 2 and summary["order_book_fills"] >= 1
    trades = Trade.objects.filter(is_demo=True)
    assert set(trades.values_list("trade_type", flat=True)) == {"permit", "regional", "irrigation"}
    assert trades.filter(status=TradeStatus.REGISTERED).count() >= 7
    assert Listing.objects.filter(status="open", is_demo=True).count() == 1
    assert verify_ledger() == []
