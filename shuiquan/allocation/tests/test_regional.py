"""A1 regional rights (Table 2-1), A5 SNWD rights (Table 2-2), groundwater indicators — as the demo
registered them through the services, and the refusals that keep them single and exact."""

import pytest

from shuiquan.allocation import engines, services
from shuiquan.allocation.choices import Engine, LineRole, RunStatus
from shuiquan.allocation.models import AllocationRun
from shuiquan.core.errors import Conflict, Forbidden
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import RightKind
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import Posting, WaterRight
from shuiquan.registry import models as reg

from .conftest import allocated

pytestmark = pytest.mark.django_db

TABLE_2_1 = {  # 万立方米 × 10⁴ → m³, as the seed prints it (亿立方米 × 10⁸)
    "宛城区": 276_150_000, "卧龙区": 241_030_000, "南召县": 133_600_000, "方城县": 185_050_000, "西峡县": 108_130_000,
    "镇平县": 160_470_000, "内乡县": 140_110_000, "淅川县": 152_200_000, "社旗县": 135_670_000, "唐河县": 252_990_000,
    "新野县": 186_070_000, "桐柏县": 176_780_000, "邓州市": 661_150_000,
}


def regional_rights():
    return WaterRight.objects.filter(kind=RightKind.REGIONAL).exclude(status="cancelled").select_related("holder_region")


def test_A1_regional_rights_total_exactly_28_0940_yi_and_each_county_equals_table_2_1():
    rights = {r.holder_region.name: r for r in regional_rights()}
    city = rights.pop("南阳市")
    assert city.annual_volume_m3 == 2_809_400_000
    assert {name: r.annual_volume_m3 for name, r in rights.items()} == TABLE_2_1
    assert sum(r.annual_volume_m3 for r in rights.values()) == 2_809_400_000
    for right in rights.values():
        assert right.parent_id == city.pk
        target = reg.DualControlTarget.objects.get(region=right.holder_region, year=2025)
        assert right.annual_volume_m3 == target.total_m3
    # Posted for 2025 through allocation.regional_last_year (2030): the issuance gave the city the
    # total, the city passed all of it to the counties. (What allocation posted: regions trade
    # afterwards — e.g. trading's demo — which moves balances, not the allocation.)
    for year in range(2025, 2031):
        assert ledger.balance(city, year) == 0 and allocated(city, year) == 0
        received = {name: sum(Posting.objects.filter(right=r, year=year, amount__gt=0, entry__reference_type=services.REFERENCE)
                              .values_list("amount", flat=True)) for name, r in rights.items()}
        assert received == TABLE_2_1
        # what allocation left with a county plus what it allocated on to permit holders (A3),
        # associations and households (A4) is the county's Table 2-1 volume
        neixiang = rights["内乡县"]
        assert allocated(neixiang, year) + sum(allocated(c, year) + sum(
            allocated(a, year) + sum(allocated(h, year) for h in a.children.all()) for a in c.children.all())
            for c in WaterRight.objects.filter(parent=neixiang)) == 140_110_000
    assert ledger.posted_sum(city, 2031) == 0
    assert verify_ledger() == []


def test_A1_sector_split_and_nonconventional_obligations_are_shown_with_the_run():
    run = services.latest_run(Engine.REGIONAL)
    sectors = {line.use: line.volume_m3 for line in run.lines.filter(role=LineRole.SECTOR)}
    assert sectors == {"domestic": 510_580_000, "industrial": 321_630_000, "agricultural": 1_820_620_000, "ecological": 156_570_000}
    assert sum(sectors.values()) == 2_809_400_000
    obligations = run.lines.filter(role=LineRole.OBLIGATION)
    assert sum(o.volume_m3 for o in obligations.filter(year=2023)) == 25_500_000  # 0.255亿 (Table 2-1)
    assert sum(o.volume_m3 for o in obligations.filter(year=2025)) == 36_500_000
    assert not obligations.filter(right__isnull=False).exists()  # obligations are not posted
    assert "28.0940" in run.formula and run.total_m3 == 2_809_400_000


def test_A1_engine_refuses_when_the_counties_do_not_sum_to_the_city_total():
    target = reg.DualControlTarget.objects.get(region__code="411325", year=2025)
    reg.DualControlTarget.objects.filter(pk=target.pk).update(total_m3=target.total_m3 + 1)
    with pytest.raises(Exception) as exc:
        engines.regional(2025, 2030)
    assert exc.value.rule == "A1" and exc.value.code == "targets_do_not_sum"


def test_A1_a_second_regional_registration_is_refused_and_writes_nothing(city_admin, snapshot):
    run = services.prepare_and_compute(actor=city_admin, engine=Engine.REGIONAL, parameters={})
    run = services.approve_run(services.review_run(run, actor=city_admin), actor=city_admin)
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        services.register_run(run, actor=city_admin)
    assert exc.value.code == "already_registered"
    assert snapshot() == before
    assert AllocationRun.objects.get(pk=run.pk).status == RunStatus.APPROVED


def test_A1_regional_allocation_is_the_city_bureaus(neixiang_officer, snapshot):
    before = snapshot()
    with pytest.raises(Forbidden) as exc:
        services.prepare_and_compute(actor=neixiang_officer, engine=Engine.REGIONAL, parameters={})
    assert exc.value.code == "step_not_allowed"
    assert snapshot() == before


def test_A5_snwd_rights_total_491_400_000_and_yindan_is_separate():
    rights = WaterRight.objects.filter(kind=RightKind.SNWD).exclude(status="cancelled")
    urban = rights.filter(holder_region__isnull=False)
    assert sum(r.annual_volume_m3 for r in urban) == 491_400_000
    assert {r.holder_region.name: r.annual_volume_m3 for r in urban} == {
        "中心城区": 114_900_000, "镇平县": 30_000_000, "唐河县": 60_000_000, "新野县": 60_000_000, "社旗县": 33_400_000,
        "方城县": 36_100_000, "内乡县": 20_000_000, "桐柏县": 25_000_000, "官庄工区": 20_000_000, "邓州市": 92_000_000}
    yindan = rights.get(irrigation_district__name="引丹灌区")
    assert yindan.annual_volume_m3 == 600_000_000 and yindan.use == "agricultural"
    assert yindan.parent_id != urban.first().parent_id  # its own issuance
    assert urban.first().parent.name == "南水北调中线工程分配南阳市城镇水量指标"
    for year in (2025, 2030):
        assert sum(ledger.balance(r, year) for r in urban) == 491_400_000
        assert ledger.balance(urban.first().parent, year) == -491_400_000
    run = services.latest_run(Engine.SNWD)
    assert run.result["urban_m3"] == 491_400_000 and run.result["agricultural_m3"] == 600_000_000


def test_groundwater_indicators_sum_to_the_city_2030_indicator_with_overdraft_areas_flagged():
    rights = WaterRight.objects.filter(kind=RightKind.GROUNDWATER).exclude(status="cancelled")
    assert rights.count() == 13
    assert sum(r.annual_volume_m3 for r in rights) == 793_000_000  # 7.93亿立方米 (§1.2)
    run = services.latest_run(Engine.GROUNDWATER)
    flagged = {line.label for line in run.lines.all() if line.detail["overdraft_area"]}
    assert flagged == {"唐河县", "新野县"}
    assert set(run.result["overdraft_regions"]) == {"唐河县", "新野县"}
