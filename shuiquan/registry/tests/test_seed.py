"""The seed's figures, loaded exactly (seed 000_468693bbae26b8e2, data/nanyang/).

The seed rounds its rows, so some printed totals differ from the sums of their rows: both are kept
as printed, and nothing is adjusted."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from shuiquan.core.loading import load_reference
from shuiquan.core.models import AuditEvent
from shuiquan.registry import models as m
from shuiquan.registry.choices import COUNTY_LEVEL, QuotaKind, StatisticKind

pytestmark = pytest.mark.django_db

CITY = "411300"
COUNTIES = 13


def county_rows(qs):
    return qs.filter(region__kind__in=COUNTY_LEVEL)


def test_thirteen_county_level_regions_and_the_city():
    assert m.Region.objects.filter(kind__in=COUNTY_LEVEL).count() == COUNTIES
    assert m.Region.objects.get(code=CITY).name == "南阳市"
    assert set(m.Region.objects.get(name="中心城区").members.values_list("name", flat=True)) == {"宛城区", "卧龙区", "高新区", "城乡一体化示范区"}


def test_table_2_1_total_target_rows_sum_to_28_0940_yi_and_equal_the_printed_city_row():
    targets = m.DualControlTarget.objects.filter(year=2025)
    rows = county_rows(targets)
    assert rows.count() == COUNTIES
    assert rows.aggregate(s=Sum("total_m3"))["s"] == 2_809_400_000
    city = targets.get(region__code=CITY)
    assert city.total_m3 == 2_809_400_000
    assert targets.get(region__name="邓州市").total_m3 == 661_150_000
    assert targets.get(region__name="南召县").total_m3 == 133_600_000


def test_city_sector_split_sums_to_the_total():
    city = m.DualControlTarget.objects.get(region__code=CITY, year=2025)
    assert (city.domestic_m3, city.industrial_m3, city.agricultural_m3, city.ecological_m3) == (
        510_580_000, 321_630_000, 1_820_620_000, 156_570_000)
    assert city.domestic_m3 + city.industrial_m3 + city.agricultural_m3 + city.ecological_m3 == city.total_m3
    assert city.per_10k_gdp_m3 == Decimal("52.7")
    assert city.per_10k_industrial_va_m3 == Decimal("24.9")
    assert city.irrigation_coefficient == Decimal("0.615")


def test_table_2_1_nonconventional_minimums():
    mins = m.NonConventionalMinimum.objects
    printed = {y: mins.get(region__code=CITY, year=y).volume_m3 for y in range(2021, 2026)}
    assert printed == {2021: 13_000_000, 2022: 17_000_000, 2023: 25_500_000, 2024: 32_500_000, 2025: 36_500_000}
    for year, total in printed.items():
        assert county_rows(mins.filter(year=year)).aggregate(s=Sum("volume_m3"))["s"] == total
    assert mins.get(region__name="南召县", year=2024).volume_m3 == 1_250_000
    assert not mins.filter(region__name="南召县", year=2021).exists()  # blank in the seed


def test_table_2_2_snwd_urban_quotas_sum_to_49140_wan():
    quotas = m.SnwdQuota.objects.filter(kind=QuotaKind.URBAN)
    assert quotas.count() == 10
    assert quotas.aggregate(s=Sum("volume_m3"))["s"] == 491_400_000
    assert quotas.get(printed_name="中心城区").volume_m3 == 114_900_000
    assert quotas.get(printed_name="官庄县").receiving_area.name == "官庄工区"
    assert quotas.get(printed_name="邓州").volume_m3 == 92_000_000
    assert m.Indicator.objects.get(key="snwd_urban_quota").value * 100_000_000 == 491_400_000
    yindan = m.SnwdQuota.objects.get(kind=QuotaKind.AGRICULTURAL)
    assert (yindan.irrigation_district.name, yindan.volume_m3) == ("引丹灌区", 600_000_000)


def _use(year, kind=StatisticKind.ROW):
    return m.WaterUseStatistic.objects.filter(year=year, use="", kind=kind)


def test_table_1_2_2021_rows_sum_to_24_98_while_the_seed_prints_25_00_both_kept():
    rows = county_rows(_use(2021))
    assert rows.count() == COUNTIES
    assert rows.aggregate(s=Sum("volume_m3"))["s"] == 2_498_000_000
    assert _use(2021, StatisticKind.PRINTED_TOTAL).get(region__code=CITY).volume_m3 == 2_500_000_000


def test_table_1_2_2018_rows_sum_to_23_05_while_the_seed_prints_23_03():
    assert county_rows(_use(2018)).aggregate(s=Sum("volume_m3"))["s"] == 2_305_000_000
    assert _use(2018, StatisticKind.PRINTED_TOTAL).get().volume_m3 == 2_303_000_000


@pytest.mark.parametrize("year,total", [(2017, 2_218_000_000), (2019, 2_324_000_000), (2020, 2_694_000_000)])
def test_table_1_2_other_years_rows_equal_the_printed_total(year, total):
    assert county_rows(_use(year)).aggregate(s=Sum("volume_m3"))["s"] == total
    assert _use(year, StatisticKind.PRINTED_TOTAL).get().volume_m3 == total


def test_table_1_2_rows_as_printed():
    assert _use(2021).get(region__name="邓州市").volume_m3 == 701_000_000
    assert _use(2020).get(region__name="邓州市").volume_m3 == 825_000_000
    assert _use(2017).get(region__name="宛城区").volume_m3 == 231_000_000


def test_table_1_1_rows_sum_to_693475_wan_while_the_seed_prints_693476():
    res = m.RegionWaterResources.objects
    assert res.filter(is_printed_total=False).count() == COUNTIES
    assert res.filter(is_printed_total=False).aggregate(s=Sum("water_resources_m3"))["s"] == 6_934_750_000
    city = res.get(is_printed_total=True)
    assert city.region.code == CITY
    assert city.water_resources_m3 == 6_934_760_000
    assert (city.mean_precip_mm, city.mean_runoff_depth_mm) == (Decimal("814.7"), Decimal("228.1"))
    assert res.get(region__name="南召县").water_resources_m3 == 1_007_630_000


def test_section_1_4_and_2_2_pilot_districts():
    damogang = m.IrrigationDistrict.objects.get(name="打磨岗灌区")
    assert damogang.region.name == "内乡县"
    assert (damogang.effective_area_mu, damogang.farmland_mu) == (Decimal("117800"), Decimal("124000"))
    assert (damogang.metering_sets, damogang.metering_sets_to_upgrade) == (1114, 17)
    assert damogang.facts["outlets"] == 5141 and damogang.facts["valve_houses"] == 550
    assert damogang.facts["administrative_villages"] == 32 and damogang.facts["natural_villages"] == 86
    assert damogang.is_pilot and damogang.kind == "pipe"
    hushan = m.IrrigationDistrict.objects.get(name="虎山灌区")
    assert hushan.region.name == "唐河县"
    assert (hushan.design_area_mu, hushan.gravity_area_mu, hushan.lift_area_mu) == (Decimal("105000"), Decimal("85000"), Decimal("13000"))
    assert hushan.farmland_mu == Decimal("157000")
    assert hushan.facts["cooperatives"] == 7 and hushan.facts["structures"] == 7876
    assert "2万亩" in hushan.facts["lift_area_note"]  # the seed's other figure is kept, not dropped
    reservoir = m.Reservoir.objects.get(name="虎山水库")
    assert (reservoir.catchment_km2, reservoir.total_capacity_m3, reservoir.beneficial_capacity_m3, reservoir.dead_capacity_m3) == (
        Decimal("199"), 96_160_000, 49_440_000, 5_000_000)


def test_rivers_and_indicators():
    bai = m.River.objects.get(name="白河")
    assert (bai.length_km, bai.area_km2) == (Decimal("329.3"), Decimal("12224"))
    tang = m.River.objects.get(name="唐河")
    assert (tang.length_km, tang.area_km2) == (Decimal("286"), Decimal("8685"))
    assert m.Indicator.objects.get(key="permits_held").value == 9064
    assert m.Indicator.objects.get(key="total_water_supply", year=2021).value == Decimal("24.99")


def _dump():
    out = {}
    for model in (m.Region, m.RegionWaterResources, m.WaterUseStatistic, m.Indicator, m.DualControlTarget, m.NonConventionalMinimum,
                  m.SnwdQuota, m.Basin, m.River, m.Reservoir, m.WaterResourceZone, m.WaterSource, m.Sector, m.Authority,
                  m.IrrigationDistrict):
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "last_updated"]
        out[model.__name__] = sorted(tuple(str(v) for v in row) for row in model.objects.values_list(*fields))
    return out


def test_loading_twice_changes_nothing():
    before = _dump()
    events = AuditEvent.objects.count()
    load_reference()
    load_reference()
    assert _dump() == before
    assert AuditEvent.objects.count() == events
