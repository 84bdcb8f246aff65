"""A1/A2 river allocation plans: annual allocation by inflow frequency (linear interpolation between
the nearest tabulated frequencies, clamped outside), exact integer shares, and the ecological
reserve kept first and never allocated."""

from decimal import Decimal

import pytest

from shuiquan.allocation import engines, services
from shuiquan.allocation.choices import Engine, LineRole, PlanStatus
from shuiquan.allocation.models import RiverPlan
from shuiquan.core.errors import RuleViolation, ValidationFailed
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, RightKind
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.registry import models as reg

from .conftest import through

pytestmark = pytest.mark.django_db

W = 10_000  # 万立方米


@pytest.fixture
def tang():
    return RiverPlan.objects.get(river__name="唐河", status=PlanStatus.APPROVED)


def shares(comp):
    return {line.label: line.volume_m3 for line in comp.lines if line.role == LineRole.RIGHT}


def eco(comp):
    return next(line.volume_m3 for line in comp.lines if line.role == LineRole.ECOLOGICAL)


@pytest.mark.parametrize("p, total, ecological, expected", [
    ("50", 42000, 9000, {"方城县": 6000, "社旗县": 7500, "唐河县": 14500, "新野县": 5000}),
    ("75", 33000, 8000, {"方城县": 4600, "社旗县": 5700, "唐河县": 11000, "新野县": 3700}),
    ("95", 22000, 7000, {"方城县": 2700, "社旗县": 3400, "唐河县": 6700, "新野县": 2200}),
    # in between: P = 85% is halfway between 75% and 95%
    ("85", 27500, 7500, {"方城县": 3650, "社旗县": 4550, "唐河县": 8850, "新野县": 2950}),
    # P = 80%: t = 0.25
    ("80", 30250, 7750, {"方城县": 4125, "社旗县": 5125, "唐河县": 9925, "新野县": 3325}),
    # clamped outside the table (no extrapolation)
    ("20", 42000, 9000, {"方城县": 6000, "社旗县": 7500, "唐河县": 14500, "新野县": 5000}),
    ("99", 22000, 7000, {"方城县": 2700, "社旗县": 3400, "唐河县": 6700, "新野县": 2200}),
])
def test_A1_river_plan_annual_allocation_by_frequency(tang, p, total, ecological, expected):
    comp = engines.river(tang, 2027, Decimal(p))
    assert eco(comp) == ecological * W
    assert shares(comp) == {k: v * W for k, v in expected.items()}
    assert sum(shares(comp).values()) == (total - ecological) * W
    assert comp.totals["available_m3"] == (total - ecological) * W
    assert comp.total_m3 == total * W


def test_A1_interpolated_shares_are_exact_integers_by_largest_remainder(city_admin):
    regions = list(reg.Region.objects.filter(code__in=["411321", "411322", "411327"]).order_by("code"))
    plan = services.save_river_plan(actor=city_admin, river=reg.River.objects.get(name="刁河"), name="刁河测试方案", points=[
        {"frequency": "50", "total_m3": 1_000, "ecological_m3": 1, "shares": {regions[0].pk: 333, regions[1].pk: 333, regions[2].pk: 333}},
        {"frequency": "90", "total_m3": 500, "ecological_m3": 1, "shares": {regions[0].pk: 166, regions[1].pk: 166, regions[2].pk: 167}},
    ])
    comp = engines.river(plan, 2027, Decimal("61"))
    # t = 11/40: W = 1000 − 0.275 × 500 = 862.5; E = 1; A = ⌊861.5⌋ = 861; interpolated shares 287.075, 287.075, 287.35
    # → 861 × share ÷ 861.5 = 286.91, 286.91, 287.18 → floors 286, 286, 287 and the two units left go to the largest remainders
    assert comp.totals["available_m3"] == 861
    got = shares(comp)
    assert sum(got.values()) == 861
    assert got == {regions[0].name: 287, regions[1].name: 287, regions[2].name: 287}
    assert "线性插值" in comp.formula


