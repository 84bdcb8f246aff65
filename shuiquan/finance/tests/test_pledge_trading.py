"""Pledges meet trading: pledged volume is refused for sale (F4, "pledged") until the pledgee
releases it; enforcement sells the volume through trading's normal procedure, swapping the pledge
lock for the trade's lock in one transaction, and pays the pledgee first."""

from decimal import Decimal

import pytest

from shuiquan.core.errors import RuleViolation, ValidationFailed
from shuiquan.finance import funds, services
from shuiquan.finance.models import Bank, FundAccount, FundEntry, PledgeKind, PledgeStatus
from shuiquan.ledger import services as ledger
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import VolumeLock
from shuiquan.trading import services as trading
from shuiquan.trading.choices import TradeStatus
from shuiquan.trading.models import Trade
from shuiquan.trading.tests.builders import permit_of
from shuiquan.trading.tests.test_permit_trade import _saving

pytestmark = pytest.mark.django_db
YEAR = 2026


@pytest.fixture
def setup(users, rights):
    bank = Bank.objects.get(name="南阳某商业银行（演示）")
    bank.staff.add(users["bank_officer"])
    permit = permit_of("permit_holder")
    return {"bank": bank, "permit": permit, "right": rights["permits"][permit.pk], "buyer": permit_of("buyer_holder")}


def _pledge(users, s, volume, secured="250000", kind=PledgeKind.VOLUME_PLEDGE):
    p = services.apply_pledge(actor=users["permit_holder"], right=s["right"], bank=s["bank"], kind=kind, first_year=YEAR, last_year=YEAR,
                              volume_m3=volume, secured_amount=secured, loan_contract_no="LOAN-F4")
    services.confirm_by_bank(p, actor=users["bank_officer"], bank_reference="ZY-F4")
    return services.register_pledge(p, actor=users["neixiang_officer"])


def _snapshot():
    return Trade.objects.count(), sorted(VolumeLock.objects.values_list("pk", "status"))


def test_F4_a_pledged_rights_sale_is_refused_until_the_pledgee_releases_it(users, setup):
    s = setup
    free = ledger.available(s["right"], YEAR)
    pledge = _pledge(users, s, free - 50_000)  # only 50,000 m³ left unpledged
    saving = _saving(users, s["permit"], 100_000, YEAR, YEAR)
    before = _snapshot()
    with pytest.raises(RuleViolation) as exc:
        trading.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=s["right"], volume_m3=100_000, start_year=YEAR,
                            end_year=YEAR, buyer=f"permit:{s['buyer'].pk}", savings=saving)
    assert exc.value.rule == "F4" and exc.value.code == "pledged"
    assert "质押" in exc.value.message and s["bank"].name in exc.value.message
    assert _snapshot() == before
    # The holder and the county cannot release it; the pledgee can, and then the sale goes through.
    services.release_pledge(pledge, actor=users["bank_officer"], note="贷款已还清")
    trade = trading.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=s["right"], volume_m3=100_000,
                                start_year=YEAR, end_year=YEAR, buyer=f"permit:{s['buyer'].pk}", savings=saving)
    assert trade.status == TradeStatus.APPLIED
    assert verify_ledger() == []


