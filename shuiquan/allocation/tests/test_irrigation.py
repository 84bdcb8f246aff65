"""A4: association rights = effective irrigated area × comprehensive (gross) irrigation quota; the sum
within the district's permit (or the agricultural cap without one); households by planted area;
the workflow roles: county bureau computes and submits, city bureau approves and registers, the
district unit issues the certificates."""

from decimal import Decimal

import pytest

from shuiquan.allocation import engines, services
from shuiquan.allocation.choices import Engine, RunStatus
from shuiquan.allocation.models import AllocationRun, PlantingShare
from shuiquan.core.errors import Forbidden, RuleViolation, ValidationFailed
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import RightKind
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.registry import models as reg

pytestmark = pytest.mark.django_db


def params(district, associations, **extra):
    return {"district": district.pk, "associations": [a.pk for a in associations], "frequency": "75", **extra}


def test_A4_comprehensive_quota_is_gross_of_the_coefficient(damogang):
    q = engines.comprehensive_quota(damogang, Decimal("75"))
    # 0.45 × 120 (wheat) + 0.35 × 80 (corn) + 0.10 × 60 (peanut) + 0.10 × 150 (orchard) = 103 m³/mu net
    assert q["q_net"] == Decimal("103")
    assert q["eta"] == Decimal("0.800")
    assert q["q_gross"] == Decimal("128.7500")  # 103 ÷ 0.8
    # between tabulated frequencies the crop quotas are interpolated like the river plans: P = 85%
    q85 = engines.comprehensive_quota(damogang, Decimal("85"))
    # wheat 135, corn 95, peanut 70, orchard 165 → 60.75 + 33.25 + 7 + 16.5 = 117.5
    assert q85["q_net"] == Decimal("117.5")


def test_A4_association_and_household_volumes_are_exact(damogang, free_association, neixiang_officer):
    run = services.prepare_and_compute(actor=neixiang_officer, engine=Engine.IRRIGATION, parameters=params(damogang, [free_association]))
    line = run.lines.get(association=free_association, household__isnull=True)
    exact = free_association.effective_area_mu * Decimal("128.75")
    assert line.volume_m3 == int(exact)  # rounded down
    assert run.total_m3 == line.volume_m3
    households = run.lines.filter(parent_line=line).select_related("household")
    assert households.count() == free_association.households.count()
    assert sum(h.volume_m3 for h in households) == line.volume_m3  # exact split
    areas = {h.household_id: h.household.planted_area_mu for h in households}
    big = max(households, key=lambda h: areas[h.household_id])
    small = min(households, key=lambda h: areas[h.household_id])
    assert big.volume_m3 >= small.volume_m3
    for h in households:
        share = Decimal(line.volume_m3) * areas[h.household_id] / sum(areas.values())
        assert abs(h.volume_m3 - share) < 1
    assert run.first_year == 2026 and run.last_year == 2028  # to the end of the district permit's right
    assert "÷ η" in run.formula


def test_A4_association_sum_over_the_district_permit_is_refused_and_writes_nothing(damogang, free_association, neixiang_officer, snapshot):
    reg.Association.objects.filter(pk=free_association.pk).update(effective_area_mu=Decimal("200000"))  # 200,000 mu × 128.75 > 22,000,000
    free_association.refresh_from_db()
    before = snapshot()
    with pytest.raises(RuleViolation) as exc:
        services.prepare_and_compute(actor=neixiang_officer, engine=Engine.IRRIGATION, parameters=params(damogang, [free_association]))
    assert exc.value.rule == "A4" and exc.value.code == "over_district_permit"
    assert exc.value.detail["limit_m3"] == 22_000_000
    assert snapshot() == before


def test_A4_over_the_permit_at_registration_is_refused_and_the_ledger_is_unchanged(damogang, free_association, neixiang_officer,
                                                                                   city_admin, snapshot):
    run = services.prepare_and_compute(actor=neixiang_officer, engine=Engine.IRRIGATION, parameters=params(damogang, [free_association]))
    run = services.approve_run(services.review_run(run, actor=neixiang_officer), actor=city_admin)
    # Meanwhile the district permit's right is found to allow less (the room left is smaller than this run).
    permit_right = ledger.right_for_permit(reg.WithdrawalPermit.objects.get(irrigation_district=damogang))
    already = sum(r.annual_volume_m3 for r in permit_right.children.exclude(status="cancelled"))
    type(permit_right).objects.filter(pk=permit_right.pk).update(annual_volume_m3=already + run.total_m3 - 1)
    before = snapshot()
    with pytest.raises(RuleViolation) as exc:
        services.register_run(run, actor=city_admin)
    assert exc.value.rule == "A4"
    assert snapshot() == before
    assert AllocationRun.objects.get(pk=run.pk).status == RunStatus.APPROVED


