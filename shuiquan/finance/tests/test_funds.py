"""The trade funds ledger (交易资金): F1, F2, F3, deposits, order-book fills, reconciliation, the book."""

from decimal import Decimal

import pytest

from shuiquan.core import config
from shuiquan.core.errors import Conflict, Forbidden, ValidationFailed
from shuiquan.finance import funds
from shuiquan.finance.choices import AccountKind, EntryKind
from shuiquan.finance.models import FundAccount, FundEntry, FundLine
from shuiquan.ledger.models import WaterRight
from shuiquan.registry.models import Region
from shuiquan.trading import services as trading
from shuiquan.trading.choices import PaymentKind
from shuiquan.trading.tests.test_permit_trade import permit_trade

pytestmark = pytest.mark.django_db


def _line(entry, kind):
    return sum((line.amount for line in entry.lines.all() if line.account.kind == kind), Decimal("0.00"))


def test_F1_funds_of_a_trade_balance_to_the_fen_and_the_seller_gets_price_times_volume_less_fees_and_taxes(users, rights):
    """500,000 m³ × 3 years × 1.2345 yuan = 1,851,750.00; fees 0.5% each = 9,258.75; tax 0.05% (a
    placeholder rate set for the test) = 925.875 → 925.88; the seller receives 1,841,565.37."""
    config.set_value("finance.tax_rate", "0.0005", actor=users["city_admin"])
    trade, _, _ = permit_trade(users, rights, price="1.2345")
    total = Decimal("500000") * 3 * Decimal("1.2345")
    assert trade.total_price == total == Decimal("1851750.00")
    fee = Decimal("9258.75")
    tax = Decimal("925.88")
    assert trade.seller_fee == fee and trade.buyer_fee == fee
    assert funds.tax_for(trade) == tax
    assert trade.proceeds == total - fee - tax == Decimal("1841565.37")
    # Every payment record has exactly one balanced entry.
    payments = list(trade.payments.all())
    assert {p.kind for p in payments} == {PaymentKind.PRICE, PaymentKind.FEE_BUYER, PaymentKind.FEE_SELLER, PaymentKind.PROCEEDS}
    for p in payments:
        entry = FundEntry.objects.get(payment=p)
        assert sum(line.amount for line in entry.lines.all()) == Decimal("0.00")
    f = funds.trade_funds(trade)
    assert f.price_paid == total and f.buyer_fee == fee and f.seller_fee == fee and f.tax == tax
    assert f.settlement_balance == Decimal("0.00")
    seller = FundAccount.objects.get(code=f"party:permit:{trade.seller_permit_id}")
    buyer = FundAccount.objects.get(code=f"party:{trade.buyer_ref}")
    seller_received = FundLine.objects.filter(account=seller, entry__trade=trade).values_list("amount", flat=True)
    assert sum(seller_received) == Decimal("1841565.37")
    buyer_paid = -sum(FundLine.objects.filter(account=buyer, entry__trade=trade).values_list("amount", flat=True))
    assert buyer_paid == total + fee == Decimal("1861008.75")
    settlement = FundEntry.objects.get(trade=trade, kind=EntryKind.SETTLEMENT)
    assert settlement.rule == "F1" and _line(settlement, AccountKind.TAX) == tax
    assert f.issues == [] and funds.reconcile(trade) == []
    assert funds.verify_book() == []


def test_F1_mismatch_is_reported_by_reconciliation(users, rights):
    trade, _, _ = permit_trade(users, rights, price="1.00")
    assert funds.reconcile(trade) == []
    # Someone changes the trade's recorded proceeds behind the ledger's back: reconciliation says so.
    type(trade).objects.filter(pk=trade.pk).update(proceeds=trade.proceeds + Decimal("0.01"))
    trade.refresh_from_db()
    issues = funds.reconcile(trade)
    assert issues and "转让方所得" in issues[0]