def test_A2_a_plan_whose_shares_take_ecological_water_is_refused(city_admin, snapshot):
    region = reg.Region.objects.get(code="411325")
    before = snapshot()
    with pytest.raises(RuleViolation) as exc:
        services.save_river_plan(actor=city_admin, river=reg.River.objects.get(name="湍河"), name="挤占生态的方案", points=[
            {"frequency": "75", "total_m3": 1_000_000, "ecological_m3": 300_000, "shares": {region.pk: 800_000}}])
    assert exc.value.rule == "A2" and exc.value.code == "takes_ecological_water"
    with pytest.raises(RuleViolation) as exc:
        services.save_river_plan(actor=city_admin, river=reg.River.objects.get(name="湍河"), name="无生态水量的方案", points=[
            {"frequency": "75", "total_m3": 1_000_000, "ecological_m3": 0, "shares": {region.pk: 1_000_000}}])
    assert exc.value.rule == "A2"
    assert snapshot() == before
    assert not RiverPlan.objects.filter(name__in=["挤占生态的方案", "无生态水量的方案"]).exists()


def test_A2_the_ecological_reserve_is_posted_first_and_never_allocated(city_admin, tang, snapshot):
    run = services.prepare_and_compute(actor=city_admin, engine=Engine.RIVER, parameters={"plan": tang.pk, "year": 2027, "frequency": "85"})
    run = through(run, preparer=city_admin, approver=city_admin)
    eco_line = run.lines.get(role=LineRole.ECOLOGICAL)
    eco_right = eco_line.right
    assert eco_right.kind == RightKind.ECOLOGICAL and not eco_right.is_tradable
    assert ledger.balance(eco_right, 2027) == 75_000_000
    region_rights = [line.right for line in run.lines.filter(role=LineRole.RIGHT)]
    assert sum(ledger.balance(r, 2027) for r in region_rights) == 200_000_000
    assert ledger.balance(eco_right.parent, 2027) == -275_000_000
    assert not run.certificates.filter(right=eco_right).exists()
    # Nothing can take it: not an allocation, not a trade, not a lock (A2) — and nothing is written.
    before = snapshot()
    with pytest.raises(RuleViolation) as exc:
        ledger.transfer(actor=city_admin, kind=EntryKind.ALLOCATION, memo="挤占生态水量", source=eco_right, target=region_rights[0],
                        years=[2027], amount=1)
    assert exc.value.rule == "A2"
    with pytest.raises(RuleViolation):
        ledger.lock_volume(eco_right, 2027, 1, actor=city_admin)
    assert snapshot() == before
    assert verify_ledger() == []


def test_A1_a_river_year_is_registered_once(city_admin, tang, snapshot):
    run = services.prepare_and_compute(actor=city_admin, engine=Engine.RIVER, parameters={"plan": tang.pk, "year": 2026, "frequency": "60"})
    run = services.approve_run(services.review_run(run, actor=city_admin), actor=city_admin)
    before = snapshot()
    with pytest.raises(Exception) as exc:
        services.register_run(run, actor=city_admin)
    assert exc.value.code == "already_registered"
    assert snapshot() == before


def test_river_runs_need_an_approved_plan_and_a_valid_frequency(city_admin, tang):
    with pytest.raises(ValidationFailed):
        services.prepare_and_compute(actor=city_admin, engine=Engine.RIVER, parameters={"plan": tang.pk, "year": 2027, "frequency": "100"})
    draft = services.save_river_plan(actor=city_admin, river=tang.river, name="唐河新方案（编制中）", points=[
        {"frequency": p, "total_m3": 10, "ecological_m3": 2, "shares": {reg.Region.objects.get(code="411328").pk: 8}} for p in ("50", "75")])
    with pytest.raises(Exception) as exc:
        services.prepare_and_compute(actor=city_admin, engine=Engine.RIVER, parameters={"plan": draft.pk, "year": 2027, "frequency": "60"})
    assert exc.value.code == "plan_not_approved"
