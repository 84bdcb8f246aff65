"""Irrigation-user trades (T9), first purchase, county buy-back and resale (T10), reserve funder (F3)."""

from decimal import Decimal

import pytest

from shuiquan.core.errors import RuleViolation
from shuiquan.ledger import services as ledger
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import WaterRight
from shuiquan.registry.models import WithdrawalPermit
from shuiquan.trading import services
from shuiquan.trading.choices import IntentStatus, PaymentKind, TradeStatus

from .builders import fresh_associations, holder_of, pool, rep_of

pytestmark = pytest.mark.django_db


def _assocs():
    """Associations no demo trade has touched (largest right first), each with a representative."""
    return fresh_associations("打磨岗灌区"), fresh_associations("虎山灌区")


def test_T9_one_year_trade_between_associations_needs_no_approval(users, rights):
    damogang, _ = _assocs()
    seller, buyer = damogang[0], damogang[1]
    seller_right = pool(seller, 2_000)  # its households pool 2,000 m³ into the association's right (归集)
    buyer_right = rights["associations"][buyer.pk]
    rep, buyer_rep = rep_of(seller), rep_of(buyer)
    before_s, before_b = ledger.balance(seller_right, 2026), ledger.balance(buyer_right, 2026)
    trade = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=seller_right, volume_m3=2_000, start_year=2026,
                                 end_year=2026, buyer=f"association:{buyer.pk}")
    assert trade.status == TradeStatus.READY  # accepted at once: one year or less needs no approval
    services.agree(actor=rep, trade=trade, unit_price="0.25")
    services.sign(actor=rep, trade=trade)
    services.sign(actor=buyer_rep, trade=trade)
    services.pay(actor=buyer_rep, trade=trade, reference="农信社-01")
    services.settle(actor=users["city_admin"], trade=trade)
    trade.refresh_from_db()
    assert trade.status == TradeStatus.REGISTERED  # registered at settlement
    assert ledger.balance(seller_right, 2026) == before_s - 2_000 and ledger.balance(buyer_right, 2026) == before_b + 2_000
    # T9: all proceeds to the seller (no fee by default)
    assert trade.total_price == Decimal("500.00") and trade.proceeds == Decimal("500.00") and trade.seller_fee == Decimal("0.00")
    assert trade.proceeds_to == str(seller)
    assert verify_ledger() == []


def test_T9_two_year_irrigation_trade_without_filing_refused_then_filed(users, rights, ledger_snapshot):
    damogang, _ = _assocs()
    seller, buyer = damogang[0], damogang[1]
    rep = rep_of(seller)
    seller_right = pool(seller, 1_500, 2026, 2027)
    trade = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=seller_right, volume_m3=1_500,
                                 start_year=2026, end_year=2027, buyer=f"association:{buyer.pk}")
    assert trade.status == TradeStatus.APPLIED
    snap = ledger_snapshot()
    with pytest.raises(RuleViolation) as exc:
        services.agree(actor=rep, trade=trade, unit_price="0.25")
    assert exc.value.rule == "T9" and exc.value.code == "t9_not_filed"
    with pytest.raises(RuleViolation) as exc:
        services.publish_listing(actor=rep, trade=trade, listed_price="0.25")
    assert exc.value.rule == "T9"
    assert ledger_snapshot() == snap
    trade.refresh_from_db()
    assert trade.status == TradeStatus.APPLIED
    services.file_record(actor=users["damogang_manager"], trade=trade, filed_with="内乡县打磨岗灌区管理局", filing_number="DMG备〔2026〕3号")
    services.agree(actor=rep, trade=trade, unit_price="0.25")
    trade.refresh_from_db()
    assert trade.status == TradeStatus.AGREED


