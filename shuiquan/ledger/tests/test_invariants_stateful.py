"""The ledger's invariants survive random use of the platform's real services (issue 7, item 1).

A hypothesis state machine drives the capabilities' service functions — not the views, not the
ledger's low-level writers alone — in random order with random volumes:

- ``allocate``: register a new permit's withdrawal right (allocation's A3 run: compute → review →
  approve → register, posted from the county's regional right);
- ``negotiate`` / ``complete``: a negotiated permit trade (savings T12 → apply → verify T5 →
  agree, which locks the volume) and its completion (sign ×2 → pay → settle → register: seller →
  buyer for each year of the term, T7 permit change for a term over one year);
- ``list_`` / ``bid``: a public listing (T3) that locks the volume, buyers' registrations and
  auction bids; ``tick`` moves the clock and runs the trading scheduler's services (notice and
  auction ends, order-book draws and closes, T8 expiry at the end of the term);
- ``order``: orders in a continuous order-book session (irrigation lots, matched at once);
- ``pledge`` / ``release``: a volume pledge registered with the bureau (locks each year) and its
  release by the pledgee;
- ``reverse``: the city bureau corrects an entry by a reversing entry;
- ``cancel``: the seller withdraws an agreed or listed trade (locks released).

A step is one user action; each runs in a savepoint so that a refusal part-way through a
multi-service action leaves nothing behind. A refusal must be a ``DomainError`` with a stable
code (recorded and printed; e.g. L1 ``insufficient_volume`` / ``pledge_insufficient_volume``, A3
``regional_cap_exceeded``, F4 ``pledged``, 409 ``already_reversed`` / ``already_registered``), and
must leave the ledger and the funds book exactly as they were; any other exception fails the test.
The test also fails if, over all examples, some kind of action never once succeeded (a vacuous run).

After every step: ``verify_ledger()`` (what ``manage.py verify_ledger`` runs) reports nothing and
``finance.funds.verify_book()`` reports nothing — and, asserted directly: every entry's postings
sum to zero per year; the whole book sums to zero per year (volume is conserved); every
non-issuance (right, year) has available = balance − locked ≥ 0; the cached balances and locks
equal the postings and the active locks; children's nominal volumes stay within their parent's
(docs/ledger-tree.md); every funds entry sums to zero and every settled trade of the run reconciles
with its funds entries.

The parties (two industrial buyers with metered intakes, two associations that pooled volume, the
bank's officer, the seller's demo permit right) are built once per test; each example runs in a
savepoint rolled back at its end (SQLite and PostgreSQL alike), so every example starts from the
same book. Hypothesis's example database is off (``database=None``) and the run derandomized:
repeatable, and nothing written to the tree. Size: 20 examples × 15 steps (``SQ_STATEFUL_EXAMPLES``
/ ``SQ_STATEFUL_STEPS`` to explore more locally).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F, Q, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from shuiquan.core import config
from shuiquan.core.errors import DomainError
from shuiquan.core.models import User
from shuiquan.finance import funds
from shuiquan.finance import services as finance
from shuiquan.finance.models import Bank, FundEntry, FundLine, Pledge, PledgeKind, PledgeStatus
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import NEGATIVE_ALLOWED, EntryKind, LockStatus, RightStatus
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import JournalEntry, Posting, RightBalance, VolumeLock, WaterRight
from shuiquan.registry import models as reg
from shuiquan.trading import clock, orderbook
from shuiquan.trading import services as trading
from shuiquan.trading.choices import TradeMode, TradeStatus
from shuiquan.trading.models import Trade
from shuiquan.trading.tests.builders import build_rights, fresh_associations, industrial_buyers, permit_of, pool, rep_of
from shuiquan.trading.tests.conftest import START

pytestmark = pytest.mark.django_db

YEAR = START.year
EXAMPLES = int(os.environ.get("SQ_STATEFUL_EXAMPLES", "20"))
STEPS = int(os.environ.get("SQ_STATEFUL_STEPS", "15"))
#: Clock moves: an hour, past a notice period, past an auction, past the end of the term (T8).
MOVES = [dt.timedelta(hours=1), dt.timedelta(days=11), dt.timedelta(hours=3), dt.timedelta(days=320)]


class _Clock:
    now = START


#: Over all examples of a run: steps done and refusals by code (printed, and checked for coverage).
DONE: Counter = Counter()
REFUSED: Counter = Counter()


def _fund_entries_balance(first: int) -> bool:
    lines = FundLine.objects.filter(entry_id__gte=first)
    return not lines.values("entry_id").annotate(s=Sum("amount")).exclude(s=0).exists()


class PlatformMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        _Clock.now = START
        self.refusals: Counter = Counter()
        self.done: Counter = Counter()
        self.tried: Counter = Counter()
        self.__dict__.update(WORLD)  # the parties, built once per test run (see ``_world``)
        _Clock.now = START + dt.timedelta(minutes=31)  # the order-book session is past its opening window
        self.first_entry = (JournalEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        self.first_fund_entry = (FundEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        self.first_trade = (Trade.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        self.county_parents = [ledger.right_for_region(reg.Region.objects.get(code=c)) for c in ("411325", "411328")]
        self.n = 0
        self.changed = True  # check the books once before the first step

    def teardown(self):
        DONE.update(self.done)
        REFUSED.update(self.refusals)
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ----------------------------------------------------------------------------

    def _books(self):
        """What a refusal must leave untouched: the ledger and the funds book (counts, last ids and
        totals — cheap enough to take around every step)."""
        last = lambda model: model.objects.order_by("-pk").values_list("pk", flat=True).first()  # noqa: E731
        return (
            JournalEntry.objects.count(), last(JournalEntry), Posting.objects.count(), last(RightBalance),
            RightBalance.objects.aggregate(b=Sum("balance"), lk=Sum("locked"), n=Sum(F("balance") * F("year"))),
            last(VolumeLock), VolumeLock.objects.filter(status=LockStatus.ACTIVE).aggregate(n=Sum("amount"), c=Sum("pk")),
            FundEntry.objects.count(), FundLine.objects.count(),
        )

    def _step(self, name: str, action) -> bool:
        """Run one user action in a savepoint: success, or a domain refusal that changed nothing."""
        self.tried[name] += 1
        before = self._books()
        try:
            with transaction.atomic():
                action()
        except DomainError as exc:
            self.changed = False
            assert exc.code and exc.code.replace("_", "").isalnum(), f"{name}: refusal without a stable code: {exc!r}"
            self.refusals[f"{name}:{exc.code}"] += 1
            assert self._books() == before, f"{name}: the refusal {exc.code} changed the books"
            return False
        self.done[name] += 1
        self.changed = self._books() != before
        return True

    def _uid(self) -> int:
        self.n += 1
        return self.n

    def _trades(self, *statuses):
        return list(Trade.objects.filter(pk__gte=self.first_trade, status__in=statuses).exclude(mode=TradeMode.ORDER_BOOK)
                    .order_by("pk").values_list("pk", flat=True))

    def _has(self, *statuses) -> bool:
        return bool(self._trades(*statuses))

    def _volume(self, share: str, years: list[int]) -> int:
        avail = min(ledger.available(self.seller_right, y) for y in years)
        return {"quarter": max(avail // 4, 1), "half": max(avail // 2, 1), "all": max(avail, 1), "over": avail + 1}[share]

    # --- rules ------------------------------------------------------------------------------

    @precondition(lambda self: self.tried["allocate"] < 2)  # a whole allocation run: costly
    @rule(volume=st.sampled_from([50_000, 200_000, 2_000_000_000]))
    def allocate(self, volume):
        """A3: a new permit's right is registered from the county's remaining cap (refused with
        ``regional_cap_exceeded`` when the cap is short)."""
        from shuiquan.allocation import services as allocation
        from shuiquan.allocation.choices import Engine
        from shuiquan.allocation.demo import _permit_items

        def act():
            county = reg.Region.objects.get(code="411325")
            i = self._uid()
            holder = reg.WaterUser.objects.create(name=f"性质测试新增用水户{i}", kind="enterprise", region=county,
                                                  sector=reg.Sector.objects.get(code="27"))
            authority = reg.Authority.objects.get(name="内乡县水利局")
            permit = reg.WithdrawalPermit.objects.create(
                number=f"411325-HYP-{i:04d}", holder=holder, region=county, approving_authority=authority,
                supervising_authority=authority, source=reg.WaterSource.objects.get(name="虎山水库"), source_type="surface",
                withdrawal_method="pumping", use="industrial", sector=holder.sector, annual_volume_m3=volume,
                issued_on=dt.date(YEAR, 1, 1), valid_from=dt.date(YEAR, 1, 1), valid_to=dt.date(YEAR + 2, 12, 31))
            run = allocation.prepare_and_compute(actor=self.officer, engine=Engine.PERMIT,
                                                 parameters={"permit": permit.pk, "items": _permit_items(permit)})
            run = allocation.review_run(run, actor=self.officer, reason="核对无误")
            run = allocation.approve_run(run, actor=self.officer, reason="同意")
            allocation.register_run(run, actor=self.officer)
            assert ledger.right_for_permit(permit) is not None

        self._step("allocate", act)

    @rule(share=st.sampled_from(["quarter", "half", "all", "over"]), two_years=st.booleans(), buyer=st.integers(0, 1))
    def negotiate(self, share, two_years, buyer):
        """T12/T5/T3: saved volume declared, verified, agreed; agreeing locks the volume (L1:
        refused with ``insufficient_volume`` when the seller's available volume is short, or F4
        ``pledged`` when the shortfall is volume pledged to a bank)."""
        years = [clock.this_year(), clock.this_year() + 1] if two_years else [clock.this_year()]
        _u, permit, _r = self.buyers[buyer]

        def act():
            volume = self._volume(share, years)
            saving = trading.submit_savings(actor=self.seller, permit=self.seller_permit, source_kind="works", description="节水改造",
                                            claimed_m3=volume, first_year=years[0], last_year=years[-1], evidence="计量数据")
            trade = trading.apply_trade(actor=self.seller, trade_type="permit", seller_right=self.seller_right, volume_m3=volume,
                                        start_year=years[0], end_year=years[-1], buyer=f"permit:{permit.pk}", savings=saving)
            trading.verify_trade(actor=self.officer, trade=trade, works_manager_opinion="同意")
            trading.agree(actor=self.seller, trade=trade, unit_price="1.10")

        self._step("negotiate", act)

    @rule(share=st.sampled_from(["quarter", "half", "over"]))
    def list_(self, share):
        """T3/T5: a verified saving listed at a fixed price; the listing locks the volume (L1; F4
        ``pledged`` when the shortfall is pledged volume)."""

        def act():
            year = clock.this_year()
            volume = self._volume(share, [year])
            saving = trading.submit_savings(actor=self.seller, permit=self.seller_permit, source_kind="works", description="节水改造",
                                            claimed_m3=volume, first_year=year, last_year=year, evidence="计量数据")
            trade = trading.apply_trade(actor=self.seller, trade_type="permit", seller_right=self.seller_right, volume_m3=volume,
                                        start_year=year, end_year=year, mode="listing", savings=saving)
            trading.verify_trade(actor=self.officer, trade=trade, works_manager_opinion="同意")
            trading.publish_listing(actor=self.seller, trade=trade, listed_price="1.00")

        self._step("list", act)

    @precondition(lambda self: self._has(TradeStatus.LISTED, TradeStatus.AUCTION))
    @rule(data=st.data(), buyer=st.integers(0, 1), raise_by=st.sampled_from(["0.00", "0.05", "0.50"]))
    def bid(self, data, buyer, raise_by):
        """T3: an intending buyer registers during the notice period (deposit); in an auction it bids
        at least the best bid plus the increment (``bid_increment``/``already_leading`` otherwise)."""
        pk = data.draw(st.sampled_from(self._trades(TradeStatus.LISTED, TradeStatus.AUCTION)))
        user, permit, _r = self.buyers[buyer]

        def act():
            trade = Trade.objects.get(pk=pk)
            if trade.status == TradeStatus.LISTED:
                trading.register_intent(actor=user, listing=trade.listing.pk, buyer=f"permit:{permit.pk}",
                                        deposit_reference=f"DEP-{pk}-{permit.pk}")
            else:
                best = trade.listing.auction.bids.order_by("-unit_price").values_list("unit_price", flat=True).first()
                price = (best or trade.listing.listed_price) + Decimal(raise_by)
                trading.place_bid(actor=user, trade=pk, buyer=f"permit:{permit.pk}", unit_price=price)

        self._step("bid", act)

    @precondition(lambda self: self._has(TradeStatus.AGREED))
    @rule(data=st.data())
    def complete(self, data):
        """T6/T7/F1: both sign, the buyer pays, the platform settles, the bureau registers: the
        locked volume is posted seller → buyer for each year of the term (one entry)."""
        pk = data.draw(st.sampled_from(self._trades(TradeStatus.AGREED)))

        def act():
            trade = Trade.objects.get(pk=pk)
            buyer = self.buyer_user[trade.buyer_ref]
            trading.sign(actor=self.seller, trade=pk)
            trading.sign(actor=buyer, trade=pk)
            trading.pay(actor=buyer, trade=pk, reference=f"BANK-{pk}")
            trading.settle(actor=self.admin, trade=pk)
            trading.register(actor=self.officer, trade=pk, approval_number=f"内水许变〔{YEAR}〕{pk}号")
            assert JournalEntry.objects.filter(reference_type="trading.trade", reference_id=str(pk)).count() == 1

        self._step("complete", act)

    @precondition(lambda self: self._has(TradeStatus.AGREED, TradeStatus.LISTED))
    @rule(data=st.data())
    def cancel(self, data):
        """The seller withdraws before contracting: the trade's locks are released."""
        pk = data.draw(st.sampled_from(self._trades(TradeStatus.AGREED, TradeStatus.LISTED)))

        def act():
            trading.cancel(actor=self.seller, trade=pk, reason="转让方撤回")
            assert not VolumeLock.objects.filter(reference_type="trading.trade", reference_id=str(pk), status=LockStatus.ACTIVE).exists()

        self._step("cancel", act)

    @rule(side=st.sampled_from(["ask", "bid"]), who=st.integers(0, 1), lots=st.integers(1, 4),
          price=st.sampled_from(["0.28", "0.30", "0.32"]))
    def order(self, side, who, lots, price):
        """T9: an order in the session (queued in the opening window and matched after the draw, or
        matched at once in continuous trading); an ask locks its lots (L1); a fill consumes the lock,
        posts seller → buyer and re-locks the rest."""
        a = self.associations[who]
        if orderbook.phase(self.session) == "closed":  # the day's session has closed: the bureau opens the next
            self.session = orderbook.open_session(actor=self.admin)
        self._step("order", lambda: orderbook.place_order(actor=self.reps[a.pk], session=self.session, side=side,
                                                          party=f"association:{a.pk}", lots=lots, limit_price=price))

    @precondition(lambda self: self.tried["pledge"] < 3)  # pledges accumulate and then refuse every sale (F4)
    @rule(share=st.sampled_from(["quarter", "half", "over"]), two_years=st.booleans())
    def pledge(self, share, two_years):
        """§7.2.5: a volume pledge applied, confirmed by the bank and registered by the bureau locks
        the volume each year (``pledge_insufficient_volume`` when it is not available)."""
        years = [clock.this_year(), clock.this_year() + 1] if two_years else [clock.this_year()]

        def act():
            volume = self._volume(share, years)
            p = finance.apply_pledge(actor=self.seller, right=self.seller_right, bank=self.bank, kind=PledgeKind.VOLUME_PLEDGE,
                                     first_year=years[0], last_year=years[-1], volume_m3=volume, secured_amount="1000000",
                                     loan_contract_no=f"LOAN-{self._uid()}")
            finance.confirm_by_bank(p, actor=self.users["bank_officer"], bank_reference=f"BR-{p.pk}")
            finance.register_pledge(p, actor=self.officer)

        self._step("pledge", act)

    @precondition(lambda self: Pledge.objects.filter(right=self.seller_right, status=PledgeStatus.REGISTERED, loan_contract_no__startswith="LOAN-").exists())
    @rule(data=st.data())
    def release(self, data):
        """The pledgee releases a pledge: its locks are released."""
        pks = list(Pledge.objects.filter(right=self.seller_right, status=PledgeStatus.REGISTERED, loan_contract_no__startswith="LOAN-")
                   .order_by("pk").values_list("pk", flat=True))
        pk = data.draw(st.sampled_from(pks))
        self._step("release", lambda: finance.release_pledge(Pledge.objects.get(pk=pk), actor=self.users["bank_officer"], note="还款"))

    @precondition(lambda self: JournalEntry.objects.filter(pk__gte=self.first_entry).exclude(kind=EntryKind.REVERSAL).exists())
    @rule(data=st.data())
    def reverse(self, data):
        """Corrections are new entries: the city bureau reverses an entry of this run (L1
        ``insufficient_volume`` when the volume it gave has since been locked or moved on;
        ``already_reversed`` the second time)."""
        pks = list(JournalEntry.objects.filter(pk__gte=self.first_entry).exclude(kind=EntryKind.REVERSAL).order_by("pk")
                   .values_list("pk", flat=True))
        pk = data.draw(st.sampled_from(pks))
        self._step("reverse", lambda: ledger.reverse_entry(JournalEntry.objects.get(pk=pk), actor=self.admin, reason="更正"))

    @rule(move=st.sampled_from(MOVES))
    def tick(self, move):
        """Time passes and the scheduler runs (``trading_tick``): notices and auctions that ended are
        closed (one buyer → agreed; several → auction; none → failed, lock released), order-book
        sessions close (locks released), and trades whose term has ended expire (T8, no entry)."""
        _Clock.now = _Clock.now + move

        def act():
            trading.close_due()
            orderbook.tick()
            trading.expire_due()

        self._step("tick", act)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def ledger_is_sound(self):
        if not self.changed:
            return  # a refusal: ``_step`` has checked that the books are exactly as they were
        assert [str(p) for p in verify_ledger()] == []
        # Directly: every entry of this run sums to zero per year, and so does the whole book (conservation).
        mine = Posting.objects.filter(entry_id__gte=self.first_entry)
        assert not mine.values("entry_id", "year").annotate(s=Sum("amount")).exclude(s=0).exists()
        assert not Posting.objects.values("year").annotate(s=Sum("amount")).exclude(s=0).exists()
        # Directly: available = balance − locked ≥ 0 for every right that is not an issuance account.
        negative = RightBalance.objects.exclude(right__kind__in=NEGATIVE_ALLOWED).filter(balance__lt=F("locked"))
        assert not negative.exists(), list(negative.values_list("right_id", "year", "balance", "locked"))
        # Directly: the seller's cached balances and locks equal its postings and active locks.
        for row in RightBalance.objects.filter(right=self.seller_right):
            assert row.balance == ledger.posted_sum(self.seller_right, row.year)
            active = VolumeLock.objects.filter(right=self.seller_right, year=row.year, status=LockStatus.ACTIVE)
            assert row.locked == (active.aggregate(s=Sum("amount"))["s"] or 0)
        # Directly: children within their parent (nominal volumes) for the county rights allocated from.
        for parent in self.county_parents:
            children = WaterRight.objects.filter(parent=parent).exclude(status=RightStatus.CANCELLED)
            assert (children.aggregate(s=Sum("annual_volume_m3"))["s"] or 0) <= parent.annual_volume_m3

    @invariant()
    def funds_book_balances(self):
        if not self.changed:
            return
        assert funds.verify_book() == []
        assert _fund_entries_balance(self.first_fund_entry)
        settled = Trade.objects.filter(pk__gte=self.first_trade, settled_at__isnull=False).filter(~Q(mode=TradeMode.ORDER_BOOK))
        for trade in settled:
            assert funds.reconcile(trade) == [], trade.number


