"""The registry API (/api/v1/registry/): every endpoint, every role; scoping (a county officer sees and
changes only their county: 404 on another county's record, 403 when visible but not theirs to
change, and nothing changes); anonymous refused; Bearer tokens; the error shape; pagination;
filters; bad input is a 4xx, never a 500; the OpenAPI schema is valid."""

from __future__ import annotations

import random

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shuiquan.core import audit
from shuiquan.core.models import AuditEvent
from shuiquan.core.scoping import VIEW
from shuiquan.registry import models as m
from shuiquan.registry.demo import credit_code

pytestmark = pytest.mark.django_db

BASE = "/api/v1/registry"
NEIXIANG, TANGHE = "411325", "411328"
ROLES = ["city_admin", "neixiang_officer", "tanghe_officer", "damogang_manager", "hushan_manager", "association_rep",
         "permit_holder", "buyer_holder", "finance_officer", "bank_officer", "auditor", "snwd_unit"]

READ_ONLY = {
    "regions": m.Region, "basins": m.Basin, "rivers": m.River, "reservoirs": m.Reservoir, "zones": m.WaterResourceZone,
    "sources": m.WaterSource, "authorities": m.Authority, "sectors": m.Sector, "dual-control-targets": m.DualControlTarget,
    "nonconventional-minimums": m.NonConventionalMinimum, "snwd-quotas": m.SnwdQuota, "water-use-statistics": m.WaterUseStatistic,
    "water-resources": m.RegionWaterResources, "indicators": m.Indicator,
}
WRITABLE = {
    "water-users": m.WaterUser, "permits": m.WithdrawalPermit, "annual-plans": m.AnnualWithdrawalPlan, "intake-points": m.IntakePoint,
    "metering-devices": m.MeteringDevice, "irrigation-districts": m.IrrigationDistrict, "associations": m.Association,
    "villager-groups": m.VillagerGroup, "households": m.Household,
}
#: the lookup from each writable model to the region it belongs to
REGION_PATH = {
    "water-users": "region", "permits": "region", "annual-plans": "permit__region", "intake-points": "region",
    "metering-devices": "region", "irrigation-districts": "region", "associations": "region",
    "villager-groups": "association__region", "households": "association__region",
}
CREATORS = {
    "water-users": {"city_admin", "neixiang_officer"},
    "permits": {"city_admin", "neixiang_officer"},
    "annual-plans": {"city_admin", "neixiang_officer"},
    "intake-points": {"city_admin", "neixiang_officer"},
    "metering-devices": {"city_admin", "neixiang_officer"},
    "irrigation-districts": {"city_admin", "neixiang_officer"},
    "associations": {"city_admin", "neixiang_officer", "damogang_manager"},
    "villager-groups": {"city_admin", "neixiang_officer", "damogang_manager", "association_rep"},
    "households": {"city_admin", "neixiang_officer", "damogang_manager", "association_rep"},
}
EDITORS = {
    **{k: {"city_admin", "neixiang_officer"} for k in ("water-users", "permits", "annual-plans", "intake-points", "metering-devices",
                                                        "irrigation-districts")},
    "associations": {"city_admin", "neixiang_officer", "damogang_manager"},
    "villager-groups": {"city_admin", "neixiang_officer", "damogang_manager", "association_rep"},
    "households": {"city_admin", "neixiang_officer", "damogang_manager", "association_rep"},
}


def client_for(user) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def assert_error(response, status, code=None):
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) >= {"code", "rule", "message", "message_en"}, body
    assert body["message"] and body["message_en"]
    if code:
        assert body["code"] == code, body
    return body


# --- fixtures: one record of each kind in 内乡县 (tied to the demo accounts) and one in 唐河县 ---------


