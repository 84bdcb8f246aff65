"""Concurrency, proved against PostgreSQL with real threads and separate connections: 20 buyers race
for one listing and exactly one trade results; the same water can never be sold twice."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from shuiquan.conftest import requires_postgres
from shuiquan.core.errors import DomainError

pytestmark = [requires_postgres, pytest.mark.postgres]
N = 20


def _race(fns):
    """Run each callable in its own thread (own database connection), all released at once."""
    barrier = threading.Barrier(len(fns))

    def run(fn):
        try:
            barrier.wait(timeout=30)
            return ("ok", fn())
        except DomainError as exc:
            return ("refused", exc.code)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(fns)) as pool:
        return list(pool.map(run, fns))


def _buyers(city_admin, county_right, n):
    """n industrial buyers in 唐河县, each with a permit, an intake with a compliant online meter, a
    withdrawal right holding its permitted volume, and an account."""
    from shuiquan.core.models import User
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.choices import EntryKind, RightKind
    from shuiquan.registry import models as reg

    tanghe = reg.Region.objects.get(code="411328")
    authority = reg.Authority.objects.get(name="唐河县水利局")
    source = reg.WaterSource.objects.get(name="虎山水库")
    sector = reg.Sector.objects.get(code="27")
    out = []
    for i in range(n):
        holder = reg.WaterUser.objects.create(name=f"唐河竞买企业{i:02d}（测试）", kind="enterprise", region=tanghe, sector=sector)
        permit = reg.WithdrawalPermit.objects.create(
            number=f"411328-2026-8{i:03d}", holder=holder, region=tanghe, approving_authority=authority, supervising_authority=authority,
            source=source, source_type="surface", withdrawal_method="pumping", use="industrial", sector=sector, annual_volume_m3=100_000,
            issued_on=dt.date(2025, 1, 1), valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2029, 12, 31))
        intake = reg.IntakePoint.objects.create(code=f"QSKRACE{i:03d}", name=f"竞买企业{i}取水口", water_user=holder, permit=permit, region=tanghe,
                                                source=source, longitude=Decimal("112.8"), latitude=Decimal("32.7"))
        reg.MeteringDevice.objects.create(serial=f"RACE{i:04d}", model="RTU-651A", protocol="sl651_hex", intake_point=intake, region=tanghe,
                                          is_online=True, meets_standard=True, installed_on=dt.date(2025, 2, 1))
        right = ledger.open_right(actor=city_admin, kind=RightKind.WITHDRAWAL, name=f"{holder}取水权", holder=holder, permit=permit,
                                  annual_volume_m3=100_000, valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2029, 12, 31), parent=county_right,
                                  source=source, use="industrial")
        ledger.transfer(actor=city_admin, kind=EntryKind.ALLOCATION, memo="取水许可", source=county_right, target=right,
                        years=range(2025, 2030), amount=100_000)
        user = User.objects.create(username=f"race_{i:02d}", role="permit_holder", water_user=holder, region=tanghe)
        out.append((user, permit))
    return out


def _listed(users, rights, volume):
    from shuiquan.trading import services
    from shuiquan.trading.tests.builders import permit_of

    permit = permit_of("permit_holder")
    saving = services.submit_savings(actor=users["permit_holder"], permit=permit, source_kind="works", description="节水改造",
                                     claimed_m3=volume, first_year=2026, last_year=2026, evidence="计量数据")
    trade = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][permit.pk], volume_m3=volume,
                                 start_year=2026, end_year=2026, mode="listing", savings=saving)
    services.verify_trade(actor=users["neixiang_officer"], trade=trade, works_manager_opinion="同意")
    services.publish_listing(actor=users["permit_holder"], trade=trade, listed_price="1.00")
    trade.refresh_from_db()
    return trade


def test_twenty_buyers_race_for_one_listing_exactly_one_trade(seeded_transactional_db, clock_at):
    from shuiquan.core.models import User
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.invariants import verify_ledger
    from shuiquan.ledger.models import JournalEntry
    from shuiquan.trading import services
    from shuiquan.trading.choices import DepositStatus, IntentStatus, TradeStatus
    from shuiquan.trading.models import Bid, Trade
    from shuiquan.trading.tests.builders import build_rights

    users = {u.username: u for u in User.objects.all()}
    rights = build_rights(users["city_admin"])
    buyers = _buyers(users["city_admin"], rights["counties"]["411328"], N)
    trade = _listed(users, rights, 300_000)
    listing = trade.listing
    seller_right = trade.seller_right
    balance_before = ledger.balance(seller_right, 2026)

    # 1. All 20 register at the same moment (deposits recorded)
    results = _race([lambda u=u, p=p: services.register_intent(actor=u, listing=listing.pk, buyer=f"permit:{p.pk}",
                                                               deposit_reference=f"DEP-{p.pk}") for u, p in buyers])
    assert Counter(r[0] for r in results) == {"ok": N}
    # 2. The notice ends; 20 workers close it at once: one auction, 19 refused
    clock_at.advance(days=10, minutes=1)
    results = _race([lambda u=u: services.close_notice(actor=u, trade=trade.pk) for u, _p in buyers])
    assert Counter(r[0] for r in results) == {"ok": 1, "refused": N - 1}
    assert {r[1] for r in results if r[0] == "refused"} == {"transition_not_allowed"}
    trade.refresh_from_db()
    assert trade.status == TradeStatus.AUCTION
    # 3. 20 bids at once, each 1.00 + i × 0.05: the bids accepted rise by at least the increment
    prices = [Decimal("1.00") + Decimal("0.05") * i for i in range(N)]
    results = _race([lambda u=u, p=p, price=price: services.place_bid(actor=u, trade=trade.pk, buyer=f"permit:{p.pk}", unit_price=price)
                     for (u, p), price in zip(buyers, prices, strict=True)])
    accepted = list(Bid.objects.filter(auction__listing=listing).order_by("placed_at", "pk"))
    assert len(accepted) == sum(1 for r in results if r[0] == "ok") >= 1
    for a, b in zip(accepted, accepted[1:]):
        assert b.unit_price >= a.unit_price + Decimal("0.01")
    # The top bidder (if it lost the race to a lower price it can still outbid afterwards)
    top_user, top_permit = buyers[-1]
    best = Bid.objects.filter(auction__listing=listing).order_by("-unit_price").first()
    if best.intent.buyer_ref != f"permit:{top_permit.pk}":
        services.place_bid(actor=top_user, trade=trade.pk, buyer=f"permit:{top_permit.pk}", unit_price=best.unit_price + Decimal("0.50"))
    winning_price = Bid.objects.filter(auction__listing=listing).order_by("-unit_price").first().unit_price
    # 4. The auction ends; 20 workers close it at once: exactly one agreement
    clock_at.advance(hours=3)
    results = _race([lambda u=u: services.close_auction(actor=u, trade=trade.pk) for u, _p in buyers])
    assert Counter(r[0] for r in results) == {"ok": 1, "refused": N - 1}
    trade.refresh_from_db()
    assert trade.status == TradeStatus.AGREED and trade.buyer_permit_id == top_permit.pk and trade.unit_price == winning_price
    intents = list(listing.intents.all())
    assert sum(i.status == IntentStatus.WON for i in intents) == 1
    assert sum(i.deposit_status == DepositStatus.REFUNDED for i in intents) == N - 1
    # 5. Sign, pay, settle; then 20 registrations at once: one ledger entry
    services.sign(actor=users["permit_holder"], trade=trade)
    services.sign(actor=top_user, trade=trade)
    services.pay(actor=top_user, trade=trade, reference="BANK")
    services.settle(actor=users["city_admin"], trade=trade)
    results = _race([lambda: services.register(actor=users["neixiang_officer"], trade=trade.pk) for _ in range(N)])
    assert Counter(r[0] for r in results) == {"ok": 1, "refused": N - 1}
    assert Trade.objects.filter(listing=listing).count() == 1
    assert JournalEntry.objects.filter(reference_type="trading.trade", reference_id=str(trade.pk)).count() == 1
    assert ledger.balance(seller_right, 2026) == balance_before - 300_000
    assert ledger.balance(trade.buyer_right, 2026) == 100_000 + 300_000
    assert verify_ledger() == []


def test_the_same_water_is_never_sold_twice(seeded_transactional_db, clock_at):
    """20 negotiated trades each claim the seller's whole available volume; they are agreed at the
    same moment: exactly one locks the water, the others are refused (L1) and nothing else moves."""
    from shuiquan.core.models import User
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.invariants import verify_ledger
    from shuiquan.ledger.models import VolumeLock
    from shuiquan.trading import services
    from shuiquan.trading.tests.builders import build_rights, permit_of

    users = {u.username: u for u in User.objects.all()}
    rights = build_rights(users["city_admin"])
    buyers = _buyers(users["city_admin"], rights["counties"]["411328"], N)
    seller_permit = permit_of("permit_holder")
    seller_right = rights["permits"][seller_permit.pk]
    available = ledger.available(seller_right, 2026)  # what the demo's trades, listing and pledge left
    trades = []
    for _u, p in buyers:
        saving = services.submit_savings(actor=users["permit_holder"], permit=seller_permit, source_kind="works", description="节水",
                                         claimed_m3=available, first_year=2026, last_year=2026, evidence="数据")
        t = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=seller_right, volume_m3=available,
                                 start_year=2026, end_year=2026, buyer=f"permit:{p.pk}", savings=saving)
        services.verify_trade(actor=users["neixiang_officer"], trade=t, works_manager_opinion="同意")
        trades.append(t)
    results = _race([lambda t=t: services.agree(actor=users["permit_holder"], trade=t.pk, unit_price="1.00") for t in trades])
    assert Counter(r[0] for r in results) == {"ok": 1, "refused": N - 1}
    assert {r[1] for r in results if r[0] == "refused"} == {"insufficient_volume"}
    # exactly one of the 20 trades locked the water (other demo locks on the right — a listing,
    # a pledge — are not these trades')
    mine = VolumeLock.objects.filter(right=seller_right, year=2026, status="active", reference_type="trading.trade",
                                     reference_id__in=[str(t.pk) for t in trades])
    assert mine.count() == 1 and mine.get().amount == available
    assert ledger.available(seller_right, 2026) == 0
    assert verify_ledger() == []