def test_T9_same_association_buyer_wins_first_purchase_window_over_outsider(users, rights, clock_at):
    damogang, hushan = _assocs()
    seller, insider, outsider = damogang[0], damogang[1], hushan[0]
    rep, insider_rep, outsider_rep = rep_of(seller), rep_of(insider), rep_of(outsider)
    volume = 3_000
    seller_right = pool(seller, volume)
    trade = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=seller_right, volume_m3=volume,
                                 start_year=2026, end_year=2026, mode="listing")
    listing = services.publish_listing(actor=rep, trade=trade, listed_price="0.30")
    assert listing.priority_until == clock_at.now + __import__("datetime").timedelta(days=5)
    with pytest.raises(RuleViolation) as exc:  # the outsider cannot register during the window
        services.register_intent(actor=outsider_rep, listing=listing, buyer=f"association:{outsider.pk}", deposit_reference="D1")
    assert exc.value.rule == "T9" and exc.value.code == "t9_priority_window"
    services.register_intent(actor=insider_rep, listing=listing, buyer=f"association:{insider.pk}", deposit_reference="D2")
    clock_at.advance(days=6)
    outsider_intent = services.register_intent(actor=outsider_rep, listing=listing, buyer=f"association:{outsider.pk}", deposit_reference="D3")
    clock_at.advance(days=5)
    services.close_notice(actor=users["city_admin"], trade=trade)
    trade.refresh_from_db()
    assert trade.status == TradeStatus.AGREED and trade.buyer_association_id == insider.pk
    assert trade.unit_price == Decimal("0.3000")
    outsider_intent.refresh_from_db()
    assert outsider_intent.status == IntentStatus.EXCLUDED and outsider_intent.deposit_status == "refunded"


def test_T10_F3_county_buy_back_and_resale_to_industry_credits_the_reserve_funder(users, rights):
    damogang, _ = _assocs()
    seller = damogang[0]  # the largest untouched right: 2,000 m³ is within S1's 30 % of it
    rep = rep_of(seller)
    officer = users["neixiang_officer"]
    reserve = rights["neixiang_reserve"]
    volume = 2_000
    assoc_right = pool(seller, volume)
    assoc_before = ledger.balance(assoc_right, 2026)
    # 1. Buy-back into the county reserve
    buy = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=assoc_right, volume_m3=volume, start_year=2026, end_year=2026,
                               buyer=f"reserve:{reserve.pk}")
    services.agree(actor=rep, trade=buy, unit_price="0.20")
    services.sign(actor=rep, trade=buy)
    services.sign(actor=officer, trade=buy)
    services.pay(actor=officer, trade=buy, reference="内乡财-01")
    services.settle(actor=users["city_admin"], trade=buy)
    services.register(actor=officer, trade=buy)
    buy.refresh_from_db()
    assert buy.status == TradeStatus.REGISTERED and buy.proceeds_to == str(seller)
    reserve_right = WaterRight.objects.get(reserve=reserve, kind="reserve")
    assert ledger.balance(reserve_right, 2026) == volume and ledger.balance(assoc_right, 2026) == assoc_before - volume
    # 2. Resale to industry, after the county verifies the buyer's need (and approves the change of use)
    hengda = WithdrawalPermit.objects.get(holder__name="内乡恒达化工有限公司")
    hengda_user = holder_of(hengda)
    hengda_before = ledger.balance(WaterRight.objects.get(pk=ledger.right_for_permit(hengda).pk), 2026)
    sale = services.apply_trade(actor=officer, trade_type="irrigation", seller_right=reserve_right, volume_m3=volume, start_year=2026,
                                end_year=2026, buyer=f"permit:{hengda.pk}")
    assert sale.verifying_authority.name == "内乡县水利局"
    services.verify_trade(actor=officer, trade=sale, note="受让方扩产用水需求真实合理", use_change_approved=True)
    services.agree(actor=officer, trade=sale, unit_price="0.80")
    services.sign(actor=officer, trade=sale)
    services.sign(actor=hengda_user, trade=sale)
    services.pay(actor=hengda_user, trade=sale, reference="BANK-77")
    services.settle(actor=users["city_admin"], trade=sale)
    services.register(actor=officer, trade=sale)
    sale.refresh_from_db()
    # F3: proceeds of volume bought by the reserve go to whoever funded it
    assert sale.proceeds_to == reserve.funder == "内乡县财政局（县级收储资金）"
    # 0.80 元 × 2,000 m³; 0.5 % seller fee
    assert sale.total_price == Decimal("1600.00") and sale.seller_fee == Decimal("8.00") and sale.proceeds == Decimal("1592.00")
    assert sale.proceeds == sale.total_price - sale.seller_fee
    assert sale.payments.get(kind=PaymentKind.PROCEEDS).payee == reserve.funder
    assert ledger.balance(reserve_right, 2026) == 0
    assert ledger.balance(sale.buyer_right, 2026) == hengda_before + volume
    assert verify_ledger() == []


