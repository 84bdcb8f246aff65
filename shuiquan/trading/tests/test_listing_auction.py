"""One-sided listing with notice, deposits and the online auction (T3)."""

import datetime as dt
from decimal import Decimal

import pytest

from shuiquan.core import config
from shuiquan.core.errors import Conflict, Forbidden, ValidationFailed
from shuiquan.ledger import services as ledger
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import VolumeLock
from shuiquan.registry.models import WithdrawalPermit
from shuiquan.trading import services
from shuiquan.trading.choices import DepositStatus, IntentStatus, ListingStatus, PaymentKind, TradeMode, TradeStatus
from shuiquan.trading.models import Payment

from .builders import holder_of, permit_of

pytestmark = pytest.mark.django_db

VOLUME = 300_000  # 30万立方米/年 × 2 年


@pytest.fixture
def listed(users, rights):
    seller_permit = permit_of("permit_holder")
    saving = services.submit_savings(actor=users["permit_holder"], permit=seller_permit, source_kind="structural",
                                     description="淘汰高耗水工序", claimed_m3=VOLUME, first_year=2026, last_year=2027, evidence="工艺改造验收")
    trade = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][seller_permit.pk],
                                 volume_m3=VOLUME, start_year=2026, end_year=2027, mode="listing", savings=saving)
    services.verify_trade(actor=users["neixiang_officer"], trade=trade, works_manager_opinion="同意", note="属实")
    listing = services.publish_listing(actor=users["permit_holder"], trade=trade, listed_price="1.00")
    return trade, listing


def _buyers(users):
    """Three qualified buyers with compliant online metering: 唐河华润生物制药, 唐河嘉禾能源, 内乡恒达化工."""
    huarun = permit_of("buyer_holder")
    jiahe = WithdrawalPermit.objects.get(holder__name="唐河嘉禾能源有限公司")
    hengda = WithdrawalPermit.objects.get(holder__name="内乡恒达化工有限公司")
    return [(users["buyer_holder"], huarun), (holder_of(jiahe), jiahe), (holder_of(hengda), hengda)]


def test_listing_locks_volume_and_deposit_is_ten_percent(users, rights, listed):
    trade, listing = listed
    assert listing.deposit_amount == Decimal("60000.00")  # 10% × 1.00 元 × 300,000 × 2
    locks = VolumeLock.objects.filter(reference_type="trading.trade", reference_id=str(trade.pk), status="active")
    assert sorted(locks.values_list("year", "amount")) == [(2026, VOLUME), (2027, VOLUME)]
    seller_right = trade.seller_right
    others = sum(VolumeLock.objects.filter(right=seller_right, year=2026, status="active").exclude(
        reference_id=str(trade.pk)).values_list("amount", flat=True))
    assert ledger.available(seller_right, 2026) == ledger.balance(seller_right, 2026) - others - VOLUME


def test_three_intending_buyers_go_to_auction_highest_bid_wins_losers_refunded(users, rights, listed, clock_at):
    trade, listing = listed
    (a_user, a), (b_user, b), (c_user, c) = _buyers(users)
    a_balance_2027 = ledger.balance(rights["permits"][a.pk], 2027)
    for user, permit in ((a_user, a), (b_user, b), (c_user, c)):
        services.register_intent(actor=user, listing=listing, buyer=f"permit:{permit.pk}", deposit_reference=f"DEP-{permit.pk}")
    with pytest.raises(Conflict):
        services.close_notice(actor=users["city_admin"], trade=trade)  # notice not ended
    clock_at.advance(days=10)
    services.close_notice(actor=users["city_admin"], trade=trade)
    trade.refresh_from_db()
    assert trade.status == TradeStatus.AUCTION and trade.mode == TradeMode.AUCTION
    services.place_bid(actor=a_user, trade=trade, buyer=f"permit:{a.pk}", unit_price="1.00")
    clock_at.advance(minutes=1)
    services.place_bid(actor=b_user, trade=trade, buyer=f"permit:{b.pk}", unit_price="1.05")
    clock_at.advance(minutes=1)
    with pytest.raises(ValidationFailed) as exc:
        services.place_bid(actor=c_user, trade=trade, buyer=f"permit:{c.pk}", unit_price="1.055")
    assert exc.value.code == "bid_increment"
    services.place_bid(actor=c_user, trade=trade, buyer=f"permit:{c.pk}", unit_price="1.10")
    clock_at.advance(minutes=1)
    services.place_bid(actor=a_user, trade=trade, buyer=f"permit:{a.pk}", unit_price="1.25")
    with pytest.raises(Forbidden):  # someone who did not register cannot bid
        services.place_bid(actor=users["permit_holder"], trade=trade, buyer=f"permit:{permit_of('permit_holder').pk}", unit_price="2")
    clock_at.advance(minutes=60)
    services.close_auction(actor=users["city_admin"], trade=trade)
    trade.refresh_from_db()
    assert trade.status == TradeStatus.AGREED
    assert trade.buyer_permit_id == a.pk and trade.unit_price == Decimal("1.2500")
    assert trade.total_price == Decimal("750000.00")  # 1.25 × 600,000
    intents = {i.buyer_ref: i for i in listing.intents.all()}
    assert intents[f"permit:{a.pk}"].status == IntentStatus.WON and intents[f"permit:{a.pk}"].deposit_status == DepositStatus.APPLIED
    for loser in (b, c):
        i = intents[f"permit:{loser.pk}"]
        assert i.status == IntentStatus.LOST and i.deposit_status == DepositStatus.REFUNDED
        assert Payment.objects.get(intent=i, kind=PaymentKind.DEPOSIT_REFUND).amount == Decimal("60000.00")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DEALT
    # The winner pays the price less its deposit, plus its fee
    due = services.amounts_due(trade)
    assert due["buyer_due"] == Decimal("750000.00") - Decimal("60000.00") + Decimal("3750.00")
    services.sign(actor=users["permit_holder"], trade=trade)
    services.sign(actor=a_user, trade=trade)
    services.pay(actor=a_user, trade=trade, reference="BANK-9", amount=str(due["buyer_due"]))
    services.settle(actor=users["city_admin"], trade=trade)
    services.register(actor=users["neixiang_officer"], trade=trade, approval_number="内水许变〔2026〕9号")
    trade.refresh_from_db()
    assert trade.buyer_right == rights["permits"][a.pk]
    assert ledger.balance(trade.buyer_right, 2027) == a_balance_2027 + VOLUME
    assert verify_ledger() == []


