"""Registry services: permit numbering, defaults, status changes with reasons and audit, renewal due,
read-only seed records, and refusals that write nothing."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from shuiquan.conftest import requires_postgres
from shuiquan.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shuiquan.core.models import AuditEvent
from shuiquan.registry import models as m
from shuiquan.registry import services
from shuiquan.registry.choices import PermitStatus, RegionKind
from shuiquan.registry.validators import PERMIT_NUMBER_RE

pytestmark = pytest.mark.django_db


@pytest.fixture
def neixiang():
    return m.Region.objects.get(code="411325")


@pytest.fixture
def permit_data(neixiang):
    holder = m.WaterUser.objects.filter(region=neixiang, kind="enterprise").order_by("pk").first()
    authority = m.Authority.objects.get(name="内乡县水利局")
    return {
        "holder": holder, "region": neixiang, "approving_authority": authority,
        "source": m.WaterSource.objects.get(name="内乡县浅层地下水"), "withdrawal_method": "well", "use": "industrial",
        "annual_volume_m3": 120_000, "max_daily_volume_m3": 500, "issued_on": dt.date(2027, 3, 1),
    }


def _events():
    return AuditEvent.objects.count()


def test_next_permit_number_is_per_admin_code_and_year_and_sequential(city_admin, permit_data):
    authority = permit_data["approving_authority"]
    with transaction.atomic():
        assert services.next_permit_number(authority, 2027) == "411325-2027-0001"
    first = services.create_permit(actor=city_admin, data=permit_data)
    second = services.create_permit(actor=city_admin, data=permit_data)
    assert (first.number, second.number) == ("411325-2027-0001", "411325-2027-0002")
    city = m.Authority.objects.get(name="南阳市水利局")
    other = services.create_permit(actor=city_admin, data={**permit_data, "approving_authority": city})
    assert other.number == "411300-2027-0001"
    for p in (first, second, other):
        assert PERMIT_NUMBER_RE.match(p.number)


def test_next_number_follows_the_highest_serial_of_that_code_and_year(permit_data):
    existing = sorted(m.WithdrawalPermit.objects.filter(number__startswith="411325-2023-").values_list("number", flat=True))
    assert existing, "the demo has 内乡县 permits of 2023"
    top = max(int(n[-4:]) for n in existing)
    with transaction.atomic():
        assert services.next_permit_number(permit_data["approving_authority"], 2023) == f"411325-2023-{top + 1:04d}"


def test_create_permit_defaults_five_years_status_new_and_audit(neixiang_officer, permit_data):
    permit = services.create_permit(actor=neixiang_officer, data=permit_data)
    assert permit.status == PermitStatus.NEW
    assert permit.valid_from == dt.date(2027, 3, 1)
    assert permit.valid_to == dt.date(2032, 2, 29)  # five years, to the day before
    assert permit.supervising_authority == permit_data["approving_authority"]
    assert permit.source_type == "groundwater"
    assert permit.renewal_due == dt.date(2032, 2, 29) - dt.timedelta(days=45)
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.object_id, event.actor_id, event.region_code) == ("create", str(permit.pk), neixiang_officer.pk, "411325")
    assert event.after["number"] == permit.number and event.after["annual_volume_m3"] == 120_000


def test_create_permit_issued_today_by_default(city_admin, permit_data):
    data = {k: v for k, v in permit_data.items() if k != "issued_on"}
    permit = services.create_permit(actor=city_admin, data=data)
    today = timezone.localdate()
    assert permit.issued_on == permit.valid_from == today
    assert permit.number.split("-")[1] == str(today.year)


@pytest.mark.parametrize("number,message", [
    ("411328-2027-0001", "审批机关"),  # another authority's code
    ("411325-2026-0001", "发证年份"),  # not the year of issue
    ("411325-27-0001", "格式"),
])
def test_given_number_must_match_authority_and_year(city_admin, permit_data, number, message):
    before, events = m.WithdrawalPermit.objects.count(), _events()
    with pytest.raises(ValidationFailed) as exc:
        services.create_permit(actor=city_admin, data={**permit_data, "number": number})
    assert message in str(exc.value.detail["fields"]["number"])
    assert (m.WithdrawalPermit.objects.count(), _events()) == (before, events)


def test_duplicate_number_refused(city_admin, permit_data):
    existing = m.WithdrawalPermit.objects.filter(number__startswith="411325-2023-").first()
    before = m.WithdrawalPermit.objects.count()
    with pytest.raises(ValidationFailed):
        services.create_permit(actor=city_admin, data={**permit_data, "issued_on": dt.date(2023, 5, 1), "number": existing.number})
    assert m.WithdrawalPermit.objects.count() == before


def test_county_officer_cannot_register_a_permit_in_another_county(tanghe_officer, permit_data):
    before, events = m.WithdrawalPermit.objects.count(), _events()
    with pytest.raises(Forbidden) as exc:
        services.create_permit(actor=tanghe_officer, data=permit_data)
    assert exc.value.code == "out_of_scope"
    assert (m.WithdrawalPermit.objects.count(), _events()) == (before, events)


def test_permit_holder_cannot_register_permits(users, permit_data):
    with pytest.raises(Forbidden):
        services.create_permit(actor=users["permit_holder"], data=permit_data)


def test_bad_model_rules_refused_with_field_errors(city_admin, permit_data):
    before = m.WithdrawalPermit.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.create_permit(actor=city_admin, data={**permit_data, "max_daily_volume_m3": 200_000})
    assert "max_daily_volume_m3" in exc.value.detail["fields"]
    assert m.WithdrawalPermit.objects.count() == before


@pytest.fixture
def permit(neixiang):
    return m.WithdrawalPermit.objects.filter(region=neixiang, status=PermitStatus.NEW).order_by("pk").first()


def test_change_records_reason_before_and_after(neixiang_officer, permit):
    old = permit.annual_volume_m3
    changed = services.change_permit(permit.pk, actor=neixiang_officer, reason="节水改造后核减", changes={"annual_volume_m3": old - 10_000})
    assert changed.status == PermitStatus.CHANGED and changed.annual_volume_m3 == old - 10_000
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "permit_change" and event.message == "节水改造后核减"
    assert (event.before["annual_volume_m3"], event.after["annual_volume_m3"]) == (old, old - 10_000)
    assert (event.before["status"], event.after["status"]) == ("new", "changed")


def test_change_without_reason_or_without_change_is_refused(neixiang_officer, permit):
    events = _events()
    with pytest.raises(ValidationFailed) as exc:
        services.change_permit(permit.pk, actor=neixiang_officer, reason="  ", changes={"annual_volume_m3": 1000})
    assert exc.value.code == "reason_required"
    with pytest.raises(ValidationFailed) as exc:
        services.change_permit(permit.pk, actor=neixiang_officer, reason="x", changes={"annual_volume_m3": permit.annual_volume_m3})
    assert exc.value.code == "no_changes"
    with pytest.raises(ValidationFailed):
        services.change_permit(permit.pk, actor=neixiang_officer, reason="x", changes={"number": "411325-2020-0001"})
    permit.refresh_from_db()
    assert permit.status == PermitStatus.NEW and _events() == events


def test_renew_starts_the_next_period_the_day_after_expiry(neixiang_officer, permit):
    old_to = permit.valid_to
    renewed = services.renew_permit(permit.pk, actor=neixiang_officer, reason="按期申请延续", today=old_to - dt.timedelta(days=10))
    assert renewed.status == PermitStatus.RENEWED
    assert renewed.valid_from == old_to + dt.timedelta(days=1)
    assert renewed.valid_to == services.add_years(old_to + dt.timedelta(days=1), 5) - dt.timedelta(days=1)
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "permit_renew" and event.before["valid_to"] == old_to.isoformat()


def test_renewal_after_expiry_is_refused_and_changes_nothing(neixiang_officer, permit):
    events = _events()
    with pytest.raises(Conflict) as exc:
        services.renew_permit(permit.pk, actor=neixiang_officer, reason="逾期", today=permit.valid_to + dt.timedelta(days=1))
    assert exc.value.code == "permit_lapsed"
    fresh = m.WithdrawalPermit.objects.get(pk=permit.pk)
    assert (fresh.valid_to, fresh.status) == (permit.valid_to, permit.status) and _events() == events


def test_revoked_permit_cannot_be_renewed_or_changed(neixiang_officer, permit):
    services.revoke_permit(permit.pk, actor=neixiang_officer, reason="擅自改变取水用途")
    assert AuditEvent.objects.order_by("-id").first().action == "permit_revoke"
    for call in (lambda: services.renew_permit(permit.pk, actor=neixiang_officer, reason="x"),
                 lambda: services.change_permit(permit.pk, actor=neixiang_officer, reason="x", changes={"use": "domestic"}),
                 lambda: services.expire_permit(permit.pk, actor=neixiang_officer, reason="x")):
        with pytest.raises(Conflict) as exc:
            call()
        assert exc.value.code == "permit_not_active"
    assert m.WithdrawalPermit.objects.get(pk=permit.pk).status == PermitStatus.REVOKED


def test_expire_is_audited(neixiang_officer, permit):
    services.expire_permit(permit.pk, actor=neixiang_officer, reason="取水权人停产")
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.after["status"], event.message) == ("permit_expire", "expired", "取水权人停产")


def test_status_changes_of_another_countys_permit_are_refused(tanghe_officer, permit):
    with pytest.raises(NotFound):
        services.revoke_permit(permit.pk, actor=tanghe_officer, reason="x")
    assert m.WithdrawalPermit.objects.get(pk=permit.pk).status == permit.status


def test_a_permit_holder_cannot_change_its_own_permit(users):
    holder = users["permit_holder"]
    own = m.WithdrawalPermit.objects.filter(holder=holder.water_user).first()
    with pytest.raises(Forbidden):
        services.change_permit(own.pk, actor=holder, reason="x", changes={"annual_volume_m3": 1})


def test_renewal_due_lists_permits_within_45_days_of_expiry_in_scope(neixiang_officer, tanghe_officer, permit):
    today = dt.date(2026, 6, 1)
    m.WithdrawalPermit.objects.filter(pk=permit.pk).update(valid_to=today + dt.timedelta(days=45))
    other = m.WithdrawalPermit.objects.filter(region__code="411325", status="new").exclude(pk=permit.pk).first()
    m.WithdrawalPermit.objects.filter(pk=other.pk).update(valid_to=today + dt.timedelta(days=46))
    due = list(services.renewal_due(neixiang_officer, today))
    assert permit in due and other not in due
    assert permit not in list(services.renewal_due(tanghe_officer, today))
    m.WithdrawalPermit.objects.filter(pk=permit.pk).update(status=PermitStatus.EXPIRED)
    assert permit not in list(services.renewal_due(neixiang_officer, today))


def test_expire_lapsed_permits(city_admin, permit):
    m.WithdrawalPermit.objects.filter(pk=permit.pk).update(valid_to=dt.date(2026, 1, 31))
    done = services.expire_lapsed_permits(actor=None, today=dt.date(2026, 2, 1))
    assert permit.pk in {p.pk for p in done}
    assert m.WithdrawalPermit.objects.get(pk=permit.pk).status == PermitStatus.EXPIRED
    assert AuditEvent.objects.filter(action="permit_expire", object_id=str(permit.pk)).exists()


def test_seed_records_are_read_only(city_admin):
    region = m.Region.objects.get(code="411325")
    events = _events()
    with pytest.raises(Forbidden) as exc:
        services.update_record(m.Region, region.pk, actor=city_admin, data={"name_en": "X"})
    assert exc.value.code == "seed_record_read_only"
    with pytest.raises(Forbidden):
        services.delete_record(m.River, m.River.objects.get(name="白河").pk, actor=city_admin)
    assert m.Region.objects.get(pk=region.pk).name_en == "Neixiang County" and _events() == events


def test_city_admin_adds_an_outside_counterparty_but_not_a_county(city_admin, neixiang_officer):
    # An outside city not yet registered (trading's demo registers 郑州市, 新郑市 and 登封市).
    assert not m.Region.objects.filter(name__in=["洛阳市", "平顶山市"]).exists()
    ly = services.create_record(m.Region, actor=city_admin, data={"name": "洛阳市", "code": "410300", "kind": RegionKind.OUTSIDE})
    assert AuditEvent.objects.order_by("-id").first().object_id == str(ly.pk)
    services.update_record(m.Region, ly.pk, actor=city_admin, data={"name_en": "Luoyang"})
    with pytest.raises(ValidationFailed):
        services.create_record(m.Region, actor=city_admin, data={"name": "某县", "kind": RegionKind.COUNTY})
    with pytest.raises(Forbidden):
        services.create_record(m.Region, actor=neixiang_officer, data={"name": "平顶山市", "kind": RegionKind.OUTSIDE})


def test_annual_plan_within_permit_volume_and_validity(neixiang_officer, permit):
    year = permit.valid_from.year + 1
    m.AnnualWithdrawalPlan.objects.filter(permit=permit).delete()
    plan = services.create_record(m.AnnualWithdrawalPlan, actor=neixiang_officer,
                                  data={"permit": permit, "year": year, "volume_m3": permit.annual_volume_m3})
    assert AuditEvent.objects.order_by("-id").first().region_code == "411325"
    with pytest.raises(ValidationFailed) as exc:
        services.update_record(m.AnnualWithdrawalPlan, plan.pk, actor=neixiang_officer, data={"volume_m3": permit.annual_volume_m3 + 1})
    assert "volume_m3" in exc.value.detail["fields"]
    with pytest.raises(ValidationFailed) as exc:
        services.create_record(m.AnnualWithdrawalPlan, actor=neixiang_officer,
                               data={"permit": permit, "year": permit.valid_to.year + 1, "volume_m3": 1})
    assert "year" in exc.value.detail["fields"]


def test_water_user_of_another_county_cannot_be_changed(neixiang_officer):
    other = m.WaterUser.objects.filter(region__code="411328").first()
    with pytest.raises(NotFound):
        services.update_record(m.WaterUser, other.pk, actor=neixiang_officer, data={"contact_name": "x"})
    mine = m.WaterUser.objects.filter(region__code="411325").first()
    with pytest.raises(Forbidden):  # moving a record out of the county
        services.update_record(m.WaterUser, mine.pk, actor=neixiang_officer, data={"region": m.Region.objects.get(code="411328")})
    assert m.WaterUser.objects.get(pk=mine.pk).region.code == "411325"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuance_gets_distinct_sequential_numbers(seeded_transactional_db, permit_data):
    """Two permits registered at the same moment for the same authority and year get 0001 and 0002."""
    from shuiquan.core.models import User

    admin = User.objects.get(username="city_admin")
    numbers, errors = [], []
    barrier = threading.Barrier(4)

    def register():
        try:
            barrier.wait()
            numbers.append(services.create_permit(actor=admin, data=permit_data).number)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == [f"411325-2027-{i:04d}" for i in range(1, 5)]


def test_expire_permits_command(permit):
    from io import StringIO

    from django.core.management import call_command

    m.WithdrawalPermit.objects.filter(pk=permit.pk).update(valid_to=dt.date(2026, 1, 31))
    out = StringIO()
    call_command("expire_permits", "--today", "2026-02-01", stdout=out)
    assert permit.number in out.getvalue()
    assert m.WithdrawalPermit.objects.get(pk=permit.pk).status == PermitStatus.EXPIRED
    out = StringIO()
    call_command("expire_permits", "--today", "2026-02-01", stdout=out)
    assert permit.number not in out.getvalue()


def test_intake_region_follows_its_permit_and_association_its_district(city_admin, permit):
    tanghe = m.Region.objects.get(code="411328")
    with pytest.raises(ValidationFailed) as exc:
        services.create_record(m.IntakePoint, actor=city_admin, data={
            "code": "QSKX0001", "name": "x", "region": tanghe, "permit": permit, "longitude": "112.8", "latitude": "32.7"})
    assert "region" in exc.value.detail["fields"]
    with pytest.raises(ValidationFailed) as exc:
        services.create_record(m.Association, actor=city_admin, data={
            "name": "跨县协会", "district": m.IrrigationDistrict.objects.get(name="打磨岗灌区"), "region": tanghe, "effective_area_mu": 10})
    assert "region" in exc.value.detail["fields"]