def test_pledge_enforcement_sells_through_trading_and_pays_the_pledgee_first(users, setup):
    """300,000 m³ pledged for 2026 securing 250,000.00 yuan; sold at 1.00 yuan/m³ → 300,000.00,
    seller fee 0.5% 1,500.00, net 298,500.00: the bank receives 250,000.00, the holder 48,500.00."""
    s = setup
    pledge = _pledge(users, s, 300_000)
    saving = _saving(users, s["permit"], 300_000, YEAR, YEAR)
    available = ledger.available(s["right"], YEAR)
    services.request_enforcement(pledge, actor=users["bank_officer"], buyer="唐河华润生物制药有限公司", reason="借款逾期90日")
    # A refused step leaves everything as it was: the pledge stays locked and no trade exists.
    before = _snapshot()
    with pytest.raises(ValidationFailed):
        services.approve_enforcement(pledge, actor=users["city_admin"], buyer=f"permit:{s['buyer'].pk}", unit_price="-1", savings=saving,
                                     works_manager_opinion="同意")
    assert _snapshot() == before and services.pledge_locks(pledge).count() == 1
    pledge = services.approve_enforcement(pledge, actor=users["city_admin"], buyer=f"permit:{s['buyer'].pk}", unit_price="1.00",
                                          savings=saving, works_manager_opinion="工程管理单位：同意")
    trade = pledge.enforcement_trade
    assert trade.status == TradeStatus.AGREED and pledge.status == PledgeStatus.ENFORCING
    # Same transaction: the pledge lock was released and the trade's own lock took its place.
    assert services.pledge_locks(pledge).count() == 0
    assert VolumeLock.objects.filter(reference_type="finance.pledge", reference_id=str(pledge.pk), status="released").count() == 1
    trade_locks = VolumeLock.objects.filter(reference_type="trading.trade", reference_id=str(trade.pk), status="active")
    assert [(lk.year, lk.amount) for lk in trade_locks] == [(YEAR, 300_000)]
    assert ledger.available(s["right"], YEAR) == available
    # The trade goes on normally.
    trading.sign(actor=users["city_admin"], trade=trade, side="seller")
    trading.sign(actor=users["buyer_holder"], trade=trade)
    trading.pay(actor=users["buyer_holder"], trade=trade, reference="BANK-ENF")
    trading.settle(actor=users["city_admin"], trade=trade)
    trade.refresh_from_db()
    assert trade.total_price == Decimal("300000.00") and trade.proceeds == Decimal("298500.00")
    settlement = FundEntry.objects.get(trade=trade, kind="settlement")
    bank_acct = FundAccount.objects.get(code=f"pledgee:{s['bank'].pk}")
    seller_acct = FundAccount.objects.get(code=f"party:permit:{s['permit'].pk}")
    assert settlement.lines.get(account=bank_acct).amount == Decimal("250000.00")
    assert settlement.lines.get(account=seller_acct).amount == Decimal("48500.00")
    assert settlement.pledge == pledge and funds.paid_to_pledgee(pledge) == Decimal("250000.00")
    assert funds.reconcile(trade) == []
    trading.register(actor=users["neixiang_officer"], trade=trade, note="质权实现过户")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.ENFORCED and pledge.closed_at is not None
    assert verify_ledger() == []


def test_a_cancelled_enforcement_trade_locks_the_pledge_again(users, setup):
    s = setup
    pledge = _pledge(users, s, 200_000)
    saving = _saving(users, s["permit"], 200_000, YEAR, YEAR)
    services.request_enforcement(pledge, actor=users["bank_officer"], buyer="买方", reason="逾期")
    pledge = services.approve_enforcement(pledge, actor=users["city_admin"], buyer=f"permit:{s['buyer'].pk}", unit_price="1.10",
                                          savings=saving, works_manager_opinion="同意")
    trading.cancel(actor=users["city_admin"], trade=pledge.enforcement_trade, reason="受让方放弃")
    pledge.refresh_from_db()
    assert pledge.enforcement_trade is None and pledge.status == PledgeStatus.ENFORCING
    assert [(lk.year, lk.amount) for lk in services.pledge_locks(pledge)] == [(YEAR, 200_000)]
    assert services.pledged_volume(s["right"], YEAR) >= 200_000


def test_income_pledge_proceeds_go_to_the_pledgee_up_to_the_secured_amount(users, setup):
    from shuiquan.trading.tests.test_permit_trade import permit_trade

    s = setup
    _pledge(users, s, 0, secured="100000", kind=PledgeKind.INCOME_PLEDGE)
    trade, _, _ = permit_trade(users, {"permits": {s["permit"].pk: s["right"]}}, volume=100_000, first=YEAR, last=YEAR, price="2.00")
    settlement = FundEntry.objects.get(trade=trade, kind="settlement")
    lines = {line.account.code: line.amount for line in settlement.lines.all()}
    assert lines[f"pledgee:{s['bank'].pk}"] == Decimal("100000.00")
    assert lines[f"party:permit:{s['permit'].pk}"] == Decimal("99000.00")  # 200,000 − 1,000 fee − 100,000
    assert funds.reconcile(trade) == []
