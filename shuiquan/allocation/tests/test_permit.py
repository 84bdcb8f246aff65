"""A3: a permit holder's right = scale × water-use quota − saving potential − groundwater reduction,
within the county's remaining cap; the roles of the county bureau and the approving authority."""


import pytest

from shuiquan.allocation import services
from shuiquan.allocation.choices import Engine, LineRole, RunStatus
from shuiquan.allocation.models import AllocationRun, WaterQuota
from shuiquan.core.errors import Forbidden, InsufficientVolume, ValidationFailed
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import RightKind
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.registry import models as reg

from .conftest import allocated, through

pytestmark = pytest.mark.django_db


def quota(product):
    return WaterQuota.objects.get(product=product)


def test_A3_every_demo_permit_right_comes_from_its_county_cap():
    for permit in reg.WithdrawalPermit.objects.filter(is_demo=True):
        right = ledger.right_for_permit(permit)
        if right is None:
            continue  # the one left awaiting approval
        assert right.parent == ledger.right_for_region(permit.region, RightKind.REGIONAL)
        # within the volume the permit allowed when it was allocated (a trade over one year may
        # have changed the permit since: T7)
        run = AllocationRun.objects.get(engine=Engine.PERMIT, lines__right=right)
        assert right.annual_volume_m3 <= run.inputs["permitted_m3"]
        for year in range(right.valid_from.year, right.valid_to.year + 1):
            # what allocation left with it plus what it passed on to associations and their
            # households (A4) is its verified volume (trades move balances afterwards, not this)
            passed_on = sum(allocated(c, year) + sum(allocated(h, year) for h in c.children.all()) for c in right.children.all())
            assert allocated(right, year) + passed_on == right.annual_volume_m3
    assert verify_ledger() == []


def test_A3_verification_formula_is_exact(new_permit, neixiang_officer):
    permit = new_permit("411325", 1_000_000)
    run = services.prepare_and_compute(actor=neixiang_officer, engine=Engine.PERMIT, parameters={
        "permit": permit.pk, "items": [{"quota": quota("合成氨").pk, "scale": "80000"}, {"quota": quota("水泥").pk, "scale": "12345.5"}],
        "saving_rate": "0.05"})
    # 80000 t × 10 + 12345.5 t × 0.2 = 802,469.1; − 5% (40,123.455) = 762,345.645 → floor 762,345 m³
    assert run.status == RunStatus.COMPUTED
    assert run.result["base"] == "802469.1" and run.result["saving"] == "40123.455"
    assert run.result["verified_m3"] == 762_345 and run.total_m3 == 762_345
    assert run.lines.get(role=LineRole.RIGHT).volume_m3 == 762_345
    assert [line.volume_m3 for line in run.lines.filter(role=LineRole.DETAIL)] == [800_000, 2_469]
    assert run.first_year == 2026 and run.last_year == 2030
    assert "规模 × 定额" in run.formula


def test_A3_right_is_capped_at_the_permitted_volume(new_permit, neixiang_officer):
    permit = new_permit("411325", 500_000)
    run = services.prepare_and_compute(actor=neixiang_officer, engine=Engine.PERMIT, parameters={
        "permit": permit.pk, "items": [{"quota": quota("合成氨").pk, "scale": "80000"}], "saving_rate": "0"})
    assert run.result["verified_m3"] == 800_000 and run.total_m3 == 500_000


def test_A3_groundwater_reduction_applies_to_overdraft_sources_by_default(new_permit, tanghe_officer):
    source = reg.WaterSource.objects.get(name="唐河县浅层地下水（超采区）")
    permit = new_permit("411328", 2_000_000, source=source)
    run = services.prepare_and_compute(actor=tanghe_officer, engine=Engine.PERMIT, parameters={
        "permit": permit.pk, "items": [{"quota": quota("合成氨").pk, "scale": "100000"}], "saving_rate": "0.05"})
    # 1,000,000 − 5% − 10% (allocation.overdraft_groundwater_reduction_rate) = 850,000
    assert run.result["reduction"] == "100000" and run.total_m3 == 850_000
    assert run.inputs["overdraft_area"] is True


def test_A3_new_permit_over_the_regions_remaining_cap_is_refused_and_writes_nothing(new_permit, neixiang_officer, snapshot):
    county = ledger.right_for_region(reg.Region.objects.get(code="411325"), RightKind.REGIONAL)
    remaining = min(ledger.available(county, y) for y in range(2026, 2031))
    permit = new_permit("411325", remaining + 1_000)
    before = snapshot()
    with pytest.raises(InsufficientVolume) as exc:
        services.prepare_and_compute(actor=neixiang_officer, engine=Engine.PERMIT, parameters={
            "permit": permit.pk, "items": [{"quota": quota("城镇居民生活用水").pk, "scale": str((remaining + 1_000) * 2)}], "saving_rate": "0"})
    assert exc.value.rule == "A3" and exc.value.code == "regional_cap_exceeded"
    assert exc.value.detail["shortfalls"][0]["short_m3"] == 1_000
    assert snapshot() == before
    assert not AllocationRun.objects.filter(permit=permit).exists()