def test_T10_resale_without_use_change_approval_is_refused_by_S1(users, rights, ledger_snapshot):
    damogang, _ = _assocs()
    officer, rep = users["neixiang_officer"], rep_of(damogang[0])
    reserve = rights["neixiang_reserve"]
    buy = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=pool(damogang[0], 1_000), volume_m3=1_000,
                               start_year=2026, end_year=2026, buyer=f"reserve:{reserve.pk}")
    services.agree(actor=rep, trade=buy, unit_price="0.20")
    services.sign(actor=rep, trade=buy)
    services.sign(actor=officer, trade=buy)
    services.pay(actor=officer, trade=buy, reference="x")
    services.settle(actor=users["city_admin"], trade=buy)
    services.register(actor=officer, trade=buy)
    reserve_right = WaterRight.objects.get(reserve=reserve, kind="reserve")
    hengda = WithdrawalPermit.objects.get(holder__name="内乡恒达化工有限公司")
    sale = services.apply_trade(actor=officer, trade_type="irrigation", seller_right=reserve_right, volume_m3=1_000, start_year=2026,
                                end_year=2026, buyer=f"permit:{hengda.pk}")
    services.verify_trade(actor=officer, trade=sale, note="需求属实")  # use change NOT approved
    services.agree(actor=officer, trade=sale, unit_price="0.80")
    snap = ledger_snapshot()
    with pytest.raises(RuleViolation) as exc:
        services.sign(actor=officer, trade=sale)
    assert exc.value.rule == "S1" and exc.value.code == "s1_use_change_unapproved"
    assert ledger_snapshot() == snap


def test_T9_first_purchase_for_users_of_the_same_association(users, rights, city_admin, clock_at):
    """With the scope set to the association: a household of the seller's association wins over a
    neighbouring association of the same district that registered after the window."""
    from shuiquan.core import config

    config.set_value("trading.priority_scope", "association", actor=city_admin)
    damogang, _ = _assocs()
    own = damogang[0]
    rep = rep_of(own)
    seller_hh, buyer_hh = list(own.households.order_by("code")[:2])
    neighbour = damogang[1]
    neighbour_rep = rep_of(neighbour)
    volume = 500  # the household sells from its own right (自主交易)
    assert ledger.available(rights["households"][seller_hh.pk], 2026) >= volume
    trade = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=rights["households"][seller_hh.pk], volume_m3=volume,
                                 start_year=2026, end_year=2026, mode="listing")
    listing = services.publish_listing(actor=rep, trade=trade, listed_price="0.28")
    assert listing.priority_scope == "association"
    with pytest.raises(RuleViolation) as exc:
        services.register_intent(actor=neighbour_rep, listing=listing, buyer=f"association:{neighbour.pk}", deposit_reference="N1")
    assert exc.value.code == "t9_priority_window"
    clock_at.advance(days=6)
    services.register_intent(actor=neighbour_rep, listing=listing, buyer=f"association:{neighbour.pk}", deposit_reference="N2")
    services.register_intent(actor=rep, listing=listing, buyer=f"household:{buyer_hh.pk}", deposit_reference="H1")  # late, but same association
    clock_at.advance(days=5)
    services.close_notice(actor=None, trade=trade)
    trade.refresh_from_db()
    assert trade.status == TradeStatus.AGREED and trade.buyer_household_id == buyer_hh.pk
