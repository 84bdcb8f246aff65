"""Dual-control assessment (双控考核): S2 trade accounting, Table 2-1's minimums, statuses, figures."""

import datetime as dt
from decimal import Decimal

import pytest

from shuiquan.core import config
from shuiquan.core.errors import Conflict, Forbidden, ValidationFailed
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, RightKind
from shuiquan.registry.models import Region, WaterUser, WaterUseStatistic
from shuiquan.supervision import assessment, services
from shuiquan.supervision.assessment import Book, cap_status, floor_status
from shuiquan.supervision.choices import Status
from shuiquan.supervision.models import AssessmentFigures

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def regions():
    return {r.name: r for r in Region.objects.all()}


def _baseline(regions, names=("内乡县", "唐河县", "邓州市", "南阳市"), year=YEAR):
    """Each region's sold/bought volume before the test's own trade (the demo data has trades too)."""
    book = Book()
    return {n: (book.assess(regions[n], year).sold_m3, book.assess(regions[n], year).bought_m3) for n in names}


@pytest.fixture
def cross_region_trade(users, regions):
    """A permit holder in 内乡县 sells 500,000 m³ for 2026 to one in 唐河县 (a ledger trade entry)."""
    admin = users["city_admin"]
    base = _baseline(regions) | {"内乡县+1": _baseline(regions, ("内乡县",), YEAR + 1)["内乡县"]}
    seller_user = WaterUser.objects.filter(region=regions["内乡县"]).order_by("pk").first()
    buyer_user = WaterUser.objects.filter(region=regions["唐河县"]).order_by("pk").first()
    src = ledger.open_right(actor=admin, kind=RightKind.ISSUANCE, name="S2测试来源", holder_name="测试",
                            valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    seller = ledger.open_right(actor=admin, kind=RightKind.WITHDRAWAL, name="S2转让方", holder=seller_user,
                               valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31), annual_volume_m3=2_000_000)
    buyer = ledger.open_right(actor=admin, kind=RightKind.WITHDRAWAL, name="S2受让方", holder=buyer_user,
                              valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    ledger.transfer(actor=admin, kind=EntryKind.ALLOCATION, memo="分配", source=src, target=seller, years=[YEAR], amount=2_000_000)
    entry = ledger.transfer(actor=admin, kind=EntryKind.TRADE, memo="S2测试交易", source=seller, target=buyer, years=[YEAR],
                            amount=500_000, reference=("test.trade", "1"))
    services.record_reported_use(actor=admin, region=regions["内乡县"], year=YEAR, total_m3=100_000_000)
    services.record_reported_use(actor=admin, region=regions["唐河县"], year=YEAR, total_m3=200_000_000)
    config.set_value("supervision.use_basis", "reported_first", actor=admin)
    return {"entry": entry, "seller": seller, "buyer": buyer, "admin": admin, "base": base}


def _delta(ry, base):
    return {"sold": ry.sold_m3 - base[0], "bought": ry.bought_m3 - base[1]}


def test_S2_cross_region_trade_counts_against_the_seller_not_the_buyer(cross_region_trade, regions):
    """S2: the seller region's assessed use includes the sold 500,000 m³; the buyer's excludes the bought 500,000 m³."""
    base = cross_region_trade["base"]
    book = Book()
    seller = book.assess(regions["内乡县"], YEAR)
    buyer = book.assess(regions["唐河县"], YEAR)
    assert seller.measured_m3 == 100_000_000 and buyer.measured_m3 == 200_000_000
    assert _delta(seller, base["内乡县"]) == {"sold": 500_000, "bought": 0}
    assert _delta(buyer, base["唐河县"]) == {"sold": 0, "bought": 500_000}
    # assessed = measured + sold − bought, so the test's trade moves each by exactly 500,000 m³
    assert seller.assessed_m3 == 100_000_000 + base["内乡县"][0] + 500_000 - base["内乡县"][1]
    assert buyer.assessed_m3 == 200_000_000 + base["唐河县"][0] - base["唐河县"][1] - 500_000
    flow = next(f for f in seller.flows if f.entry_id == cross_region_trade["entry"].pk)
    assert (flow.sold_m3, flow.bought_m3) == (500_000, 0)
    assert next(f for f in buyer.flows if f.entry_id == cross_region_trade["entry"].pk).bought_m3 == 500_000
    # A third county is untouched, and for the city as a whole the trade is internal.
    assert _delta(book.assess(regions["邓州市"], YEAR), base["邓州市"]) == {"sold": 0, "bought": 0}
    assert _delta(book.assess(regions["南阳市"], YEAR), base["南阳市"]) == {"sold": 0, "bought": 0}
    # Only the trade's own year is affected.
    assert _delta(book.assess(regions["内乡县"], YEAR + 1), base["内乡县+1"]) == {"sold": 0, "bought": 0}


def test_S2_reversed_trade_no_longer_counts(cross_region_trade, regions):
    base = cross_region_trade["base"]
    ledger.reverse_entry(cross_region_trade["entry"], actor=cross_region_trade["admin"], reason="协议解除")
    book = Book()
    for name in ("内乡县", "唐河县"):
        assert _delta(book.assess(regions[name], YEAR), base[name]) == {"sold": 0, "bought": 0}


def test_S2_sale_outside_the_city_counts_against_the_city(users, regions):
    """A sale to 郑州市 (outside the city) is sold volume for the city as well as the county."""
    admin = users["city_admin"]
    zz = Region.objects.get_or_create(name="郑州市", defaults={"kind": "outside", "code": "410100"})[0]
    src = ledger.open_right(actor=admin, kind=RightKind.ISSUANCE, name="来源", holder_name="测试", valid_from=dt.date(2026, 1, 1),
                            valid_to=dt.date(2026, 12, 31))
    seller = ledger.open_right(actor=admin, kind=RightKind.REGIONAL, name="邓州测试区域水权", holder=regions["邓州市"],
                               valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    buyer = ledger.open_right(actor=admin, kind=RightKind.OUTSIDE, name="郑州受让", holder=zz, valid_from=dt.date(2026, 1, 1),
                              valid_to=dt.date(2026, 12, 31))
    ledger.transfer(actor=admin, kind=EntryKind.ALLOCATION, memo="x", source=src, target=seller, years=[YEAR], amount=3_000_000)
    base = _baseline(regions, ("邓州市", "南阳市"))
    ledger.transfer(actor=admin, kind=EntryKind.RESERVE_RESALE, memo="南水北调跨区域", source=seller, target=buyer, years=[YEAR],
                    amount=1_234_567)
    book = Book()
    assert _delta(book.assess(regions["邓州市"], YEAR), base["邓州市"]) == {"sold": 1_234_567, "bought": 0}
    assert _delta(book.assess(regions["南阳市"], YEAR), base["南阳市"]) == {"sold": 1_234_567, "bought": 0}


def test_table_2_1_nonconventional_minimums_2023_sum_to_0_255_yi():
    """Table 2-1: the counties' 2023 non-conventional minimums sum to 0.255亿 m³ = 25,500,000 m³."""
    assert assessment.nonconventional_minimum_total(2023) == 25_500_000
    book = Book()
    city = Region.objects.get(code="411300")
    assert book.minimum(city, 2023) == 25_500_000
    assert book.assess(city, 2023).measure("nonconventional").target == 25_500_000


def test_table_1_2_history_and_printed_total():
    book = Book()
    city = Region.objects.get(code="411300")
    value, note = book.reported_use(city, 2021)
    assert value == 2_498_000_000  # rows sum 24.98亿 (the seed prints 25.00)
    assert "25.00" in str(note)
    tanghe = Region.objects.get(name="唐河县")
    assert book.reported_use(tanghe, 2019)[0] == 247_000_000
    # 2017–2020 have no target: shown, not assessed.
    ry = book.assess(tanghe, 2019)
    assert ry.cap_m3 is None and ry.measure("total_use").status == Status.NONE


def test_2021_uses_the_14th_plan_target_and_statuses(users):
    """邓州市 2021: 7.01亿 used against its 6.6115亿 ceiling → red; 唐河县 2.11 vs 2.5299 → green."""
    book = Book()
    dengzhou = book.assess(Region.objects.get(name="邓州市"), 2021)
    assert dengzhou.cap_m3 == 661_150_000 and dengzhou.measured_m3 == 701_000_000
    assert dengzhou.measure("total_use").status == Status.RED
    tanghe = book.assess(Region.objects.get(name="唐河县"), 2021)
    assert tanghe.measure("total_use").status == Status.GREEN
    # City 2021 non-conventional: "其他水源 0.13亿" against the 0.130亿 minimum → met.
    city = book.assess(Region.objects.get(code="411300"), 2021)
    nc = city.measure("nonconventional")
    assert (nc.value, nc.target, nc.status) == (13_000_000, 13_000_000, Status.GREEN)


def test_status_thresholds_are_exact():
    m = Decimal("5")
    assert cap_status(95, 100, m) == Status.AMBER
    assert cap_status(94, 100, m) == Status.GREEN
    assert cap_status(100, 100, m) == Status.AMBER
    assert cap_status(101, 100, m) == Status.RED
    assert floor_status(Decimal("0.615"), Decimal("0.615"), m) == Status.GREEN
    assert floor_status(Decimal("0.600"), Decimal("0.615"), m) == Status.AMBER
    assert floor_status(Decimal("0.500"), Decimal("0.615"), m) == Status.RED
    assert cap_status(None, 100, m) == Status.NONE


def test_intensity_from_entered_gdp(users):
    """2020: Table 1-2's 26.94亿 m³ over the seed's 3925.86亿元 GDP = 68.62 m³ per 10⁴ yuan (target 52.7 from 2025)."""
    city = Region.objects.get(code="411300")
    ry = Book().assess(city, 2020)
    m = ry.measure("per_10k_gdp")
    assert ry.measured_m3 == 2_694_000_000
    assert m.value == Decimal("68.62") and m.target == Decimal("52.70")
    assert m.status == Status.NONE  # assessed from the target year 2025 on
    services.record_figures(actor=users["city_admin"], region=city, year=2025, gdp_100m_yuan="5802.08",
                            industrial_va_100m_yuan="1299.90", irrigation_coefficient="0.620")
    services.record_reported_use(actor=users["city_admin"], region=city, year=2025, domestic_m3=500_000_000, industrial_m3=300_000_000,
                                 agricultural_m3=1_700_000_000, ecological_m3=150_000_000)
    config.set_value("supervision.use_basis", "reported_first", actor=users["city_admin"])
    ry = Book().assess(city, 2025)
    assert ry.measured_m3 == 2_650_000_000
    assert ry.measure("per_10k_gdp").value == Decimal("45.67") and ry.measure("per_10k_gdp").status == Status.GREEN
    assert ry.measure("per_10k_industrial_va").value == Decimal("23.08")
    assert ry.measure("per_10k_industrial_va").status == Status.GREEN  # 23.08 < 95% of 24.9 = 23.655
    assert ry.measure("irrigation_coefficient").status == Status.GREEN


def test_only_the_city_bureau_enters_figures_and_bad_input_changes_nothing(users):
    city = Region.objects.get(code="411300")
    before = AssessmentFigures.objects.count()
    with pytest.raises(Forbidden):
        services.record_figures(actor=users["neixiang_officer"], region=city, year=2024, gdp_100m_yuan="1")
    with pytest.raises(ValidationFailed):
        services.record_figures(actor=users["city_admin"], region=city, year=2024, irrigation_coefficient="1.5")
    with pytest.raises(ValidationFailed):
        services.record_figures(actor=users["city_admin"], region=city, year=2024, gdp_100m_yuan="10", industrial_va_100m_yuan="20")
    assert AssessmentFigures.objects.count() == before


def test_reported_use_rules(users):
    admin = users["city_admin"]
    tanghe = Region.objects.get(name="唐河县")
    stats = WaterUseStatistic.objects.count()
    with pytest.raises(Conflict):  # Table 1-2 figures are the seed's
        services.record_reported_use(actor=admin, region=tanghe, year=2021, total_m3=1)
    with pytest.raises(ValidationFailed):  # sectors must add up to the total
        services.record_reported_use(actor=admin, region=tanghe, year=2023, total_m3=10, domestic_m3=1, industrial_m3=1,
                                     agricultural_m3=1, ecological_m3=1)
    with pytest.raises(ValidationFailed):
        services.record_reported_use(actor=admin, region=tanghe, year=2023, total_m3="1.5")
    assert WaterUseStatistic.objects.count() == stats
    rows = services.record_reported_use(actor=admin, region=tanghe, year=2021, total_m3=211_000_000, agricultural_m3=150_000_000)
    assert [r.use for r in rows] == ["agricultural"]  # the unchanged seed total is left alone
