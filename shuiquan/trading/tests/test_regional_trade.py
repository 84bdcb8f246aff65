"""Regional trades (区域水权交易): between counties, and SNWD cross-region trades by the city (T2, S2, T11)."""

from decimal import Decimal

import pytest

from shuiquan.core.errors import Forbidden, RuleViolation
from shuiquan.ledger import services as ledger
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import WaterRight
from shuiquan.registry.models import Region
from shuiquan.trading import impact, services
from shuiquan.trading.choices import TradeStatus
from shuiquan.trading.models import DispatchPlanLine

pytestmark = pytest.mark.django_db

WAN_100 = 1_000_000


def _county_trade(users, rights, *, volume=WAN_100):
    neixiang, tanghe = Region.objects.get(code="411325"), Region.objects.get(code="411328")
    trade = services.apply_trade(actor=users["neixiang_officer"], trade_type="regional", seller_right=rights["counties"]["411325"],
                                 volume_m3=volume, start_year=2026, end_year=2027, buyer=f"region:{tanghe.pk}")
    services.verify_trade(actor=users["city_admin"], trade=trade, note="内乡县地表水可用水量内结余属实")
    services.agree(actor=users["neixiang_officer"], trade=trade, unit_price="0.50")
    services.sign(actor=users["neixiang_officer"], trade=trade)
    services.sign(actor=users["tanghe_officer"], trade=trade)
    services.file_province(actor=users["city_admin"], trade=trade, filing_number="豫水备〔2026〕12号")
    services.pay(actor=users["tanghe_officer"], trade=trade, reference="唐河财-1")
    services.settle(actor=users["city_admin"], trade=trade)
    services.register(actor=users["city_admin"], trade=trade)
    trade.refresh_from_db()
    return trade, neixiang, tanghe


def test_S2_county_to_county_trade_counts_against_seller_cap_not_buyer_cap(users, rights):
    before_s, before_b = ledger.balance(rights["counties"]["411325"], 2026), ledger.balance(rights["counties"]["411328"], 2027)
    pos_before = impact.s2_position(Region.objects.get(code="411328"), 2026)
    sold_before = impact.s2_position(Region.objects.get(code="411325"), 2026)["sold_m3"]
    trade, neixiang, tanghe = _county_trade(users, rights)
    assert trade.status == TradeStatus.REGISTERED
    assert ledger.balance(rights["counties"]["411325"], 2026) == before_s - WAN_100
    assert ledger.balance(rights["counties"]["411328"], 2027) == before_b + WAN_100
    # The agreement was filed with the province and the volume entered the buyer's dispatch plan
    assert trade.province_filing_number == "豫水备〔2026〕12号"
    assert sorted(DispatchPlanLine.objects.filter(trade=trade).values_list("region__name", "year", "volume_m3")) == [
        ("唐河县", 2026, WAN_100), ("唐河县", 2027, WAN_100)]
    # S2: the seller's cap is reduced by what it sold; the buyer's bought volume is not counted against its cap
    s = impact.s2_position(neixiang, 2026)
    assert s["cap_m3"] == 140_110_000 and s["sold_m3"] == sold_before + WAN_100
    assert s["effective_cap_m3"] == 140_110_000 - sold_before - WAN_100  # 139,110,000 without other trades
    b = impact.s2_position(tanghe, 2026)
    assert b["bought_m3"] == pos_before["bought_m3"] + WAN_100 and b["cap_m3"] == 252_990_000
    assert b["assessed_use_m3"] == pos_before["assessed_use_m3"] - WAN_100  # 2021 use 2.11亿 − bought
    assert verify_ledger() == []


def test_T2_a_county_cannot_sell_snwd_water_to_another_city(users, rights, ledger_snapshot):
    zhengzhou = services.ensure_outside_region(actor=users["city_admin"], name="郑州市", name_en="Zhengzhou")
    snap = ledger_snapshot()
    with pytest.raises(RuleViolation) as exc:
        services.apply_trade(actor=users["tanghe_officer"], trade_type="regional", seller_right=rights["snwd"]["411328"],
                             volume_m3=10_000_000, start_year=2026, end_year=2027, buyer=f"region:{zhengzhou.pk}")
    assert exc.value.rule == "T2" and exc.value.code == "t2_outside_needs_city_reserve"
    assert ledger_snapshot() == snap


