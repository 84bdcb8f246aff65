"""A county officer (neixiang_officer, 内乡县) never reads or writes outside their county.

DESIGN.md "Users and roles": "a county officer sees and changes their own county's records and
nothing else". Checked against the seeded demo data with real 唐河县 objects (the county of
tanghe_officer, buyer_holder and 虎山灌区), through the API and the pages.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from shuiquan.core.access import iter_routes
from shuiquan.core.roles import Role

pytestmark = pytest.mark.django_db

#: (API base, page detail route name or None, model, lookup of the record's county)
CASES = [
    ("/api/v1/registry/water-users/", "registry:wateruser_detail", "registry.WaterUser", "region"),
    ("/api/v1/registry/permits/", "registry:withdrawalpermit_detail", "registry.WithdrawalPermit", "region"),
    ("/api/v1/registry/intake-points/", "registry:intakepoint_detail", "registry.IntakePoint", "region"),
    ("/api/v1/registry/metering-devices/", "registry:meteringdevice_detail", "registry.MeteringDevice", "region"),
    ("/api/v1/registry/irrigation-districts/", "registry:irrigationdistrict_detail", "registry.IrrigationDistrict", "region"),
    ("/api/v1/ledger/rights/", "ledger:right_detail", "ledger.WaterRight", "region"),
]


@pytest.fixture
def regions():
    from shuiquan.registry.models import Region

    return {"neixiang": Region.objects.get(name="内乡县"), "tanghe": Region.objects.get(code="411328")}


def _ids(client, url):
    """The ids on the first page (500 rows; readings are cursor-paginated and longer)."""
    r = client.get(url, {"page_size": 500})
    assert r.status_code == 200, r.content[:300]
    body = r.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {row["id"] for row in rows}


@pytest.mark.parametrize("base,page_name,label,county", CASES, ids=[c[2] for c in CASES])
def test_county_officer_lists_only_their_county(api, users, regions, base, page_name, label, county):
    model = apps.get_model(label)
    ids = _ids(api(users["neixiang_officer"]), base)
    assert ids, f"no {label} of 内乡县 in the demo data"
    assert not model.objects.filter(pk__in=ids).exclude(**{county: regions["neixiang"]}).exists()
    assert model.objects.filter(**{county: regions["tanghe"]}).exists(), f"no {label} of 唐河县 to test with"
    # The city admin sees the 唐河县 ones, so they are there to be hidden.
    assert _ids(api(users["city_admin"]), base) & set(model.objects.filter(**{county: regions["tanghe"]}).values_list("pk", flat=True))


@pytest.mark.parametrize("base,page_name,label,county", CASES, ids=[c[2] for c in CASES])
def test_county_officer_cannot_read_or_change_another_countys_record(api, page, users, regions, base, page_name, label, county):
    from shuiquan.core.models import AuditEvent

    model = apps.get_model(label)
    other = model.objects.filter(**{county: regions["tanghe"]}).order_by("pk").first()
    own = model.objects.filter(**{county: regions["neixiang"]}).order_by("pk").first()
    officer = api(users["neixiang_officer"])
    audits = AuditEvent.objects.count()
    assert officer.get(f"{base}{other.pk}/").status_code == 404
    for method in ("patch", "put", "delete"):
        r = getattr(officer, method)(f"{base}{other.pk}/", {}, format="json")
        assert r.status_code in (403, 404, 405), (method, r.status_code, r.content[:200])
        if r.status_code != 405:
            assert r.json()["code"] in ("not_found", "out_of_scope", "forbidden")
    assert AuditEvent.objects.count() == audits, "a refused write left an audit record"
    assert page(users["neixiang_officer"]).get(reverse(page_name, args=[other.pk])).status_code == 404
    # Their own county's record of the same kind is readable (the refusal is about scope, not kind).
    assert officer.get(f"{base}{own.pk}/").status_code == 200
    assert page(users["neixiang_officer"]).get(reverse(page_name, args=[own.pk])).status_code == 200


def test_county_officer_can_change_their_own_countys_permit_holder_but_not_tanghes(api, users, regions):
    from shuiquan.registry.models import WaterUser

    officer = api(users["neixiang_officer"])
    own = WaterUser.objects.filter(region=regions["neixiang"]).order_by("pk").first()
    other = WaterUser.objects.filter(region=regions["tanghe"]).order_by("pk").first()
    r = officer.patch(f"/api/v1/registry/water-users/{own.pk}/", {"contact_name": "内乡联系人"}, format="json")
    assert r.status_code == 200, r.content
    r = officer.patch(f"/api/v1/registry/water-users/{other.pk}/", {"contact_name": "越权"}, format="json")
    assert r.status_code == 404
    other.refresh_from_db()
    assert other.contact_name != "越权"
    # Nor can they create a record in 唐河县.
    r = officer.post("/api/v1/registry/water-users/", {"name": "越权企业", "kind": "enterprise", "region": regions["tanghe"].pk,
                                                         "credit_code": "91411328MA0000000X"}, format="json")
    assert r.status_code in (400, 403), r.content
    assert not WaterUser.objects.filter(name="越权企业").exists()


def _county_lists():
    """Every API list route whose model scopes county officers by a plain lookup."""
    out = []
    for name, route, callback in iter_routes():
        cls = getattr(callback, "cls", None)
        if not name.endswith("-list") or cls is None or getattr(cls, "queryset", None) is None:
            continue
        model = cls.queryset.model
        path = getattr(model, "scope_paths", {}).get(Role.COUNTY_OFFICER)
        if isinstance(path, str) and not getattr(model, "scope_public_read", False):
            out.append((name, model._meta.label, path))
    return out


@pytest.mark.parametrize("name,label,path", _county_lists(), ids=[c[0] for c in _county_lists()])
def test_every_county_scoped_api_list_holds_only_neixiang_rows(api, users, regions, name, label, path):
    model = apps.get_model(label)
    url = reverse(name)
    ids = _ids(api(users["neixiang_officer"]), url)
    assert not model.objects.filter(pk__in=ids).exclude(**{path: regions["neixiang"]}).exists(), f"{url} shows rows of another county"
