"""Market information for the public pages and the API (S7 disclosure).

- listings open now (notice period or auction);
- completed trades, de-identified where a party is a household (its code masked, never its name
  or ID number);
- volume and count by type and year;
- price per m³ by type, with a rolling median of the last N trades (``trading.median_window``)
  that needs at least ``trading.median_min_trades`` trades and leaves out zero-price trades.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from shuiquan.core import config

from .choices import COMPLETED_STATES, ListingStatus, TradeType
from .models import Listing, Trade
from .parties import mask_household_code

Q4 = Decimal("0.0001")


def public_party(trade: Trade, side: str) -> str:
    household = getattr(trade, f"{side}_household")
    if household is not None:
        return f"灌溉用水户 {mask_household_code(household.code)}（{household.association}）"
    return getattr(trade, f"{side}_name") or "—"


def open_listings():
    return (Listing.objects.filter(status__in=[ListingStatus.OPEN, ListingStatus.AUCTION])
            .select_related("trade", "trade__seller_household__association", "trade__seller_region").order_by("notice_ends_at"))


def completed_trades(base=None):
    return ((base if base is not None else Trade.objects.all()).filter(status__in=COMPLETED_STATES, completed_at__isnull=False)
            .select_related("seller_household__association", "buyer_household__association", "seller_region", "buyer_region")
            .order_by("-completed_at", "-pk"))


def listing_row(listing: Listing) -> dict:
    t = listing.trade
    auction = getattr(listing, "auction", None) if listing.status == ListingStatus.AUCTION else None
    return {
        "listing": listing.number, "trade": t.number, "trade_id": t.pk, "type": t.trade_type, "type_label": t.get_trade_type_display(),
        "seller": public_party(t, "seller"), "seller_region": str(t.seller_region), "volume_m3": t.volume_m3,
        "start_year": t.start_year, "end_year": t.end_year, "total_volume_m3": t.total_volume_m3, "listed_price": listing.listed_price,
        "deposit": listing.deposit_amount, "notice_starts_at": listing.notice_starts_at, "notice_ends_at": listing.notice_ends_at,
        "priority_until": listing.priority_until, "status": listing.status, "status_label": listing.get_status_display(),
        "auction_ends_at": auction.ends_at if auction else None, "is_demo": t.is_demo,
    }


def deal_row(t: Trade) -> dict:
    return {
        "trade": t.number, "trade_id": t.pk, "type": t.trade_type, "type_label": t.get_trade_type_display(), "mode": t.mode,
        "mode_label": t.get_mode_display(), "seller": public_party(t, "seller"), "buyer": public_party(t, "buyer"),
        "seller_region": str(t.seller_region), "buyer_region": str(t.buyer_region) if t.buyer_region_id else "",
        "volume_m3": t.volume_m3, "start_year": t.start_year, "end_year": t.end_year, "total_volume_m3": t.total_volume_m3,
        "unit_price": t.unit_price, "total_price": t.total_price, "completed_at": t.completed_at, "certificate": t.certificate_number,
        "is_demo": t.is_demo,
    }


def volume_by_type_year(base=None) -> list[dict]:
    """Count and volume of completed trades by type and year of completion (volume: the annual
    volume × years of term, i.e. all water the trades move)."""
    acc: dict[tuple[str, int], dict] = {}
    for t in completed_trades(base):
        key = (t.trade_type, timezone.localtime(t.completed_at).year)
        row = acc.setdefault(key, {"type": t.trade_type, "type_label": t.get_trade_type_display(), "year": key[1], "count": 0,
                                   "annual_volume_m3": 0, "total_volume_m3": 0, "amount": Decimal("0.00")})
        row["count"] += 1
        row["annual_volume_m3"] += t.volume_m3
        row["total_volume_m3"] += t.total_volume_m3
        row["amount"] += t.total_price or Decimal("0.00")
    return sorted(acc.values(), key=lambda r: (r["year"], r["type"]))


def _median(values: list[Decimal]) -> Decimal:
    return Decimal(statistics.median(values)).quantize(Q4)


def price_series(base=None) -> dict[str, dict]:
    """Per type: each priced trade (date, unit price) with the rolling median of the last N
    non-zero-price trades up to it (None until there are enough), and the current median."""
    window = int(config.get("trading.median_window"))
    minimum = int(config.get("trading.median_min_trades"))
    by_type: dict[str, list[Trade]] = defaultdict(list)
    qs = base if base is not None else Trade.objects.all()
    for t in qs.filter(status__in=COMPLETED_STATES, completed_at__isnull=False, unit_price__gt=0).order_by("completed_at", "pk"):
        by_type[t.trade_type].append(t)
    out = {}
    for ttype in TradeType.values:
        trades = by_type.get(ttype, [])
        points, prices = [], []
        for t in trades:
            prices.append(t.unit_price)
            recent = prices[-window:]
            points.append({"trade": t.number, "date": timezone.localtime(t.completed_at).date().isoformat(), "unit_price": t.unit_price,
                           "rolling_median": _median(recent) if len(recent) >= minimum else None})
        recent = prices[-window:]
        out[ttype] = {"type": ttype, "type_label": TradeType(ttype).label, "count": len(prices),
                      "median": _median(recent) if len(recent) >= minimum else None, "window": window, "min_trades": minimum,
                      "points": points}
    return out


def stats() -> dict:
    return {"by_type_year": volume_by_type_year(), "prices": price_series(),
            "open_listings": open_listings().count(), "completed": completed_trades().count(),
            "includes_demo": Trade.objects.filter(is_demo=True).exists()}