def test_A3_cap_consumed_between_computation_and_registration_is_refused_at_registration(new_permit, neixiang_officer, city_admin, snapshot):
    county = ledger.right_for_region(reg.Region.objects.get(code="411325"), RightKind.REGIONAL)
    remaining = min(ledger.available(county, y) for y in range(2026, 2031))
    first, second = new_permit("411325", 600_000), new_permit("411325", 600_000)
    params = {"items": [{"quota": quota("合成氨").pk, "scale": "60000"}], "saving_rate": "0"}
    run1 = services.prepare_and_compute(actor=neixiang_officer, engine=Engine.PERMIT, parameters={"permit": first.pk, **params})
    run2 = services.prepare_and_compute(actor=neixiang_officer, engine=Engine.PERMIT, parameters={"permit": second.pk, **params})
    # Another right takes all but 1,000,000 m³ of the cap meanwhile (e.g. a regional trade).
    other = ledger.open_right(actor=city_admin, kind=RightKind.RESERVE, name="测试收储", holder_name="测试", valid_from=county.valid_from,
                              valid_to=county.valid_to)
    ledger.transfer(actor=city_admin, kind="reserve_purchase", memo="测试", source=county, target=other, years=range(2026, 2031),
                    amount=remaining - 1_000_000)
    through(run1, preparer=neixiang_officer, approver=neixiang_officer)
    run2 = services.approve_run(services.review_run(run2, actor=neixiang_officer), actor=neixiang_officer)
    before = snapshot()
    with pytest.raises(InsufficientVolume) as exc:
        services.register_run(run2, actor=neixiang_officer)
    assert exc.value.rule == "A3"
    assert snapshot() == before
    assert AllocationRun.objects.get(pk=run2.pk).status == RunStatus.APPROVED
    assert verify_ledger() == []


def test_A3_the_approving_authority_approves_county_permits(new_permit, neixiang_officer, tanghe_officer, snapshot):
    permit = new_permit("411325", 300_000)
    run = services.prepare_and_compute(actor=neixiang_officer, engine=Engine.PERMIT, parameters={
        "permit": permit.pk, "items": [{"quota": quota("合成氨").pk, "scale": "30000"}]})
    run = services.review_run(run, actor=neixiang_officer)
    before = snapshot()
    with pytest.raises(Forbidden) as exc:
        services.approve_run(run, actor=tanghe_officer)
    assert exc.value.code == "step_not_allowed"
    assert snapshot() == before
    run = services.approve_run(run, actor=neixiang_officer)
    run = services.register_run(run, actor=neixiang_officer)
    run = services.issue_certificates(run, actor=neixiang_officer)
    cert = run.certificates.get()
    assert cert.issuer == "内乡县水利局" and cert.volume_m3 == run.total_m3 == 285_000  # 300,000 − 5% default saving


def test_A3_another_countys_officer_cannot_prepare_and_a_registered_permit_is_not_registered_twice(new_permit, tanghe_officer, neixiang_officer):
    permit = new_permit("411325", 300_000)
    with pytest.raises(ValidationFailed):  # not in the Tanghe officer's scope at all
        services.prepare_and_compute(actor=tanghe_officer, engine=Engine.PERMIT, parameters={
            "permit": permit.pk, "items": [{"quota": quota("合成氨").pk, "scale": "30000"}]})
    registered = reg.WithdrawalPermit.objects.filter(region__code="411325", is_demo=True, rights__isnull=False).first()
    with pytest.raises(Exception) as exc:
        services.prepare_and_compute(actor=neixiang_officer, engine=Engine.PERMIT, parameters={
            "permit": registered.pk, "items": [{"quota": quota("合成氨").pk, "scale": "1"}]})
    assert exc.value.code == "already_registered"


def test_A3_bad_input_is_a_validation_error(new_permit, neixiang_officer):
    permit = new_permit("411325", 300_000)
    for params in ({"items": []}, {"items": [{"quota": quota("合成氨").pk, "scale": "-1"}]},
                   {"items": [{"quota": quota("合成氨").pk, "scale": "1"}], "saving_rate": "1.5"},
                   {"items": [{"quota": quota("合成氨").pk, "scale": "1"}], "groundwater_rate": "0.1"},
                   {"items": [{"quota": 999999, "scale": "1"}]}, {"items": [{"quota": quota("合成氨").pk, "scale": 1.5}]}):
        with pytest.raises(ValidationFailed):
            services.prepare_and_compute(actor=neixiang_officer, engine=Engine.PERMIT, parameters={"permit": permit.pk, **params})
