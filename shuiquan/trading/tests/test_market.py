"""Market information: open listings, de-identified deals, volume by type and year, rolling median."""

import datetime as dt
from decimal import Decimal

import pytest

from shuiquan.registry.models import Household
from shuiquan.trading import market
from shuiquan.trading.models import Trade
from shuiquan.trading.parties import mask_household_code

from .conftest import TZ

pytestmark = pytest.mark.django_db


def _households(rights, n=2):
    """``n`` 打磨岗 households holding a household right (one association may have none yet)."""
    return list(Household.objects.filter(association__district__name="打磨岗灌区", pk__in=rights["households"]).order_by("pk")[:n])


def _deal(rights, seller_right, buyer_right, price, day, *, household=None, volume=1000):
    """A completed irrigation trade row (the market is a read model over completed trades)."""
    from shuiquan.trading.parties import party_of_right
    from shuiquan.trading.services import _fill_side

    t = Trade(trade_type="irrigation", mode="order_book", basis="irrigation_right", volume_m3=volume, start_year=2026, end_year=2026,
              status="registered", applicant_id=1, unit_price=Decimal(price), total_price=Decimal(price) * volume)
    _fill_side(t, "seller", party_of_right(seller_right), seller_right)
    _fill_side(t, "buyer", party_of_right(buyer_right), buyer_right)
    t.completed_at = dt.datetime(2026, 3, day, 10, tzinfo=TZ)
    t.save()
    t.number = f"JY2026{t.pk:06d}"
    t.save(update_fields=["number"])
    return t


def test_rolling_median_needs_five_trades_and_excludes_zero_prices(rights, users):
    hh = _households(rights)
    s, b = rights["households"][hh[0].pk], rights["households"][hh[1].pk]
    prices = ["0.30", "0", "0.20", "0.40", "0.25"]
    made = [_deal(rights, s, b, p, day).pk for day, p in enumerate(prices, start=1)]
    mine = lambda: Trade.objects.filter(pk__in=made)  # noqa: E731 — only this test's trades (demo trades may exist)
    series = market.price_series(mine())["irrigation"]
    assert series["count"] == 4 and series["median"] is None  # four priced trades: not enough
    made.append(_deal(rights, s, b, "0.35", 10).pk)
    series = market.price_series(mine())["irrigation"]
    assert series["count"] == 5
    assert series["median"] == Decimal("0.3000")  # median of 0.30 0.20 0.40 0.25 0.35
    assert [p["rolling_median"] for p in series["points"]] == [None, None, None, None, Decimal("0.3000")]
    made.append(_deal(rights, s, b, "1.00", 11).pk)
    assert market.price_series(mine())["irrigation"]["median"] == Decimal("0.3250")  # six trades: (0.30 + 0.35) / 2
    rows = market.volume_by_type_year(mine())
    assert rows == [{"type": "irrigation", "type_label": "灌溉用水户水权交易", "year": 2026, "count": 7, "annual_volume_m3": 7000,
                     "total_volume_m3": 7000, "amount": Decimal("2500.00")}]


def test_median_window_keeps_only_the_last_n(rights, users, city_admin):
    from shuiquan.core import config

    config.set_value("trading.median_window", "5", actor=city_admin)
    hh = _households(rights)
    s, b = rights["households"][hh[0].pk], rights["households"][hh[1].pk]
    made = [_deal(rights, s, b, p, day).pk for day, p in enumerate(["9.00", "0.10", "0.20", "0.30", "0.40", "0.50"], start=1)]
    assert market.price_series(Trade.objects.filter(pk__in=made))["irrigation"]["median"] == Decimal("0.3000")  # 9.00 fell out of the window


def test_households_are_de_identified(rights, page):
    hh, other = _households(rights)
    t = _deal(rights, rights["households"][hh.pk], rights["households"][other.pk], "0.3", 2)
    row = market.deal_row(t)
    assert hh.name not in row["seller"] and hh.code not in row["seller"]
    assert mask_household_code(hh.code) in row["seller"]
    html = page(None).get("/trading/public/deals/").content.decode()
    assert t.number in html and hh.name not in html and hh.id_number not in html and hh.code not in html
    detail = page(None).get(f"/trading/public/deals/{t.number}/").content.decode()
    assert mask_household_code(hh.code) in detail and hh.name not in detail and hh.code not in detail
