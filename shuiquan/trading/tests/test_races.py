"""Races between OS processes (issue 7, item 2; PostgreSQL, and SQLite's file test database too):
many processes, each with its own database connection, act on the same listing, the same water
right and the same order book at the same moment, through the entry points the views use
(``trading.services.run`` / ``core.retry.run``).

N worker processes (``race_worker``: ``python -m …`` with the environment of
``core.tests.children.child_env``, naming the running test database, which holds committed data —
``seeded_transactional_db``) are started once for the module; each test releases them together phase by phase, and checks:

- every process ended with success or a domain refusal with a stable code — no other error, no
  deadlock or serialization failure left unhandled (``core.retry`` retries those; its counts are
  reported by each worker and printed here, and none may be exhausted);
- nothing was sold twice, no available volume went below zero, volumes are conserved (the sum over
  the parties' accounts is unchanged; every entry balances) — ``verify_ledger()`` and direct
  assertions — and the funds book balances.

``make test`` runs these in its PostgreSQL stage (required there with ``REQUIRE_POSTGRES=1``) and
in its SQLite stage, whose test database is a file the workers open (WAL, ``BEGIN IMMEDIATE``: the
writers queue on SQLite's single write lock); an in-memory SQLite test database, invisible to
other processes, skips them with that reason (``core.tests.children.child_env``).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Sum

from shuiquan.core.tests.children import child_env

N = 10  # processes per race
YEAR = 2026


class Racers:
    """N worker processes released together, phase by phase."""

    def __init__(self, n: int, directory: Path):
        self.n, self.dir, self.k = n, directory, 0
        env = child_env(DJANGO_ALLOW_ASYNC_UNSAFE="true")  # the same test database (skips if it is in memory)
        self.logs = [open(directory / f"worker-{i}.log", "wb") for i in range(n)]  # noqa: SIM115 — closed in close()
        self.procs = [subprocess.Popen([sys.executable, "-m", "shuiquan.trading.tests.race_worker", str(directory), str(i)],
                                       cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
                      for i, log in enumerate(self.logs)]
        try:
            self._wait([directory / f"ready-{i}" for i in range(n)], "start")
        except BaseException:
            self.kill()
            raise

    def _wait(self, paths: list[Path], what: str, timeout: float = 90.0) -> None:
        end = time.monotonic() + timeout
        while not all(p.exists() for p in paths):
            dead = [i for i, p in enumerate(self.procs) if p.poll() is not None]
            if dead:
                text = (self.dir / f"worker-{dead[0]}.log").read_text(errors="replace")
                raise AssertionError(f"a worker died during {what}: {text[-3000:]}")
            if time.monotonic() > end:
                raise AssertionError(f"workers did not {what} within {timeout} s")
            time.sleep(0.01)

    def race(self, tasks: list[dict], now: dt.datetime) -> list[dict]:
        """Release all workers at once on ``tasks`` (one each) with the clock at ``now``."""
        assert len(tasks) == self.n
        k = self.k
        (self.dir / f"phase-{k}.json").write_text(json.dumps({"now": now.isoformat(), "tasks": tasks}, ensure_ascii=False))
        (self.dir / f"go-{k}").touch()
        paths = [self.dir / f"result-{k}-{i}.json" for i in range(self.n)]
        self._wait(paths, f"finish phase {k}")
        self.k += 1
        results = [json.loads(p.read_text()) for p in paths]
        errors = [r for r in results if r["outcome"] == "error"]
        assert not errors, f"not a domain refusal: {errors[0]['error']}\n{errors[0]['traceback']}"
        assert all(r["exhausted"] == 0 for r in results), "a transaction failed transiently more often than the retry allows"
        retries = sum(r["retries"] for r in results)
        print(f"phase {k} {tasks[0]['op']}: {dict(Counter(r['outcome'] for r in results))}, "
              f"refusals {dict(Counter(r.get('code') for r in results if r['outcome'] == 'refused'))}, retries {retries}")
        return results

    def kill(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for log in self.logs:
            log.close()

    def close(self):
        (self.dir / "stop").touch()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for log in self.logs:
            log.close()
        assert all(p.returncode == 0 for p in self.procs), [p.returncode for p in self.procs]


@pytest.fixture(scope="module")
def racer_pool(django_db_setup, django_db_blocker, tmp_path_factory):
    """One set of N worker processes for the whole module (starting Django N times is the slow
    part); between tests they sit idle on their connections, holding no locks."""
    r = Racers(N, tmp_path_factory.mktemp("racers"))
    yield r
    r.close()


@pytest.fixture
def racers(seeded_transactional_db, racer_pool):
    return racer_pool


def _outcomes(results) -> Counter:
    return Counter(r["outcome"] for r in results)


def _codes(results) -> set:
    return {r["code"] for r in results if r["outcome"] == "refused"}


def _books_sound():
    from shuiquan.finance import funds
    from shuiquan.ledger.choices import NEGATIVE_ALLOWED
    from shuiquan.ledger.invariants import verify_ledger
    from shuiquan.ledger.models import Posting, RightBalance

    assert [str(p) for p in verify_ledger()] == []
    assert not Posting.objects.values("entry_id", "year").annotate(s=Sum("amount")).exclude(s=0).exists()
    assert not [b for b in RightBalance.objects.exclude(right__kind__in=NEGATIVE_ALLOWED) if b.balance - b.locked < 0]
    assert funds.verify_book() == []


def _total(rights, year=YEAR) -> int:
    from shuiquan.ledger import services as ledger

    return sum(ledger.balance(r, year) for r in rights)


def test_many_processes_take_the_same_listing_one_buyer_one_sale(racers, clock_at):
    """N buyers register for one listing at once (all accepted, deposits paid); N processes close the
    notice at once (one auction; the rest refused ``transition_not_allowed``); N bids at once (each
    accepted only at the best + the increment, T3); N processes close the auction at once (one
    winner); N registrations at once: exactly one ledger entry — the water is sold once."""
    from shuiquan.core.models import User
    from shuiquan.finance import funds
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.models import JournalEntry
    from shuiquan.trading import services
    from shuiquan.trading.choices import DepositStatus, IntentStatus, TradeStatus
    from shuiquan.trading.models import Bid

    from .builders import build_rights, industrial_buyers, permit_of

    users = {u.username: u for u in User.objects.all()}
    rights = build_rights(users["city_admin"])
    buyers = industrial_buyers(users["city_admin"], N, "RACEA")
    seller_permit = permit_of("permit_holder")
    seller_right = rights["permits"][seller_permit.pk]
    volume = 300_000
    saving = services.submit_savings(actor=users["permit_holder"], permit=seller_permit, source_kind="works", description="节水改造",
                                     claimed_m3=volume, first_year=YEAR, last_year=YEAR, evidence="计量数据")
    trade = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=seller_right, volume_m3=volume,
                                 start_year=YEAR, end_year=YEAR, mode="listing", savings=saving)
    services.verify_trade(actor=users["neixiang_officer"], trade=trade, works_manager_opinion="同意")
    listing = services.publish_listing(actor=users["permit_holder"], trade=trade, listed_price="1.00")
    parties = [seller_right, *[r for _u, _p, r in buyers]]
    total_before = _total(parties)
    seller_before = ledger.balance(seller_right, YEAR)

    r = racers
    t0 = clock_at.now
    results = r.race([{"op": "register_intent", "user": u.username, "listing": listing.pk, "buyer": f"permit:{p.pk}",
                       "deposit_reference": f"DEP-{p.pk}"} for u, p, _r in buyers], t0)
    assert _outcomes(results) == {"ok": N}
    t1 = t0 + dt.timedelta(days=10, minutes=1)
    results = r.race([{"op": "close_notice", "user": u.username, "trade": trade.pk} for u, _p, _r in buyers], t1)
    assert _outcomes(results) == {"ok": 1, "refused": N - 1}
    assert _codes(results) <= {"transition_not_allowed", "concurrent_change"}
    trade.refresh_from_db()
    assert trade.status == TradeStatus.AUCTION
    results = r.race([{"op": "place_bid", "user": u.username, "trade": trade.pk, "buyer": f"permit:{p.pk}",
                       "unit_price": str(Decimal("1.00") + Decimal("0.05") * i)} for i, (u, p, _r) in enumerate(buyers)],
                     t1 + dt.timedelta(minutes=1))
    accepted = list(Bid.objects.filter(auction__listing=listing).order_by("placed_at", "pk"))
    assert len(accepted) == _outcomes(results)["ok"] >= 1
    assert _codes(results) <= {"bid_increment", "bid_below_start", "already_leading"}
    for a, b in zip(accepted, accepted[1:]):  # each accepted bid beat the best before it by the increment
        assert b.unit_price >= a.unit_price + Decimal("0.01")
    best = accepted[-1] if accepted else None
    t2 = t1 + dt.timedelta(hours=3)
    results = r.race([{"op": "close_auction", "user": u.username, "trade": trade.pk} for u, _p, _r in buyers], t2)
    assert _outcomes(results) == {"ok": 1, "refused": N - 1}
    trade.refresh_from_db()
    assert trade.status == TradeStatus.AGREED and trade.unit_price == max(b.unit_price for b in accepted)
    assert best is not None
    intents = list(listing.intents.all())
    assert sum(i.status == IntentStatus.WON for i in intents) == 1
    assert sum(i.deposit_status == DepositStatus.REFUNDED for i in intents) == N - 1
    winner = next(u for u, p, _r in buyers if f"permit:{p.pk}" == trade.buyer_ref)
    clock_at.set(t2)
    services.sign(actor=users["permit_holder"], trade=trade)
    services.sign(actor=winner, trade=trade)
    services.pay(actor=winner, trade=trade, reference="BANK-RACE")
    services.settle(actor=users["city_admin"], trade=trade)
    results = r.race([{"op": "register", "user": "neixiang_officer", "trade": trade.pk} for _ in range(N)], t2)
    assert _outcomes(results) == {"ok": 1, "refused": N - 1}
    # The losers are refused by state (409): ``register`` checks the state before the trade rules.
    assert _codes(results) <= {"transition_not_allowed", "concurrent_change"}
    assert JournalEntry.objects.filter(reference_type="trading.trade", reference_id=str(trade.pk)).count() == 1
    trade.refresh_from_db()
    assert ledger.balance(seller_right, YEAR) == seller_before - volume  # sold once
    assert ledger.balance(trade.buyer_right, YEAR) == 100_000 + volume
    assert _total(parties) == total_before  # conserved
    assert funds.reconcile(trade) == []
    _books_sound()


def test_many_processes_sell_pledge_and_move_the_same_water(racers, clock_at):
    """N processes claim the same right's water at once — negotiated agreements (which lock it),
    pledge registrations (which lock it) and bureau adjustments (which move it) — each for a fifth
    of the available volume: exactly five succeed, the rest are refused (L1 ``insufficient_volume``,
    ``pledge_insufficient_volume``, or F4 ``pledged``) and available volume ends at ≥ 0."""
    from shuiquan.core.models import User
    from shuiquan.finance import services as finance
    from shuiquan.finance.models import Bank, PledgeKind
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.models import VolumeLock
    from shuiquan.trading import services

    from .builders import build_rights, industrial_buyers, permit_of

    users = {u.username: u for u in User.objects.all()}
    rights = build_rights(users["city_admin"])
    buyers = industrial_buyers(users["city_admin"], 4, "RACEB")
    seller_permit = permit_of("permit_holder")
    seller_right = rights["permits"][seller_permit.pk]
    available = ledger.available(seller_right, YEAR)
    share = available // 5
    assert share > 0 and available - 5 * share < share
    bank = Bank.objects.get(name="南阳某商业银行（演示）")
    bank.staff.add(users["bank_officer"])
    tasks = []
    for i in range(4):  # negotiated trades, verified, waiting for the agreement (which locks the volume)
        _u, p, _r = buyers[i]
        saving = services.submit_savings(actor=users["permit_holder"], permit=seller_permit, source_kind="works", description="节水",
                                         claimed_m3=share, first_year=YEAR, last_year=YEAR, evidence="数据")
        t = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=seller_right, volume_m3=share,
                                 start_year=YEAR, end_year=YEAR, buyer=f"permit:{p.pk}", savings=saving)
        services.verify_trade(actor=users["neixiang_officer"], trade=t, works_manager_opinion="同意")
        tasks.append({"op": "agree", "user": "permit_holder", "trade": t.pk, "unit_price": "1.00"})
    for i in range(3):  # pledges confirmed by the bank, waiting for registration (which locks the volume)
        pl = finance.apply_pledge(actor=users["permit_holder"], right=seller_right, bank=bank, kind=PledgeKind.VOLUME_PLEDGE,
                                  first_year=YEAR, last_year=YEAR, volume_m3=share, secured_amount="1000000",
                                  loan_contract_no=f"RACE-LOAN-{i}")
        finance.confirm_by_bank(pl, actor=users["bank_officer"], bank_reference=f"RACE-BR-{i}")
        tasks.append({"op": "register_pledge", "user": "neixiang_officer", "pledge": pl.pk})
    for i in range(3):  # the city bureau moves the same water by adjusting entries
        tasks.append({"op": "adjust", "user": "city_admin", "memo": f"并发调整 {i}", "source": seller_right.pk,
                      "target": buyers[i][2].pk, "year": YEAR, "amount": share})
    assert len(tasks) == N
    parties = [seller_right, *[r for _u, _p, r in buyers]]
    total_before = _total(parties)

    results = racers.race(tasks, clock_at.now)
    assert _outcomes(results) == {"ok": 5, "refused": N - 5}
    assert _codes(results) <= {"insufficient_volume", "pledge_insufficient_volume", "pledged"}
    assert ledger.available(seller_right, YEAR) == available - 5 * share >= 0
    locked = VolumeLock.objects.filter(right=seller_right, year=YEAR, status="active").aggregate(s=Sum("amount"))["s"] or 0
    moved = sum(1 for t, res in zip(tasks, results, strict=True) if t["op"] == "adjust" and res["outcome"] == "ok")
    assert ledger.balance(seller_right, YEAR) - locked == available - 5 * share
    assert ledger.balance(seller_right, YEAR) == ledger.posted_sum(seller_right, YEAR)
    assert sum(ledger.balance(r, YEAR) for r in parties[1:]) == 4 * 100_000 + moved * share
    assert _total(parties) == total_before  # conserved
    _books_sound()


def test_many_processes_cross_the_same_order_book(racers, clock_at):
    """N crossing orders (asks and bids of four associations) arrive at once in a continuous session:
    matching is serialized by the session lock, so every lot is filled at most once, every fill is
    one balanced entry, asks beyond the seller's available volume are refused (L1), the locks left
    equal the unfilled asks, and the associations' volume is conserved."""
    from shuiquan.core import config
    from shuiquan.core.models import User
    from shuiquan.ledger import services as ledger
    from shuiquan.ledger.models import JournalEntry, VolumeLock
    from shuiquan.trading import orderbook
    from shuiquan.trading.choices import OrderStatus
    from shuiquan.trading.models import Fill, Order

    from .builders import build_rights, fresh_associations, pool, rep_of

    city_admin = User.objects.get(username="city_admin")
    build_rights(city_admin)
    config.set_value("trading.lot_m3", "100", actor=city_admin)
    assocs = fresh_associations("打磨岗灌区")[:4]
    assert len(assocs) == 4
    reps = {a.pk: rep_of(a) for a in assocs}
    held = {a.pk: pool(a, 300) for a in assocs}  # each association's right, 300 m³ pooled for the year
    session = orderbook.open_session(actor=city_admin)
    before = {a.pk: ledger.balance(held[a.pk], YEAR) for a in assocs}
    available = {a.pk: ledger.available(held[a.pk], YEAR) for a in assocs}
    sellers, buyers = assocs[:2], assocs[2:]
    plan = [(sellers[0], "ask", 2, "0.28"), (sellers[0], "ask", 2, "0.30"), (sellers[1], "ask", 2, "0.29"),
            (sellers[1], "ask", 2, "0.30"), (sellers[0], "ask", 1, "0.31"),
            (buyers[0], "bid", 2, "0.30"), (buyers[0], "bid", 1, "0.32"), (buyers[1], "bid", 2, "0.31"),
            (buyers[1], "bid", 3, "0.30"), (buyers[0], "bid", 1, "0.29")]
    assert len(plan) == N
    tasks = [{"op": "place_order", "user": reps[a.pk].username, "session": session.pk, "side": side, "party": f"association:{a.pk}",
              "lots": lots, "limit_price": price} for a, side, lots, price in plan]

    results = racers.race(tasks, clock_at.now + dt.timedelta(minutes=31))  # past the opening window
    assert _codes(results) <= {"insufficient_volume"}
    assert all(res["outcome"] == "ok" for (_a, side, _l, _p), res in zip(plan, results, strict=True) if side == "bid")
    orders = list(Order.objects.filter(session=session))
    assert len(orders) == _outcomes(results)["ok"]
    fills = list(Fill.objects.filter(session=session).select_related("trade"))
    lot = session.lot_m3
    for o in orders:  # every lot filled at most once, and the order's count agrees with its fills
        mine = [f for f in fills if (f.ask_id if o.side == "ask" else f.bid_id) == o.pk]
        assert sum(f.lots for f in mine) == o.lots - o.remaining_lots >= 0
        assert o.status == (OrderStatus.FILLED if o.remaining_lots == 0 else (OrderStatus.PARTIAL if mine else OrderStatus.OPEN))
        if o.side == "ask":  # what is left of an ask stays locked, and only that
            live = VolumeLock.objects.filter(reference_type="trading.order", reference_id=str(o.pk), status="active")
            assert (live.aggregate(s=Sum("amount"))["s"] or 0) == o.remaining_lots * lot
    for f in fills:  # one balanced entry per fill, seller → buyer, for the fill's volume
        entry = JournalEntry.objects.get(reference_type="trading.trade", reference_id=str(f.trade_id))
        assert sorted(entry.postings.values_list("amount", flat=True)) == [-f.volume_m3, f.volume_m3]
    sold = Counter()
    bought = Counter()
    for f in fills:
        sold[f.ask.association_id] += f.volume_m3
        bought[f.bid.association_id] += f.volume_m3
    for a in assocs:
        assert ledger.balance(held[a.pk], YEAR) == before[a.pk] - sold[a.pk] + bought[a.pk]
        assert sold[a.pk] <= available[a.pk]  # nothing sold twice
        assert ledger.available(held[a.pk], YEAR) >= 0
    assert sum(ledger.balance(held[a.pk], YEAR) for a in assocs) == sum(before.values())  # conserved
    assert sum(sold.values()) == sum(bought.values()) > 0
    _books_sound()
