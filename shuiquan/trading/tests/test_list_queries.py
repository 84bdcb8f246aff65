"""The trade API list reads each trade's listing with the trades (it made one query per trade;
found by bench/bench_pages.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuiquan.trading.models import Listing, Trade

pytestmark = pytest.mark.django_db


def test_trade_api_list_reads_listings_with_the_trades(api, users):
    assert Trade.objects.count() >= 5 and Listing.objects.exists()
    client = api(users["city_admin"])
    client.get("/api/v1/trading/trades/?page_size=50")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/trading/trades/?page_size=50")
    assert response.status_code == 200
    assert any(row["listing"] for row in response.json()["results"])
    assert sum('FROM "trading_listing"' in q["sql"] for q in ctx.captured_queries) == 0  # joined into the trade query