def test_anti_sniping_extends_the_end(users, rights, listed, clock_at):
    trade, listing = listed
    (a_user, a), (b_user, b), _ = _buyers(users)
    for user, permit in ((a_user, a), (b_user, b)):
        services.register_intent(actor=user, listing=listing, buyer=f"permit:{permit.pk}", deposit_reference="D")
    clock_at.advance(days=10)
    services.close_notice(actor=None, trade=trade)
    auction = listing.auction
    end = auction.ends_at
    clock_at.set(end - dt.timedelta(minutes=2))  # within the last 5 minutes
    bid = services.place_bid(actor=a_user, trade=trade, buyer=f"permit:{a.pk}", unit_price="1.00")
    auction.refresh_from_db()
    assert auction.ends_at == clock_at.now + dt.timedelta(minutes=5) and auction.extensions == 1
    assert bid.extended_to == auction.ends_at
    clock_at.set(end + dt.timedelta(minutes=1))  # after the original end, before the extended one
    services.place_bid(actor=b_user, trade=trade, buyer=f"permit:{b.pk}", unit_price="1.01")
    clock_at.set(auction.ends_at + dt.timedelta(minutes=10))
    with pytest.raises(Conflict):
        services.place_bid(actor=a_user, trade=trade, buyer=f"permit:{a.pk}", unit_price="2.00")
    services.close_auction(actor=None, trade=trade)
    trade.refresh_from_db()
    assert trade.buyer_permit_id == b.pk and trade.unit_price == Decimal("1.0100")


def test_equal_bids_go_to_the_earlier_one(users, rights, listed, clock_at):
    config.set_value("trading.auction_min_increment", "0", actor=users["city_admin"])
    trade, listing = listed
    (a_user, a), (b_user, b), _ = _buyers(users)
    for user, permit in ((a_user, a), (b_user, b)):
        services.register_intent(actor=user, listing=listing, buyer=f"permit:{permit.pk}", deposit_reference="D")
    clock_at.advance(days=10)
    services.close_notice(actor=None, trade=trade)
    services.place_bid(actor=b_user, trade=trade, buyer=f"permit:{b.pk}", unit_price="1.10")
    clock_at.advance(seconds=30)
    services.place_bid(actor=a_user, trade=trade, buyer=f"permit:{a.pk}", unit_price="1.10")
    clock_at.advance(hours=2)
    services.close_auction(actor=None, trade=trade)
    trade.refresh_from_db()
    assert trade.buyer_permit_id == b.pk


def test_one_intending_buyer_gets_an_agreement_at_the_listed_price(users, rights, listed, clock_at):
    trade, listing = listed
    (a_user, a), _, _ = _buyers(users)
    services.register_intent(actor=a_user, listing=listing, buyer=f"permit:{a.pk}", deposit_reference="D")
    clock_at.advance(days=10)
    services.close_notice(actor=a_user, trade=trade)
    trade.refresh_from_db()
    assert trade.status == TradeStatus.AGREED and trade.unit_price == Decimal("1.0000") and trade.buyer_permit_id == a.pk
    assert trade.mode == TradeMode.LISTING


def test_no_intending_buyer_fails_and_releases_the_lock(users, rights, listed, clock_at):
    trade, listing = listed
    available = ledger.available(trade.seller_right, 2026)
    clock_at.advance(days=10)
    assert services.close_due()["notices"] == [trade.number]
    trade.refresh_from_db()
    assert trade.status == TradeStatus.FAILED
    assert ledger.available(trade.seller_right, 2026) == available + VOLUME
    assert verify_ledger() == []


def test_cancelling_a_listing_with_buyers_refunds_deposits(users, rights, listed):
    trade, listing = listed
    (a_user, a), _, _ = _buyers(users)
    services.register_intent(actor=a_user, listing=listing, buyer=f"permit:{a.pk}", deposit_reference="D")
    from shuiquan.core.errors import Forbidden as F

    with pytest.raises(F):
        services.cancel(actor=users["permit_holder"], trade=trade, reason="不卖了")
    services.cancel(actor=users["city_admin"], trade=trade, reason="转让方申请撤牌，经审核同意")
    trade.refresh_from_db()
    assert trade.status == TradeStatus.CANCELLED
    assert listing.intents.get().deposit_status == DepositStatus.REFUNDED
    assert not VolumeLock.objects.filter(reference_type="trading.trade", reference_id=str(trade.pk), status="active").exists()


def test_the_tick_command_closes_due_notices(users, rights, listed, clock_at):
    from io import StringIO

    from django.core.management import call_command

    trade, _listing = listed
    clock_at.advance(days=11)
    out = StringIO()
    call_command("trading_tick", stdout=out)
    assert "notices closed: 1" in out.getvalue()
    trade.refresh_from_db()
    assert trade.status == TradeStatus.FAILED