def _snwd_sale(users, rights, volume=20_000_000, price="0.87"):
    admin, snwd = users["city_admin"], users["snwd_unit"]
    city_reserve = rights["city_reserve"]
    take = trading.apply_trade(actor=users["tanghe_officer"], trade_type="regional", seller_right=rights["snwd"]["411328"],
                               volume_m3=volume, start_year=2026, end_year=2027, buyer=f"reserve:{city_reserve.pk}")
    trading.consult_snwd(actor=snwd, trade=take, opinion="同意收储")
    trading.verify_trade(actor=admin, trade=take, note="结余属实")
    trading.agree(actor=users["tanghe_officer"], trade=take, unit_price="0.10")
    trading.sign(actor=users["tanghe_officer"], trade=take)
    trading.sign(actor=admin, trade=take, side="buyer")
    trading.file_province(actor=admin, trade=take, filing_number="豫水备〔2026〕20号")
    trading.pay(actor=admin, trade=take, reference="市财-收储-1")
    trading.settle(actor=admin, trade=take)
    trading.register(actor=admin, trade=take)
    reserve_right = WaterRight.objects.get(reserve=city_reserve, kind="reserve", source_type="snwd")
    zhengzhou = trading.ensure_outside_region(actor=admin, name="郑州市", name_en="Zhengzhou")
    sale = trading.apply_trade(actor=admin, trade_type="regional", seller_right=reserve_right, volume_m3=volume, start_year=2026,
                               end_year=2027, buyer=f"region:{zhengzhou.pk}")
    trading.consult_snwd(actor=snwd, trade=sale, opinion="同意")
    trading.verify_trade(actor=admin, trade=sale)
    trading.agree(actor=admin, trade=sale, unit_price=price)
    trading.sign(actor=admin, trade=sale, side="seller")
    trading.sign(actor=admin, trade=sale, side="buyer")
    trading.file_province(actor=admin, trade=sale, filing_number="豫水备〔2026〕21号")
    trading.pay(actor=admin, trade=sale, reference="郑州财-1")
    trading.settle(actor=admin, trade=sale)
    sale.refresh_from_db()
    take.refresh_from_db()
    return take, sale


def test_F2_snwd_cross_region_proceeds_are_non_tax_revenue_distributed_to_earmarks_and_county_rewards(users, rights):
    """0.87 × 2000万 m³ × 2 years = 34,800,000.00; seller fee 0.5% = 174,000.00; non-tax revenue
    34,626,000.00 → 10% rewards (3,462,600.00) to 唐河县, which gave the reserve its volume, and
    31,163,400.00 to the earmarked uses 40/30/20/10."""
    take, sale = _snwd_sale(users, rights)
    # The county's sale into the city reserve is an ordinary F1 trade.
    assert FundEntry.objects.get(trade=take, kind=EntryKind.SETTLEMENT).rule == "F1"
    settlement = FundEntry.objects.get(trade=sale, kind=EntryKind.SETTLEMENT)
    assert settlement.rule == "F2"
    assert _line(settlement, AccountKind.NON_TAX) == Decimal("34626000.00")
    assert _line(settlement, AccountKind.RESERVE_FUNDER) == Decimal("0.00")
    assert funds.snwd_revenue(sale) == Decimal("34626000.00")
    with pytest.raises(Forbidden):
        funds.distribute_snwd_revenue(sale, actor=users["tanghe_officer"])
    entry = funds.distribute_snwd_revenue(sale, actor=users["finance_officer"])
    lines = {line.account.code: line.amount for line in entry.lines.all()}
    assert lines["treasury:snwd_non_tax"] == Decimal("-34626000.00")
    assert lines[f"county_reward:{Region.objects.get(name='唐河县').code}"] == Decimal("3462600.00")
    assert lines["earmark:basic_water_fee"] == Decimal("12465360.00")
    assert lines["earmark:supporting_works"] == Decimal("9349020.00")
    assert lines["earmark:development_conservation"] == Decimal("6232680.00")
    assert lines["earmark:eco_compensation"] == Decimal("3116340.00")
    assert sum(lines.values()) == 0
    assert funds.snwd_revenue(sale) == Decimal("0.00")
    with pytest.raises(Conflict):
        funds.distribute_snwd_revenue(sale, actor=users["finance_officer"])
    assert funds.reconcile(sale) == [] and funds.verify_book() == []