def test_T2_snwd_surplus_into_city_reserve_then_sold_to_zhengzhou(users, rights):
    city_reserve = rights["city_reserve"]
    admin, snwd = users["city_admin"], users["snwd_unit"]
    volume = 20_000_000  # 2000万立方米/年
    tanghe_sold_before = impact.s2_position(Region.objects.get(code="411328"), 2026)["sold_m3"]
    # 1. The city takes 唐河县's SNWD surplus into its reserve, consulting the SNWD unit
    take = services.apply_trade(actor=users["tanghe_officer"], trade_type="regional", seller_right=rights["snwd"]["411328"],
                                volume_m3=volume, start_year=2026, end_year=2027, buyer=f"reserve:{city_reserve.pk}")
    assert take.is_snwd
    with pytest.raises(Forbidden):
        services.consult_snwd(actor=users["tanghe_officer"], trade=take, opinion="同意")
    services.consult_snwd(actor=snwd, trade=take, opinion="输水能力满足，同意收储")
    services.verify_trade(actor=admin, trade=take, note="唐河县南水北调指标结余属实")
    services.agree(actor=users["tanghe_officer"], trade=take, unit_price="0.10")
    services.sign(actor=users["tanghe_officer"], trade=take)
    services.sign(actor=admin, trade=take, side="buyer")
    services.file_province(actor=admin, trade=take, filing_number="豫水备〔2026〕20号")
    services.pay(actor=admin, trade=take, reference="市财-收储-1")
    services.settle(actor=admin, trade=take)
    services.register(actor=admin, trade=take)
    reserve_right = WaterRight.objects.get(reserve=city_reserve, kind="reserve", source_type="snwd")
    assert ledger.balance(reserve_right, 2026) == volume
    # 2. The city sells to 郑州市 from its reserve
    zhengzhou = services.ensure_outside_region(actor=admin, name="郑州市", name_en="Zhengzhou")
    outside_before = {y: sum(ledger.balance(r, y) for r in WaterRight.objects.filter(holder_region=zhengzhou)) for y in (2026, 2027)}
    sale = services.apply_trade(actor=admin, trade_type="regional", seller_right=reserve_right, volume_m3=volume, start_year=2026,
                                end_year=2027, buyer=f"region:{zhengzhou.pk}")
    services.consult_snwd(actor=snwd, trade=sale, opinion="同意，纳入受水区年度调度计划")
    services.verify_trade(actor=admin, trade=sale)
    services.agree(actor=admin, trade=sale, unit_price="0.87")
    services.sign(actor=admin, trade=sale, side="seller")
    services.sign(actor=admin, trade=sale, side="buyer")
    services.file_province(actor=admin, trade=sale, filing_number="豫水备〔2026〕21号")
    services.pay(actor=admin, trade=sale, reference="郑州财-1")
    services.settle(actor=admin, trade=sale)
    services.register(actor=admin, trade=sale)
    sale.refresh_from_db()
    outside = sale.buyer_right
    assert outside.kind == "outside" and outside.holder_region_id == zhengzhou.pk
    assert ledger.balance(outside, 2026) == outside_before[2026] + volume and ledger.balance(reserve_right, 2027) == 0
    assert sale.total_price == Decimal("34800000.00")  # 0.87 × 2000万 × 2
    assert sale.proceeds_to == city_reserve.funder  # F3
    assert list(DispatchPlanLine.objects.filter(trade=sale).values_list("region__name", "year")) == [("郑州市", 2026), ("郑州市", 2027)]
    # S2: the buyer city has no cap here; the seller county's sale counts against its cap
    assert impact.s2_position(zhengzhou, 2026)["status"] == "no_cap"
    assert impact.s2_position(Region.objects.get(code="411328"), 2026)["sold_m3"] == tanghe_sold_before + volume
    assert verify_ledger() == []


def test_T11_region_over_its_available_volume_cannot_sell(users, rights, ledger_snapshot, city_admin):
    dengzhou = Region.objects.get(code="411381")  # 2021 use 7.01亿 ≥ cap 6.6115亿
    tanghe = Region.objects.get(code="411328")
    snap = ledger_snapshot()
    with pytest.raises(RuleViolation) as exc:
        services.apply_trade(actor=city_admin, trade_type="regional", seller_right=rights["counties"]["411381"], volume_m3=WAN_100,
                             start_year=2026, end_year=2026, buyer=f"region:{tanghe.pk}")
    assert exc.value.rule == "T11" and exc.value.code == "t11_region_over_available"
    assert ledger_snapshot() == snap
    assert dengzhou.name == "邓州市"
