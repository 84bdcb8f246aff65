"""The order book: orders/s placed and matched in process through the real service
(``trading.orderbook.place_order``: session lock, party and rule checks, the ask's volume lock, and
for each fill a registered one-year trade, its ledger entry, the re-lock of what remains, the fill,
the history row and the audit record), on a fresh copy of the small demo database.

The order stream is random but fixed (seeded): irrigation households of the demo association
place bids and asks of 1–3 lots around 0.25 元/m³, in continuous matching. The reference is the
same stream through a trivial in-memory price-time matcher (two heaps, no database); the bench
also checks that the service produced exactly the fills the reference matcher did.

    .venv/bin/python bench/bench_orderbook.py [--quick]
"""

from __future__ import annotations

import heapq
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

ORDERS = {"full": 400, "quick": 100, "tiny": 12}
LOT_M3 = 1  # the small demo's households hold a few hundred to two thousand m³


def stream(households: list, n: int, seed: int = 7) -> list[tuple[str, int, int, Decimal]]:
    """(side, household pk, lots, limit price) — sellers (the first half: those with the most
    available volume) and buyers are disjoint."""
    rng = random.Random(seed)
    half = len(households) // 2
    sellers, buyers = households[:half], households[half:]
    out = []
    for _ in range(n):
        side = rng.choice(["ask", "bid"])
        party = rng.choice(sellers if side == "ask" else buyers)
        price = Decimal("0.20") + Decimal(rng.randrange(0, 11)) / 100
        out.append((side, party, rng.randrange(1, 4), price))
    return out


def reference_match(orders) -> tuple[float, list[tuple[int, int, int, Decimal]]]:
    """Price-time matching in memory: (bid index, ask index, lots, price) per fill."""
    started = time.perf_counter()
    bids: list = []  # (-price, seq, idx, [remaining])
    asks: list = []  # (price, seq, idx, [remaining])
    fills = []
    for idx, (side, _party, lots, price) in enumerate(orders):
        rem = [lots]
        if side == "bid":
            while rem[0] and asks and asks[0][0] <= price:
                a_price, _s, a_idx, a_rem = asks[0]
                q = min(rem[0], a_rem[0])
                fills.append((idx, a_idx, q, a_price))
                rem[0] -= q
                a_rem[0] -= q
                if not a_rem[0]:
                    heapq.heappop(asks)
            if rem[0]:
                heapq.heappush(bids, (-price, idx, idx, rem))
        else:
            while rem[0] and bids and -bids[0][0] >= price:
                b_negp, _s, b_idx, b_rem = bids[0]
                q = min(rem[0], b_rem[0])
                fills.append((b_idx, idx, q, -b_negp))
                rem[0] -= q
                b_rem[0] -= q
                if not b_rem[0]:
                    heapq.heappop(bids)
            if rem[0]:
                heapq.heappush(asks, (price, idx, idx, rem))
    return time.perf_counter() - started, fills


def main(argv: list[str]) -> int:
    size = c.size_arg(argv)
    n = ORDERS[size]
    base = c.demo_base("small", rebuild="--rebuild" in argv)
    c.setup_django_env(c.fresh_copy(base, "orderbook"))
    from shuiquan.core import config
    from shuiquan.core.models import User
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.choices import RightKind
    from shuiquan.ledger.invariants import verify_ledger
    from shuiquan.ledger.models import WaterRight
    from shuiquan.registry.models import Household
    from shuiquan.trading import clock, orderbook
    from shuiquan.trading.models import Fill

    admin = User.objects.get(username="city_admin")
    rep = User.objects.get(username="association_rep")
    config.set_value("trading.lot_m3", str(LOT_M3), actor=admin)
    year = clock.this_year()
    available = {}
    for h in Household.objects.filter(association=rep.association).order_by("code"):
        right = WaterRight.objects.filter(household=h, kind=RightKind.HOUSEHOLD, status="active").first()
        if right is not None and right.covers_year(year):
            available[h.pk] = ledger.available(right, year)
    households = sorted(available, key=lambda pk: (-available[pk], pk))
    need = 3 * LOT_M3 * n // max(len(households) // 2, 1)  # at most what one seller could have locked or sold
    if len(households) < 2 or available[households[len(households) // 2 - 1]] < need:
        print(f"skipped: the demo association needs at least two households, its sellers {need} m³ available in {year}: {available}")
        return 0
    orders = stream(households, n)
    session = orderbook.open_session(actor=admin, opening_minutes=0)
    placed, latencies = [], []
    with c.timer() as t:
        for side, party, lots, price in orders:
            started = time.perf_counter()
            placed.append(orderbook.place_order(actor=rep, session=session, side=side, party=f"household:{party}", lots=lots,
                                                limit_price=price))
            latencies.append(time.perf_counter() - started)
    seconds = t["seconds"]
    ref_seconds, ref_fills = reference_match(orders)
    index = {o.pk: i for i, o in enumerate(placed)}
    got = [(index[f.bid_id], index[f.ask_id], f.lots, f.unit_price) for f in Fill.objects.filter(session=session).order_by("pk")]
    same = got == ref_fills
    problems = verify_ledger()
    rate, ref_rate = n / seconds, n / max(ref_seconds, 1e-9)
    print(f"{n} orders from {len(households)} households ({c.engine_label()}): {seconds:.2f} s, {rate:,.1f} orders/s, "
          f"{len(got)} fills ({len(got) / seconds:,.1f} fills/s, each a registered trade with its ledger entry); "
          f"per order p50 {1000 * c.percentile(latencies, 50):.0f} ms, p95 {1000 * c.percentile(latencies, 95):.0f} ms")
    print(f"reference (in-memory price-time matcher, same stream): {ref_rate:,.0f} orders/s, {len(ref_fills)} fills; "
          f"the service's fills {'match' if same else 'DIFFER FROM'} the reference's; ledger invariants: "
          f"{'hold' if not problems else problems[:3]}")
    c.result(f"order book, orders placed and matched ({c.engine_label()})", rate, "orders/s",
             reference=f"in-memory matcher {ref_rate:,.0f} orders/s", ratio=rate / ref_rate, orders=n, fills=len(got), p50_ms=1000 * c.percentile(latencies, 50),
             fills_match_reference=same)
    c.result(f"order book, fills registered ({c.engine_label()})", len(got) / seconds, "fills/s", fills=len(got))
    return 0 if same and not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
