"""Dynamic monitoring of trades in performance (交易实施情况动态监管, §7.5.4): for every registered
trade whose term covers the year, the parties' metered use against their rights after the trade.

- Seller: metered use above its post-trade right (ledger balance for the year, i.e. with the sold
  volume already taken off) by more than ``supervision.monitoring_tolerance_pct`` % → the seller
  still uses the water it sold (red: the traded volume is not real).
- Buyer: metered use above its whole right (its own volume plus what it bought) by more than the
  tolerance → red; metered use not reaching its right before the trade → it has not used any of
  the bought water yet (amber: idle purchase, watch for speculation).
- A party without metering data → amber (M2: both intakes need online metering).

Metered use comes from the metering capability (``supervision.metered``: ``metering.usage``);
regional and irrigation trades are shown with their regions' metered use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from shuiquan.core import config
from shuiquan.ledger import services as ledger

from .choices import Status


@dataclass
class Side:
    label: str
    permit: object | None
    right_m3: int | None
    used_m3: int | None
    status: str = Status.NONE
    note: str = ""


@dataclass
class Monitored:
    trade: object
    year: int
    seller: Side
    buyer: Side
    flags: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        order = {Status.NONE: 0, Status.GREEN: 1, Status.AMBER: 2, Status.RED: 3}
        return max((self.seller.status, self.buyer.status), key=lambda s: order[s])

    def as_dict(self) -> dict:
        def side(s: Side) -> dict:
            return {"party": s.label, "permit": getattr(s.permit, "number", None), "right_m3": s.right_m3, "used_m3": s.used_m3,
                    "status": s.status, "note": s.note}

        return {"trade": self.trade.number, "trade_id": self.trade.pk, "type": self.trade.trade_type, "year": self.year,
                "volume_m3": self.trade.volume_m3, "status": self.status, "seller": side(self.seller), "buyer": side(self.buyer),
                "flags": self.flags}


def _limit(right_m3: int, tolerance: Decimal) -> Decimal:
    return Decimal(right_m3) * (100 + tolerance) / 100


def monitor_trade(trade, year: int, tolerance: Decimal | None = None) -> Monitored:
    from . import metered

    tolerance = Decimal(config.get("supervision.monitoring_tolerance_pct")) if tolerance is None else tolerance
    out = Monitored(trade, year, Side(trade.seller_name, trade.seller_permit, None, None), Side(trade.buyer_name, trade.buyer_permit, None, None))
    if trade.trade_type != "permit":
        for side, region in ((out.seller, trade.seller_region), (out.buyer, trade.buyer_region)):
            side.used_m3 = metered.region_use(region, year) if region is not None else None
            side.note = f"{region}计量用水量" if region is not None else ""
        out.flags.append("区域、灌溉交易按行政区计量数据监管，详见双控考核")
        return out
    seller_right, buyer_right = trade.seller_right, trade.buyer_right
    s, b = out.seller, out.buyer
    s.right_m3 = ledger.balance(seller_right, year)
    s.used_m3 = metered.permit_use(trade.seller_permit, year)
    if buyer_right is not None:
        b.right_m3 = ledger.balance(buyer_right, year)
    b.used_m3 = metered.permit_use(trade.buyer_permit, year)
    for side, who in ((s, "转让方"), (b, "受让方")):
        if side.used_m3 is None:
            side.status, side.note = Status.AMBER, "无计量数据（M2）"
            out.flags.append(f"{who}无计量数据")
            continue
        side.status = Status.GREEN
        if side.right_m3 is not None and side.used_m3 > _limit(side.right_m3, tolerance):
            side.status = Status.RED
            side.note = f"实际用水 {side.used_m3:,} 立方米超过交易后水权 {side.right_m3:,} 立方米"
            out.flags.append(f"{who}用水超过交易后水权" + ("：转让的水量仍在使用，交易水量不实" if who == "转让方" else ""))
    if b.status == Status.GREEN and b.right_m3 is not None and b.used_m3 is not None and b.used_m3 <= b.right_m3 - trade.volume_m3:
        b.status, b.note = Status.AMBER, "尚未使用受让水量"
        out.flags.append("受让方尚未使用受让水量（关注囤积）")
    return out


def in_performance(year: int):
    from shuiquan.trading.choices import TradeStatus
    from shuiquan.trading.models import Trade

    return (Trade.objects.filter(status=TradeStatus.REGISTERED, start_year__lte=year, end_year__gte=year)
            .select_related("seller_permit", "buyer_permit", "seller_right", "buyer_right", "seller_region", "buyer_region")
            .order_by("-registered_at", "-pk"))


def monitor(year: int | None = None, qs=None) -> list[Monitored]:
    year = year or timezone.localdate().year
    tolerance = Decimal(config.get("supervision.monitoring_tolerance_pct"))
    return [monitor_trade(t, year, tolerance) for t in (qs if qs is not None else in_performance(year))]