#: The parties every example starts from (built once per test, inside the test's transaction;
#: each example runs in a savepoint rolled back at its end, so every example starts from this).
WORLD: dict = {}


def _world() -> dict:
    _Clock.now = START
    users = {u.username: u for u in User.objects.all()}
    admin = users["city_admin"]
    rights = build_rights(admin)
    seller_permit = permit_of("permit_holder")
    buyers = industrial_buyers(admin, 2, "HYP")
    bank = Bank.objects.get(name="南阳某商业银行（演示）")
    bank.staff.add(users["bank_officer"])
    # The order book: 100 m³ lots, two associations no demo trade has touched, each having pooled
    # 300 m³ from its households (归集), and a session opened at START.
    config.set_value("trading.lot_m3", "100", actor=admin)
    associations = fresh_associations("打磨岗灌区")[:2]
    reps = {a.pk: rep_of(a) for a in associations}
    for a in associations:
        pool(a, 300)
    return {
        "users": users, "admin": admin, "officer": users["neixiang_officer"], "seller": users["permit_holder"],
        "seller_permit": seller_permit, "seller_right": rights["permits"][seller_permit.pk], "buyers": buyers,
        "buyer_user": {f"permit:{p.pk}": u for u, p, _r in buyers}, "bank": bank, "associations": associations, "reps": reps,
        "session": orderbook.open_session(actor=admin),
    }


def test_random_use_of_the_services_never_breaks_the_ledger_or_the_funds_book(users, monkeypatch):
    """Ledger invariants (zero-sum entries, available ≥ 0, children ≤ parent) and the funds book
    hold after every step of random allocation, trading, pledging, reversal and expiry."""
    monkeypatch.setattr(clock, "now", lambda: _Clock.now)
    WORLD.clear()
    WORLD.update(_world())
    DONE.clear()
    REFUSED.clear()
    run_state_machine_as_test(
        PlatformMachine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )
    print(f"\nsteps done: {dict(sorted(DONE.items()))}\nrefused: {dict(sorted(REFUSED.items()))}")
    # Not vacuous: the random runs did reach every kind of action (and got refusals too).
    missing = {"allocate", "negotiate", "complete", "list", "bid", "order", "pledge", "release", "reverse", "tick"} - set(DONE)
    assert not missing, f"never succeeded: {missing}"
    assert REFUSED