def test_F2_distribution_refused_for_other_trades(users, rights):
    trade, _, _ = permit_trade(users, rights)
    entries = FundEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        funds.distribute_snwd_revenue(trade, actor=users["finance_officer"])
    assert exc.value.rule == "F2" and FundEntry.objects.count() == entries


def test_F3_reserve_volume_proceeds_go_to_the_reserve_funder(users, rights):
    """A county sells regional surplus into the city reserve; the reserve resells it to another
    county: the resale's proceeds go to whoever funded the reserve."""
    admin = users["city_admin"]
    city_reserve = rights["city_reserve"]
    buy = trading.apply_trade(actor=users["neixiang_officer"], trade_type="regional", seller_right=rights["counties"]["411325"],
                              volume_m3=1_000_000, start_year=2026, end_year=2026, buyer=f"reserve:{city_reserve.pk}")
    trading.verify_trade(actor=admin, trade=buy, note="结余属实")
    trading.agree(actor=users["neixiang_officer"], trade=buy, unit_price="0.30")
    trading.sign(actor=users["neixiang_officer"], trade=buy)
    trading.sign(actor=admin, trade=buy, side="buyer")
    trading.file_province(actor=admin, trade=buy, filing_number="豫水备-F3-1")
    trading.pay(actor=admin, trade=buy, reference="收储-F3")
    trading.settle(actor=admin, trade=buy)
    trading.register(actor=admin, trade=buy)
    buy.refresh_from_db()
    tanghe = Region.objects.get(code="411328")
    sale = trading.apply_trade(actor=admin, trade_type="regional", seller_right=buy.buyer_right, volume_m3=1_000_000, start_year=2026,
                               end_year=2026, buyer=f"region:{tanghe.pk}")
    trading.verify_trade(actor=admin, trade=sale)
    trading.agree(actor=admin, trade=sale, unit_price="0.40")
    trading.sign(actor=admin, trade=sale, side="seller")
    trading.sign(actor=users["tanghe_officer"], trade=sale)
    trading.file_province(actor=admin, trade=sale, filing_number="豫水备-F3-2")
    trading.pay(actor=users["tanghe_officer"], trade=sale, reference="唐河-F3")
    trading.settle(actor=admin, trade=sale)
    sale.refresh_from_db()
    entry = FundEntry.objects.get(trade=sale, kind=EntryKind.SETTLEMENT)
    assert entry.rule == "F3"
    funder = FundAccount.objects.get(code=f"reserve_funder:{city_reserve.pk}")
    assert funder.name.startswith(city_reserve.funder)
    # 400,000.00 − 0.5% fee 2,000.00 = 398,000.00 to the funder; nothing to the reserve as a "seller"
    assert sum(entry.lines.filter(account=funder).values_list("amount", flat=True)) == Decimal("398000.00")
    assert not entry.lines.filter(account__kind=AccountKind.PARTY).exists()
    assert funds.reconcile(sale) == []


def test_deposits_are_held_then_applied_to_the_price(users, rights, clock_at):
    from shuiquan.trading.tests.builders import permit_of
    from shuiquan.trading.tests.test_permit_trade import _saving

    seller_permit, buyer_permit = permit_of("permit_holder"), permit_of("buyer_holder")
    saving = _saving(users, seller_permit, 100_000, 2026, 2026)
    trade = trading.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][seller_permit.pk],
                                volume_m3=100_000, start_year=2026, end_year=2026, savings=saving, mode="listing")
    trading.verify_trade(actor=users["neixiang_officer"], trade=trade, works_manager_opinion="同意", note="属实")
    listing = trading.publish_listing(actor=users["permit_holder"], trade=trade, listed_price="1.50")
    assert listing.deposit_amount == Decimal("15000.00")  # 10% of 150,000.00
    trading.register_intent(actor=users["buyer_holder"], listing=listing, buyer=f"permit:{buyer_permit.pk}", deposit_reference="BZJ-1")
    deposits = FundAccount.objects.get(code="platform:deposits")
    held = lambda: sum(FundLine.objects.filter(account=deposits, entry__trade=trade).values_list("amount", flat=True))  # noqa: E731
    assert held() == Decimal("15000.00")
    clock_at.advance(days=11)
    trading.close_notice(actor=users["city_admin"], trade=trade)
    assert held() == Decimal("0.00")  # converted to price
    trading.sign(actor=users["permit_holder"], trade=trade)
    trading.sign(actor=users["buyer_holder"], trade=trade)
    trading.pay(actor=users["buyer_holder"], trade=trade, reference="BANK-2")
    trading.settle(actor=users["city_admin"], trade=trade)
    trade.refresh_from_db()
    f = funds.trade_funds(trade)
    assert f.price_paid == Decimal("150000.00") and f.deposits_held == Decimal("0.00") and f.settlement_balance == Decimal("0.00")
    assert f.issues == []