def test_A4_without_a_permit_the_agricultural_cap_applies(city_admin, snapshot):
    county = reg.Region.objects.get(code="411326")  # 淅川县: no district permit there
    district = reg.IrrigationDistrict.objects.create(name="测试无证灌区", region=county, kind="canal", is_demo=True)
    # no IrrigationProfile: the coefficient is the parameter allocation.irrigation_coefficient_default (0.615, §2.1)
    PlantingShare.objects.create(district=district, crop="wheat", share=Decimal("1"))
    assoc = reg.Association.objects.create(name="测试无证灌区协会", district=district, region=county, effective_area_mu=Decimal("1000"))
    cap, basis = engines.agricultural_cap(county)
    # 152,200,000 × 18.2062 ÷ 28.0940 = 98,632,577.77… → 98,632,577
    assert cap == 98_632_577
    run = services.prepare_and_compute(actor=city_admin, engine=Engine.IRRIGATION, parameters=params(district, [assoc]))
    assert run.lines.get(association=assoc).volume_m3 == int(Decimal(1000) * (Decimal(120) / Decimal("0.615")).quantize(Decimal("0.0001"), "ROUND_DOWN"))
    assert run.inputs["limit_m3"] == cap and run.inputs["coefficient"] == "0.615"
    reg.Association.objects.filter(pk=assoc.pk).update(effective_area_mu=Decimal("600000"))
    before = snapshot()
    with pytest.raises(RuleViolation) as exc:
        services.prepare_and_compute(actor=city_admin, engine=Engine.IRRIGATION, parameters=params(district, [reg.Association.objects.get(pk=assoc.pk)]))
    assert exc.value.rule == "A4" and exc.value.code == "over_agricultural_cap"
    assert snapshot() == before


def test_A4_workflow_roles_county_computes_city_approves_district_unit_issues(damogang, free_association, neixiang_officer, city_admin,
                                                                             users, snapshot):
    manager = users["damogang_manager"]
    hushan = users["hushan_manager"]
    run = services.prepare_and_compute(actor=neixiang_officer, engine=Engine.IRRIGATION, parameters=params(damogang, [free_association]))
    assert {a["name"] for a in services.available_actions(run, neixiang_officer)} == {"review", "reject"}
    assert services.available_actions(run, manager) == []
    run = services.review_run(run, actor=neixiang_officer, reason="核定无误")
    before = snapshot()
    for wrong in (neixiang_officer, manager):
        with pytest.raises(Forbidden) as exc:
            services.approve_run(run, actor=wrong)
        assert exc.value.code == "step_not_allowed"
    assert snapshot() == before
    run = services.approve_run(run, actor=city_admin)
    run = services.register_run(run, actor=city_admin)
    assert run.status == RunStatus.REGISTERED
    with pytest.raises(Forbidden):
        services.issue_certificates(run, actor=hushan)  # another district's unit
    run = services.issue_certificates(run, actor=manager)
    assert run.status == RunStatus.ISSUED
    history = list(run.transitions.values_list("name", "actor__username"))
    assert history == [("compute", "neixiang_officer"), ("review", "neixiang_officer"), ("approve", "city_admin"),
                       ("register", "city_admin"), ("issue", "damogang_manager")]
    assert run.transitions.get(name="approve").acting_for == "南阳市水利局"
    aright = run.lines.get(association=free_association, household__isnull=True).right
    assert aright.kind == RightKind.IRRIGATION and aright.parent == ledger.right_for_permit(
        reg.WithdrawalPermit.objects.get(irrigation_district=damogang))
    for year in (2026, 2027, 2028):
        assert ledger.balance(aright, year) == 0  # all of it went to the households
        assert sum(ledger.balance(c, year) for c in aright.children.all()) == aright.annual_volume_m3
    assert ledger.posted_sum(aright, 2025) == 0
    cert = run.certificates.get(kind="association")
    assert cert.issuer == "内乡县打磨岗灌区管理局"
    assert run.certificates.filter(kind="household").count() == free_association.households.count()
    assert verify_ledger() == []


def test_A4_rejection_needs_a_reason_and_returns_the_run_to_draft(damogang, free_association, neixiang_officer, city_admin):
    run = services.prepare_and_compute(actor=neixiang_officer, engine=Engine.IRRIGATION, parameters=params(damogang, [free_association]))
    run = services.review_run(run, actor=neixiang_officer)
    with pytest.raises(ValidationFailed) as exc:
        services.reject_run(run, actor=city_admin, reason="  ")
    assert exc.value.code == "reason_required"
    run = services.reject_run(run, actor=city_admin, reason="种植结构需按2026年调查更新")
    assert run.status == RunStatus.DRAFT
    assert run.transitions.last().reason == "种植结构需按2026年调查更新"
    run = services.compute_run(run, actor=neixiang_officer)  # recomputed from the (now current) tables
    assert run.status == RunStatus.COMPUTED


def test_A4_an_association_is_allocated_once_for_the_same_years(damogang, neixiang_officer):
    allocated = reg.Association.objects.filter(district=damogang, rights__kind="irrigation").first()
    with pytest.raises(Exception) as exc:
        services.prepare_and_compute(actor=neixiang_officer, engine=Engine.IRRIGATION, parameters=params(damogang, [allocated]))
    assert exc.value.code == "already_allocated"


def test_A4_demo_associations_stay_within_their_permits():
    for name in ("打磨岗灌区", "虎山灌区"):
        district = reg.IrrigationDistrict.objects.get(name=name)
        right = ledger.right_for_permit(reg.WithdrawalPermit.objects.get(irrigation_district=district))
        children = right.children.exclude(status="cancelled")
        assert children.exists()
        assert sum(c.annual_volume_m3 for c in children) <= right.annual_volume_m3
        for assoc_right in children:
            households = assoc_right.children.all()
            assert sum(h.annual_volume_m3 for h in households) == assoc_right.annual_volume_m3
