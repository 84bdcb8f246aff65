"""Withdrawal-permit trade (取水权交易): the whole procedure with real numbers (T4, T5, T6, T7, T8)."""

from decimal import Decimal

import pytest

from shuiquan.core.errors import Conflict, Forbidden
from shuiquan.ledger import services as ledger
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import JournalEntry
from shuiquan.registry.models import AnnualWithdrawalPlan, WithdrawalPermit
from shuiquan.trading import documents, services
from shuiquan.trading.choices import PaymentKind, TradeStatus
from shuiquan.trading.models import PermitChange, TradeTransition

from .builders import permit_of

pytestmark = pytest.mark.django_db

VOLUME = 500_000  # 50万立方米/年


def _saving(users, permit, volume=VOLUME, first=2026, last=2028):
    return services.submit_savings(
        actor=users["permit_holder"], permit=permit, source_kind="works", description="冷却水循环利用改造（节水工程）",
        claimed_m3=volume, first_year=first, last_year=last, evidence="改造前后三年计量数据；竣工验收报告",
    )


def permit_trade(users, rights, *, volume=VOLUME, first=2026, last=2028, price="1.20"):
    """apply → verify → agree → sign ×2 → pay → settle (the registration is left to the test)."""
    seller_permit, buyer_permit = permit_of("permit_holder"), permit_of("buyer_holder")
    saving = _saving(users, seller_permit, volume, first, last)
    trade = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][seller_permit.pk],
                                 volume_m3=volume, start_year=first, end_year=last, buyer=f"permit:{buyer_permit.pk}", savings=saving)
    services.verify_trade(actor=users["neixiang_officer"], trade=trade, works_manager_opinion="唐河地表水管理单位：同意", note="节水措施属实")
    services.agree(actor=users["permit_holder"], trade=trade, unit_price=price)
    services.sign(actor=users["permit_holder"], trade=trade)
    services.sign(actor=users["buyer_holder"], trade=trade)
    services.pay(actor=users["buyer_holder"], trade=trade, reference="BANK-0001")
    services.settle(actor=users["city_admin"], trade=trade)
    trade.refresh_from_db()
    return trade, seller_permit, buyer_permit


def test_T7_three_year_permit_trade_changes_both_permits_and_posts_three_years(users, rights):
    seller_permit, buyer_permit = permit_of("permit_holder"), permit_of("buyer_holder")
    seller_right, buyer_right = rights["permits"][seller_permit.pk], rights["permits"][buyer_permit.pk]
    seller_before = {y: ledger.balance(seller_right, y) for y in (2025, 2026, 2027, 2028)}
    seller_available = {y: ledger.available(seller_right, y) for y in (2025, 2026, 2027, 2028)}
    buyer_before = {y: ledger.balance(buyer_right, y) for y in (2025, 2026, 2027, 2028, 2029)}
    seller_volume, buyer_volume = seller_permit.annual_volume_m3, buyer_permit.annual_volume_m3
    # The annual withdrawal plans before the trade (the registry's demo plans, and those an earlier
    # demo trade changed); where a year has none, the permitted volume is the plan.
    def plans(permit):
        set_ = dict(AnnualWithdrawalPlan.objects.filter(permit=permit).values_list("year", "volume_m3"))
        return {y: set_.get(y, permit.annual_volume_m3) for y in (2026, 2027, 2028)}

    seller_plans, buyer_plans = plans(seller_permit), plans(buyer_permit)

    trade, _, _ = permit_trade(users, rights)
    assert trade.status == TradeStatus.SETTLED
    assert trade.total_price == Decimal("1800000.00")  # 500,000 × 3 × 1.20
    # While settled but not registered the volume is locked, not moved
    assert ledger.available(seller_right, 2027) == seller_available[2027] - VOLUME
    assert ledger.balance(seller_right, 2027) == seller_before[2027]

    services.register(actor=users["neixiang_officer"], trade=trade, approval_number="内水许变〔2026〕1号")
    trade.refresh_from_db()
    assert trade.status == TradeStatus.REGISTERED
    # The ledger: one entry, seller → buyer, for 2026, 2027 and 2028 only
    entry = JournalEntry.objects.get(reference_type="trading.trade", reference_id=str(trade.pk))
    assert sorted(entry.postings.values_list("year", "amount")) == sorted(
        [(y, -VOLUME) for y in (2026, 2027, 2028)] + [(y, VOLUME) for y in (2026, 2027, 2028)]
    )
    for y in (2026, 2027, 2028):
        assert ledger.balance(seller_right, y) == seller_before[y] - VOLUME
        assert ledger.balance(buyer_right, y) == buyer_before[y] + VOLUME
    assert ledger.balance(seller_right, 2025) == seller_before[2025]
    assert ledger.balance(buyer_right, 2029) == buyer_before[2029]  # reversion needs no entry
    # T7: both permits changed, with post-trade volumes, uses and annual plans
    change = PermitChange.objects.get(trade=trade)
    assert (change.seller_volume_before_m3, change.seller_volume_after_m3) == (seller_volume, seller_volume - VOLUME)
    assert (change.buyer_volume_before_m3, change.buyer_volume_after_m3) == (buyer_volume, buyer_volume + VOLUME)
    assert change.seller_use == "industrial" and change.buyer_use == "industrial"
    # T7: each year's plan changes by the traded volume
    assert change.seller_plans == {str(y): seller_plans[y] - VOLUME for y in (2026, 2027, 2028)}
    assert change.buyer_plans == {str(y): buyer_plans[y] + VOLUME for y in (2026, 2027, 2028)}
    seller_permit.refresh_from_db()
    buyer_permit.refresh_from_db()
    # 内乡永安药业 and 唐河华润生物制药 (demo data): each permit changes by 500,000 m³/yr
    assert seller_permit.annual_volume_m3 == seller_volume - 500_000 and seller_permit.status == "changed"
    assert buyer_permit.annual_volume_m3 == buyer_volume + 500_000 and buyer_permit.status == "changed"
    for y in (2026, 2027, 2028):
        assert AnnualWithdrawalPlan.objects.get(permit=seller_permit, year=y).volume_m3 == seller_plans[y] - 500_000
        assert AnnualWithdrawalPlan.objects.get(permit=buyer_permit, year=y).volume_m3 == buyer_plans[y] + 500_000
    # F1: proceeds less the seller's fee (0.5%) go to the seller
    assert trade.seller_fee == Decimal("9000.00") and trade.buyer_fee == Decimal("9000.00")
    assert trade.proceeds == Decimal("1791000.00") and trade.proceeds_to == "内乡永安药业有限公司"
    assert trade.payments.get(kind=PaymentKind.PROCEEDS).amount == Decimal("1791000.00")
    # A history row per transition
    names = list(TradeTransition.objects.filter(trade=trade).values_list("name", flat=True))
    assert names == ["apply", "verify", "agree", "sign", "sign", "pay", "settle", "register"]
    assert verify_ledger() == []
    # Documents
    assert documents.agreement_pdf(trade).startswith(b"%PDF")
    assert documents.certificate_pdf(trade).startswith(b"%PDF")