@pytest.fixture
def world(users):
    neixiang = m.Region.objects.get(code=NEIXIANG)
    holder = users["permit_holder"].water_user
    assoc = users["association_rep"].association
    permit = m.WithdrawalPermit.objects.filter(holder=holder).order_by("pk").first()
    intake = permit.intake_points.first()
    district = m.IrrigationDistrict.objects.create(name="内乡测试灌区", region=neixiang, kind="canal")
    own = {
        "water-users": holder, "permits": permit, "annual-plans": permit.annual_plans.first(), "intake-points": intake,
        "metering-devices": intake.devices.first(), "irrigation-districts": district, "associations": assoc,
        "villager-groups": assoc.groups.first(), "households": assoc.households.first(),
    }
    t_permit = m.WithdrawalPermit.objects.filter(region__code=TANGHE).order_by("pk").first()
    t_assoc = m.Association.objects.filter(region__code=TANGHE).order_by("pk").first()
    other = {
        "water-users": t_permit.holder, "permits": t_permit, "annual-plans": t_permit.annual_plans.first(),
        "intake-points": t_permit.intake_points.first(), "metering-devices": t_permit.intake_points.first().devices.first(),
        "irrigation-districts": m.IrrigationDistrict.objects.get(name="虎山灌区"), "associations": t_assoc,
        "villager-groups": t_assoc.groups.first(), "households": t_assoc.households.first(),
    }
    for name in WRITABLE:
        assert own[name] is not None and other[name] is not None, name
    return {"own": own, "other": other, "neixiang": neixiang, "holder": holder, "assoc": assoc, "permit": permit, "intake": intake,
            "plan_slot": _plan_slot(neixiang, holder)}


def _plan_slot(county, holder):
    """A (permit, year) of the county with no annual plan yet, 2027 or later, within the permit's
    validity — the holder's permits first. (The registry's demo plans 2025–2026; a trade over one
    year also sets the plans of its years, T7, as trading's demo does.)"""
    permits = sorted(m.WithdrawalPermit.objects.filter(region=county), key=lambda p: (p.holder_id != holder.pk, p.pk))
    for permit in permits:
        taken = set(permit.annual_plans.values_list("year", flat=True))
        for year in range(max(permit.valid_from.year, 2027), permit.valid_to.year + 1):
            if year not in taken:
                return permit, year
    raise AssertionError("no permit of the county has a year without an annual plan")