def test_entries_must_balance_and_nothing_is_written_otherwise(users):
    a = funds.platform(AccountKind.SETTLEMENT)
    b = funds.platform(AccountKind.FEES)
    n = FundEntry.objects.count()
    for lines in ([funds.L(a, Decimal("1.00")), funds.L(b, Decimal("-0.99"))], [funds.L(a, Decimal("0.001")), funds.L(b, Decimal("-0.001"))],
                  [funds.L(a, Decimal("1.00"))]):
        with pytest.raises(ValidationFailed):
            funds.post(kind=EntryKind.REVERSAL, lines=lines, memo="测试")
    assert FundEntry.objects.count() == n
    with pytest.raises(ValidationFailed):
        funds.post(kind=EntryKind.REVERSAL, lines=[funds.L(a, 1.0), funds.L(b, -1.0)], memo="float")  # floats refused
    assert funds.split_money(Decimal("100.00"), [1, 1, 1]) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_backfill_is_idempotent(users, rights):
    trade, _, _ = permit_trade(users, rights)
    n = FundEntry.objects.count()
    assert funds.backfill() == 0
    assert FundEntry.objects.count() == n
    assert funds.post_payment(trade.payments.first()) == FundEntry.objects.get(payment=trade.payments.first())


def test_order_book_fill_payment_is_recorded_by_the_finance_bureau(users, rights, city_admin, clock_at):
    """An order-book fill (T9: no fees, no tax by default) — the finance bureau records the
    buyer's payment: buyer −price, seller +price; the fill then reconciles."""
    from shuiquan.trading import orderbook
    from shuiquan.trading.tests.builders import fresh_associations, pool, rep_of

    config.set_value("trading.lot_m3", "100", actor=city_admin)
    seller, buyer = fresh_associations("打磨岗灌区")[:2]
    pool(seller, 300)
    session = orderbook.open_session(actor=city_admin)
    clock_at.advance(minutes=31)
    orderbook.place_order(actor=rep_of(seller), session=session, side="ask", party=f"association:{seller.pk}", lots=2, limit_price="0.30")
    orderbook.place_order(actor=rep_of(buyer), session=session, side="bid", party=f"association:{buyer.pk}", lots=2, limit_price="0.30")
    from shuiquan.trading.models import Trade

    trade = Trade.objects.filter(mode="order_book").order_by("-pk").first()
    assert trade.total_price == Decimal("60.00")
    assert "委托撮合成交价款未记录" in funds.reconcile(trade)
    with pytest.raises(Forbidden):
        funds.record_orderbook_payment(trade, actor=users["permit_holder"], reference="X")
    with pytest.raises(ValidationFailed):
        funds.record_orderbook_payment(trade, actor=users["finance_officer"], reference=" ")
    entry = funds.record_orderbook_payment(trade, actor=users["finance_officer"], reference="农商行-0001")
    lines = {line.account.code: line.amount for line in entry.lines.all()}
    assert lines == {f"party:association:{buyer.pk}": Decimal("-60.00"), f"party:association:{seller.pk}": Decimal("60.00")}
    assert entry.rule == "F1" and funds.reconcile(trade) == []
    with pytest.raises(Conflict):
        funds.record_orderbook_payment(trade, actor=users["finance_officer"], reference="again")