def test_T7_one_year_permit_trade_changes_no_permit(users, rights):
    volume_before = permit_of("permit_holder").annual_volume_m3
    trade, seller_permit, buyer_permit = permit_trade(users, rights, first=2026, last=2026)
    services.register(actor=users["neixiang_officer"], trade=trade)
    trade.refresh_from_db()
    assert trade.status == TradeStatus.REGISTERED
    assert not PermitChange.objects.filter(trade=trade).exists()
    assert WithdrawalPermit.objects.get(pk=seller_permit.pk).annual_volume_m3 == volume_before
    assert WithdrawalPermit.objects.get(pk=buyer_permit.pk).status == buyer_permit.status
    entry = JournalEntry.objects.get(reference_type="trading.trade", reference_id=str(trade.pk))
    assert sorted(entry.postings.values_list("year", "amount")) == [(2026, -VOLUME), (2026, VOLUME)]
    assert verify_ledger() == []


def test_T5_only_the_original_approving_authority_verifies(users, rights):
    seller_permit, buyer_permit = permit_of("permit_holder"), permit_of("buyer_holder")
    saving = _saving(users, seller_permit)
    trade = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][seller_permit.pk],
                                 volume_m3=VOLUME, start_year=2026, end_year=2028, buyer=f"permit:{buyer_permit.pk}", savings=saving)
    # 20 working days from Monday 2 March 2026 (weekends skipped) → Monday 30 March 2026
    assert str(trade.verification_due) == "2026-03-30"
    with pytest.raises(Forbidden):
        services.verify_trade(actor=users["tanghe_officer"], trade=trade, works_manager_opinion="x")
    with pytest.raises(Conflict):
        services.sign(actor=users["buyer_holder"], trade=trade)


def test_T8_expiry_reverts_without_an_entry_and_restores_permits_then_renewal(users, rights, clock_at):
    seller_volume, buyer_volume = permit_of("permit_holder").annual_volume_m3, permit_of("buyer_holder").annual_volume_m3
    balance_2028 = ledger.balance(rights["permits"][permit_of("permit_holder").pk], 2028)
    trade, seller_permit, buyer_permit = permit_trade(users, rights, first=2026, last=2027)
    services.register(actor=users["neixiang_officer"], trade=trade, approval_number="内水许变〔2026〕2号")
    entries = JournalEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        services.expire(actor=users["city_admin"], trade=trade)
    assert exc.value.code == "term_not_ended"
    clock_at.set(clock_at.now.replace(year=2028, month=1, day=3))
    assert trade.number in services.expire_due()
    trade.refresh_from_db()
    assert trade.status == TradeStatus.EXPIRED
    assert JournalEntry.objects.count() == entries  # reversion: no ledger entry
    assert WithdrawalPermit.objects.get(pk=seller_permit.pk).annual_volume_m3 == seller_volume  # 910,000 again
    assert WithdrawalPermit.objects.get(pk=buyer_permit.pk).annual_volume_m3 == buyer_volume  # 510,000 again
    seller_right = rights["permits"][seller_permit.pk]
    assert ledger.balance(seller_right, 2028) == balance_2028  # the term's years only were posted
    # Renewal is a new procedure for the following years
    saving = _saving(users, seller_permit, first=2028, last=2028)
    renewal = services.renew(actor=users["permit_holder"], trade=trade, end_year=2028, savings=saving)
    assert renewal.renewal_of_id == trade.pk and (renewal.start_year, renewal.end_year) == (2028, 2028)
    assert renewal.status == TradeStatus.APPLIED
    assert verify_ledger() == []