def payload(name, world, n=1):
    neixiang, holder, assoc = world["neixiang"], world["holder"], world["assoc"]
    if name == "water-users":
        return {"name": f"API测试{n}有限公司", "kind": "enterprise", "credit_code": credit_code(random.Random(n), NEIXIANG),
                "region": neixiang.pk, "sector": m.Sector.objects.get(code="13").pk}
    if name == "permits":
        return {"holder": holder.pk, "region": neixiang.pk, "approving_authority": m.Authority.objects.get(name="内乡县水利局").pk,
                "source": m.WaterSource.objects.get(name="内乡县浅层地下水").pk, "withdrawal_method": "well", "use": "industrial",
                "annual_volume_m3": 100_000, "max_daily_volume_m3": 400, "issued_on": "2027-01-05"}
    if name == "annual-plans":
        permit, year = world["plan_slot"]
        return {"permit": permit.pk, "year": year, "volume_m3": permit.annual_volume_m3 // 2}
    if name == "intake-points":
        return {"code": f"QSKAPI{n:04d}", "name": "API测试取水口", "kind": "well", "region": neixiang.pk, "water_user": holder.pk,
                "longitude": "111.850000", "latitude": "33.040000"}
    if name == "metering-devices":
        return {"serial": f"API{n:05d}", "model": "LDG-100", "protocol": "manual", "intake_point": world["intake"].pk,
                "installed_on": "2026-01-01"}
    if name == "irrigation-districts":
        return {"name": f"API测试灌区{n}", "region": neixiang.pk, "kind": "pipe"}
    if name == "associations":
        return {"name": f"API测试协会{n}", "district": m.IrrigationDistrict.objects.get(name="打磨岗灌区").pk, "region": neixiang.pk,
                "effective_area_mu": "1200.50"}
    if name == "villager-groups":
        return {"association": assoc.pk, "village": "API村", "name": f"第{n}组"}
    if name == "households":
        return {"association": assoc.pk, "code": f"API-{n:04d}", "name": "王测试", "id_number": "11010519491231002X", "planted_area_mu": "5.25"}
    raise KeyError(name)


PATCH = {name: {"comments": "API修改"} for name in WRITABLE}
PATCH["annual-plans"] = {"note": "API修改"}


def snapshot(obj):
    return audit.snapshot(type(obj).objects.get(pk=obj.pk))


# --- anonymous and token auth ---------------------------------------------------------------------


@pytest.mark.parametrize("name", [*READ_ONLY, *WRITABLE])
def test_anonymous_is_refused_everywhere(name):
    c = APIClient()
    # 403 with code not_authenticated: session auth comes first and sends no WWW-Authenticate challenge.
    assert_error(c.get(f"{BASE}/{name}/"), (401, 403), "not_authenticated")
    assert_error(c.get(f"{BASE}/{name}/1/"), (401, 403), "not_authenticated")
    assert_error(c.post(f"{BASE}/{name}/", {}, format="json"), (401, 403), "not_authenticated")


def test_bearer_token_auth(users):
    token = Token.objects.create(user=users["neixiang_officer"])
    c = APIClient()
    r = c.get(f"{BASE}/permits/", HTTP_AUTHORIZATION=f"Bearer {token.key}")
    assert r.status_code == 200
    assert {p["region"] for p in r.json()["results"]} == {m.Region.objects.get(code=NEIXIANG).pk}
    assert c.get(f"{BASE}/permits/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    assert_error(c.get(f"{BASE}/permits/", HTTP_AUTHORIZATION="Bearer not-a-token"), (401, 403), "authentication_failed")


def test_session_auth_for_browsers(page, users):
    r = page(users["neixiang_officer"]).get(f"{BASE}/water-users/")
    assert r.status_code == 200 and r.json()["count"] > 0


# --- read-only endpoints --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(READ_ONLY))
@pytest.mark.parametrize("role", ROLES)
def test_reference_data_readable_by_every_role_and_not_writable(users, name, role):
    c = client_for(users[role])
    r = c.get(f"{BASE}/{name}/?page_size=500")
    assert r.status_code == 200
    assert r.json()["count"] == READ_ONLY[name].objects.count()
    first = READ_ONLY[name].objects.order_by("pk").first()
    assert c.get(f"{BASE}/{name}/{first.pk}/").json()["id"] == first.pk
    for method in ("post", "put", "patch", "delete"):
        url = f"{BASE}/{name}/" if method == "post" else f"{BASE}/{name}/{first.pk}/"
        assert_error(getattr(c, method)(url, {}, format="json"), 405, "method_not_allowed")


# --- lists and details of the registry, per role --------------------------------------------------


@pytest.mark.parametrize("name", list(WRITABLE))
@pytest.mark.parametrize("role", ROLES)
def test_list_and_detail_show_exactly_what_the_role_may_see(users, world, name, role):
    user = users[role]
    model = WRITABLE[name]
    c = client_for(user)
    r = c.get(f"{BASE}/{name}/?page_size=500")
    assert r.status_code == 200
    got = {row["id"] for row in r.json()["results"]}
    assert got == set(model.objects.restrict(user, VIEW).values_list("pk", flat=True))
    for which in ("own", "other"):
        obj = world[which][name]
        r = c.get(f"{BASE}/{name}/{obj.pk}/")
        if model.objects.restrict(user, VIEW).filter(pk=obj.pk).exists():
            assert r.status_code == 200 and r.json()["id"] == obj.pk
        else:
            assert_error(r, 404, "not_found")


@pytest.mark.parametrize("name", list(WRITABLE))
def test_county_officer_lists_only_their_county(users, world, name):
    c = client_for(users["neixiang_officer"])
    rows = c.get(f"{BASE}/{name}/?page_size=500").json()["results"]
    model = WRITABLE[name]
    ids = {row["id"] for row in rows}
    assert ids, name
    assert ids == set(model.objects.filter(**{f"{REGION_PATH[name]}__code": NEIXIANG}).values_list("pk", flat=True))
    assert world["other"][name].pk not in ids
    # asking for another county by filter yields nothing, not their rows
    if name in ("water-users", "permits", "intake-points", "metering-devices", "irrigation-districts", "associations"):
        tanghe = m.Region.objects.get(code=TANGHE).pk
        assert c.get(f"{BASE}/{name}/?region={tanghe}").json()["count"] == 0


@pytest.mark.parametrize("name", list(WRITABLE))
def test_county_officer_gets_404_for_another_countys_record_and_cannot_change_it(users, world, name):
    obj = world["other"][name]
    before, events = snapshot(obj), AuditEvent.objects.count()
    c = client_for(users["neixiang_officer"])
    assert_error(c.get(f"{BASE}/{name}/{obj.pk}/"), 404, "not_found")
    assert_error(c.patch(f"{BASE}/{name}/{obj.pk}/", PATCH[name], format="json"), 404, "not_found")
    assert_error(c.put(f"{BASE}/{name}/{obj.pk}/", payload(name, world, 7), format="json"), 404, "not_found")
    assert_error(c.delete(f"{BASE}/{name}/{obj.pk}/"), 404, "not_found")
    assert snapshot(obj) == before
    assert AuditEvent.objects.count() == events


# --- create and update, per role ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(WRITABLE))
@pytest.mark.parametrize("role", ROLES)
def test_create_per_role(users, world, name, role):
    model = WRITABLE[name]
    count, events = model.objects.count(), AuditEvent.objects.count()
    r = client_for(users[role]).post(f"{BASE}/{name}/", payload(name, world), format="json")
    if role in CREATORS[name]:
        assert r.status_code == 201, r.content
        obj = model.objects.get(pk=r.json()["id"])
        assert model.objects.count() == count + 1
        event = AuditEvent.objects.order_by("-id").first()
        assert (event.action, event.object_id, event.actor_id) == ("create", str(obj.pk), users[role].pk)
        assert not obj.is_demo
    else:
        assert r.status_code in (400, 403), r.content
        assert_error(r, r.status_code)
        assert model.objects.count() == count and AuditEvent.objects.count() == events


@pytest.mark.parametrize("name", list(WRITABLE))
@pytest.mark.parametrize("role", ROLES)
def test_update_per_role(users, world, name, role):
    user = users[role]
    obj = world["own"][name]
    before, events = snapshot(obj), AuditEvent.objects.count()
    r = client_for(user).patch(f"{BASE}/{name}/{obj.pk}/", PATCH[name], format="json")
    if role in EDITORS[name]:
        assert r.status_code == 200, r.content
        field, value = next(iter(PATCH[name].items()))
        assert r.json()[field] == value
        event = AuditEvent.objects.order_by("-id").first()
        assert (event.action, event.object_id, event.after[field]) == ("update", str(obj.pk), value)
        return
    visible = type(obj).objects.restrict(user, VIEW).filter(pk=obj.pk).exists()
    assert_error(r, 403 if visible else 404)
    assert snapshot(obj) == before and AuditEvent.objects.count() == events


def test_county_officer_cannot_create_in_another_county(users, world):
    c = client_for(users["tanghe_officer"])
    count = m.WaterUser.objects.count()
    body = assert_error(c.post(f"{BASE}/water-users/", payload("water-users", world), format="json"), 403, "out_of_scope")
    assert "本辖区" in body["message"]
    assert m.WaterUser.objects.count() == count


def test_county_officer_cannot_move_a_record_out_of_their_county(users, world):
    obj = world["own"]["water-users"]
    before = snapshot(obj)
    tanghe = m.Region.objects.get(code=TANGHE).pk
    assert_error(client_for(users["neixiang_officer"]).patch(f"{BASE}/water-users/{obj.pk}/", {"region": tanghe}, format="json"), 403)
    assert snapshot(obj) == before


def test_full_update_with_put(users, world):
    obj = world["own"]["water-users"]
    data = {**payload("water-users", world, 3), "contact_name": "PUT测试"}
    r = client_for(users["neixiang_officer"]).put(f"{BASE}/water-users/{obj.pk}/", data, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["contact_name"] == "PUT测试" and r.json()["name"] == data["name"]


def test_permit_number_is_issued_and_not_editable(users, world):
    c = client_for(users["neixiang_officer"])
    r = c.post(f"{BASE}/permits/", payload("permits", world), format="json")
    assert r.status_code == 201 and r.json()["number"] == "411325-2027-0001"
    assert r.json()["status"] == "new" and r.json()["valid_to"] == "2032-01-04"
    pk = r.json()["id"]
    r = c.patch(f"{BASE}/permits/{pk}/", {"number": "411325-2027-0099", "status": "revoked", "max_daily_volume_m3": 500}, format="json")
    assert r.status_code == 200
    assert (r.json()["number"], r.json()["status"], r.json()["max_daily_volume_m3"]) == ("411325-2027-0001", "new", 500)


def test_delete_goes_through_the_service(users, world):
    c = client_for(users["neixiang_officer"])
    pk = c.post(f"{BASE}/intake-points/", payload("intake-points", world), format="json").json()["id"]
    assert c.delete(f"{BASE}/intake-points/{pk}/").status_code == 204
    assert not m.IntakePoint.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.order_by("-id").first().action == "delete"
    # a record others refer to cannot be deleted
    body = assert_error(c.delete(f"{BASE}/water-users/{world['holder'].pk}/"), 400, "protected")
    assert body["message_en"]


# --- permit status actions ------------------------------------------------------------------------


def test_permit_actions(users, world):
    c = client_for(users["neixiang_officer"])
    permit = world["permit"]
    url = f"{BASE}/permits/{permit.pk}"
    assert_error(c.post(f"{url}/change/", {"annual_volume_m3": 10_000}, format="json"), 400, "invalid")  # no reason
    r = c.post(f"{url}/change/", {"reason": "节水核减", "annual_volume_m3": permit.annual_volume_m3 - 1000}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "changed"
    r = c.post(f"{url}/renew/", {"reason": "延续"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "renewed"
    r = c.post(f"{url}/revoke/", {"reason": "违法取水"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    body = assert_error(c.post(f"{url}/expire/", {"reason": "x"}, format="json"), 409, "permit_not_active")
    assert "revoked" in body["message_en"]
    actions = list(AuditEvent.objects.filter(object_type="registry.withdrawalpermit", object_id=str(permit.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["permit_change", "permit_renew", "permit_revoke"]


def test_permit_actions_refused_out_of_scope(users, world):
    other = world["other"]["permits"]
    assert_error(client_for(users["neixiang_officer"]).post(f"{BASE}/permits/{other.pk}/revoke/", {"reason": "x"}, format="json"), 404)
    own = world["permit"]
    assert_error(client_for(users["permit_holder"]).post(f"{BASE}/permits/{own.pk}/renew/", {"reason": "x"}, format="json"), 403)
    assert m.WithdrawalPermit.objects.get(pk=own.pk).status == own.status


def test_renewal_due_endpoint(users, world):
    import datetime as dt

    from django.utils import timezone

    permit = world["permit"]
    m.WithdrawalPermit.objects.filter(pk=permit.pk).update(valid_to=timezone.localdate() + dt.timedelta(days=20))
    rows = client_for(users["neixiang_officer"]).get(f"{BASE}/permits/renewal-due/").json()
    assert permit.pk in [p["id"] for p in rows]
    assert all(p["region"] == world["neixiang"].pk for p in rows)
    assert permit.pk not in [p["id"] for p in client_for(users["tanghe_officer"]).get(f"{BASE}/permits/renewal-due/").json()]


# --- households: personal data --------------------------------------------------------------------


def test_household_personal_data_masked_except_for_managing_roles(users, world):
    h = world["own"]["households"]
    full = client_for(users["association_rep"]).get(f"{BASE}/households/{h.pk}/").json()
    assert (full["name"], full["id_number"], full["is_masked"]) == (h.name, h.id_number, False)
    masked = client_for(users["auditor"]).get(f"{BASE}/households/{h.pk}/").json()
    assert masked["is_masked"] and masked["name"] != h.name and masked["name"].startswith(h.name[0])
    assert masked["id_number"] == f"{h.id_number[:6]}********{h.id_number[-4:]}"
    assert "*" in masked["phone"]


# --- bad input: always a 4xx with the error shape, never a 500 -----------------------------------


BAD_PERMITS = [
    ({"annual_volume_m3": "很多"}, "annual_volume_m3"),
    ({"annual_volume_m3": -100}, "annual_volume_m3"),
    ({"annual_volume_m3": 0}, "annual_volume_m3"),
    ({"annual_volume_m3": 10**30}, "annual_volume_m3"),
    ({"annual_volume_m3": 1.5}, "annual_volume_m3"),
    ({"max_daily_volume_m3": 10**20}, "max_daily_volume_m3"),
    ({"max_daily_volume_m3": 10}, "max_daily_volume_m3"),  # ×366 < annual volume
    ({"holder": 999_999_999}, "holder"),
    ({"holder": "abc"}, "holder"),
    ({"region": None}, "region"),
    ({"source": [1, 2]}, "source"),
    ({"use": "drinking"}, "use"),
    ({"issued_on": "2027-02-30"}, "issued_on"),
    ({"issued_on": "9999-12-31"}, "valid_from"),
    ({"valid_from": "2027-06-01", "valid_to": "2027-01-01"}, "valid_to"),
    ({"number": "411325-27-1"}, "number"),
    ({"number": "411328-2027-0001"}, "number"),
    ({"return_water_location": "x" * 500}, "return_water_location"),
    ({"comments": "bad\x00byte"}, "comments"),
]


@pytest.mark.parametrize("change,field", BAD_PERMITS)
def test_bad_permit_input_is_a_400_with_field_errors(users, world, change, field):
    count, events = m.WithdrawalPermit.objects.count(), AuditEvent.objects.count()
    r = client_for(users["neixiang_officer"]).post(f"{BASE}/permits/", {**payload("permits", world), **change}, format="json")
    body = assert_error(r, 400, "invalid")
    assert field in body["detail"]["fields"], body
    assert m.WithdrawalPermit.objects.count() == count and AuditEvent.objects.count() == events


def test_another_countys_holder_is_an_unknown_id(users, world):
    other_holder = world["other"]["water-users"]
    r = client_for(users["neixiang_officer"]).post(f"{BASE}/permits/", {**payload("permits", world), "holder": other_holder.pk}, format="json")
    assert "holder" in assert_error(r, 400)["detail"]["fields"]


@pytest.mark.parametrize("code,reason", [
    ("91440300708461136A", "校验位"), ("9144030070846113IT", "非法字符"), ("9144030070846113", "18位"), ("91440300708461136t", None),
])
def test_credit_codes_on_the_api(users, world, code, reason):
    r = client_for(users["neixiang_officer"]).post(f"{BASE}/water-users/", {**payload("water-users", world), "credit_code": code}, format="json")
    if reason is None:
        assert r.status_code == 201 and r.json()["credit_code"] == code.upper()
    else:
        body = assert_error(r, 400)
        assert reason in " ".join(body["detail"]["fields"]["credit_code"])


def test_duplicate_credit_code(users, world):
    existing = world["holder"].credit_code
    r = client_for(users["neixiang_officer"]).post(f"{BASE}/water-users/", {**payload("water-users", world), "credit_code": existing}, format="json")
    assert "credit_code" in assert_error(r, 400)["detail"]["fields"]


def test_negative_and_fractional_areas(users, world):
    c = client_for(users["neixiang_officer"])
    for area in ("-1", "1.234", "abc", "1" * 30):
        r = c.post(f"{BASE}/households/", {**payload("households", world), "planted_area_mu": area}, format="json")
        assert "planted_area_mu" in assert_error(r, 400)["detail"]["fields"]


@pytest.mark.parametrize("lon,lat", [("200", "33"), ("111.8", "-91"), ("abc", "33"), ("1e999", "33")])
def test_bad_coordinates(users, world, lon, lat):
    r = client_for(users["neixiang_officer"]).post(f"{BASE}/intake-points/", {**payload("intake-points", world), "longitude": lon, "latitude": lat},
                                                    format="json")
    assert_error(r, 400)


def test_malformed_json_and_wrong_content_type(users):
    c = client_for(users["neixiang_officer"])
    assert_error(c.post(f"{BASE}/water-users/", "{not json", content_type="application/json"), 400, "parse_error")
    assert_error(c.post(f"{BASE}/water-users/", "<x/>", content_type="application/xml"), 415, "unsupported_media_type")
    assert_error(c.post(f"{BASE}/water-users/", ["a", "list"], format="json"), 400)


def test_unknown_ids_and_paths(users):
    c = client_for(users["city_admin"])
    assert_error(c.get(f"{BASE}/permits/999999999/"), 404, "not_found")
    assert_error(c.get(f"{BASE}/permits/abc/"), 404)
    assert_error(c.patch(f"{BASE}/permits/999999999/", {"comments": "x"}, format="json"), 404, "not_found")
    assert_error(c.post(f"{BASE}/permits/999999999/renew/", {"reason": "x"}, format="json"), 404)


# --- pagination and filters -----------------------------------------------------------------------


def test_pagination(users):
    c = client_for(users["city_admin"])
    r = c.get(f"{BASE}/permits/?page_size=5").json()
    assert len(r["results"]) == 5 and r["count"] == m.WithdrawalPermit.objects.count() and "page=2" in r["next"]
    r2 = c.get(f"{BASE}/permits/?page_size=5&page=2").json()
    assert not {p["id"] for p in r["results"]} & {p["id"] for p in r2["results"]}
    assert_error(c.get(f"{BASE}/permits/?page=9999"), 404, "not_found")
    assert len(c.get(f"{BASE}/permits/?page_size=100000").json()["results"]) <= 500


def test_filters(users, world):
    c = client_for(users["city_admin"])
    tanghe = m.Region.objects.get(code=TANGHE)
    rows = c.get(f"{BASE}/permits/?region={tanghe.pk}&page_size=500").json()["results"]
    assert rows and {p["region"] for p in rows} == {tanghe.pk}
    assert all(p["use"] == "domestic" for p in c.get(f"{BASE}/permits/?use=domestic").json()["results"])
    number = world["permit"].number
    assert [p["number"] for p in c.get(f"{BASE}/permits/?q={number}").json()["results"]] == [number]
    assert c.get(f"{BASE}/permits/?is_demo=false").json()["count"] == 0
    assert c.get(f"{BASE}/water-users/?kind=public_supply").json()["count"] == 13
    assert all(r["year"] == 2021 for r in c.get(f"{BASE}/water-use-statistics/?year=2021").json()["results"])
    assert_error(c.get(f"{BASE}/permits/?region=abc"), 400, "invalid")
    assert_error(c.get(f"{BASE}/permits/?status=nonsense"), 400, "invalid")
    assert_error(c.get(f"{BASE}/permits/?valid_to_before=notadate"), 400, "invalid")


def test_household_search_by_name_only_for_roles_that_see_names(users, world):
    h = world["own"]["households"]
    assert h.pk in [x["id"] for x in client_for(users["association_rep"]).get(f"{BASE}/households/?q={h.name}").json()["results"]]
    assert client_for(users["auditor"]).get(f"{BASE}/households/?q={h.name}").json()["count"] == 0


# --- the OpenAPI schema ---------------------------------------------------------------------------


def test_openapi_schema_is_valid_and_covers_the_registry(users):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._warn_cache)
    paths = schema["paths"]
    for name in [*READ_ONLY, *WRITABLE]:
        assert f"{BASE}/{name}/" in paths and f"{BASE}/{name}/{{id}}/" in paths, name
    for name in WRITABLE:
        assert {"get", "post"} <= set(paths[f"{BASE}/{name}/"]) and {"put", "patch"} <= set(paths[f"{BASE}/{name}/{{id}}/"])
    for action in ("change", "renew", "expire", "revoke"):
        assert f"{BASE}/permits/{{id}}/{action}/" in paths
    r = APIClient().get("/api/openapi.json")
    assert r.status_code == 200 and r.json()["openapi"].startswith("3.")
