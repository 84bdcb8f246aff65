"""Public pages contain no personal data: a crawl of every public page (and the public API, and
a sample of detail pages: certificate verification of households, notices, policies, trading's
public pages) asserts that no household name, ID number or phone, no individual water user's
name, and no legal representative, contact name or phone of any water user appears anywhere."""

import re
from html import unescape
from urllib.parse import urljoin, urlparse

import pytest

from shuiquan.allocation.models import Certificate
from shuiquan.registry import models as reg
from shuiquan.supervision.models import Complaint

pytestmark = pytest.mark.django_db

START = ["/public/", "/public/rights/", "/public/market/", "/public/verify/", "/public/supply-demand/", "/public/policies/",
         "/public/complaints/new/", "/public/complaints/status/"]
API = ["/api/v1/public/figures/", "/api/v1/public/rights/", "/api/v1/public/notices/", "/api/v1/public/policies/"]
PUBLIC_PREFIXES = ("/public/", "/allocation/verify/", "/trading/public/", "/api/v1/public/")
SKIP = ("/public/manage/",)
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")


def _public_terms() -> str:
    """Names of places and organisations the portal legitimately shows; a two-character household
    name that happens to occur inside one of them (e.g. surname 高 + given name 新 in 高新区) is
    not evidence of a leak, so such names are left out of the check."""
    parts = []
    for model, field in ((reg.Region, "name"), (reg.IrrigationDistrict, "name"), (reg.Association, "name"), (reg.River, "name"),
                         (reg.Reservoir, "name"), (reg.WaterSource, "name"), (reg.Basin, "name"), (reg.WaterUser, "name")):
        parts += list(model.objects.values_list(field, flat=True))
    return "|".join(parts)


def secrets() -> set[str]:
    out: set[str] = set()
    for name, id_number, phone in reg.Household.objects.values_list("name", "id_number", "phone"):
        out.update(v for v in (name, id_number, phone) if v)
    for w in reg.WaterUser.objects.all():
        out.update(v for v in (w.legal_representative, w.contact_name, w.contact_phone) if v)
        if w.kind == "individual":
            out.add(w.name)
    for c in Complaint.objects.all():
        out.update(v for v in (c.complainant_name, c.complainant_contact) if v)
    terms = _public_terms()
    return {s for s in out if len(s) >= 2 and s not in terms}


def crawl(client, limit: int = 400) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = list(START)
    for cert in Certificate.objects.filter(kind="household").order_by("pk")[:5]:
        queue.append(f"/allocation/verify/{cert.token}/")
    for cert in Certificate.objects.exclude(kind="household").order_by("pk")[:3]:
        queue.append(f"/allocation/verify/{cert.token}/")
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = urlparse(url).path
        if url in seen or not path.startswith(PUBLIC_PREFIXES) or path.startswith(SKIP):
            continue
        r = client.get(url)
        if r.status_code in (301, 302):
            queue.append(r["Location"])
            continue
        if r.status_code != 200 or "html" not in r.get("Content-Type", ""):
            seen[url] = ""
            continue
        body = unescape(r.content.decode())
        seen[url] = body
        for href in re.findall(r'href="([^"#]+)"', body):
            nxt = urljoin(url, href)
            if urlparse(nxt).path.startswith(PUBLIC_PREFIXES) and nxt not in seen:
                queue.append(nxt)
    return seen


def test_public_pages_contain_no_household_names_or_id_numbers(page, api, users):
    from shuiquan.supervision import services as supervision

    supervision.submit_public_complaint(address="10.0.0.1", kind="complaint", topic="other", subject="隐私测试", content="内容",
                                        complainant_name="欧阳测试人", complainant_contact="13712345678")
    hidden = secrets()
    assert reg.Household.objects.exists() and len(hidden) > 50
    pages = crawl(page(None))
    assert len([u for u, b in pages.items() if b]) >= len(START) + 3
    for url in API:
        r = api(None).get(url)
        assert r.status_code == 200
        pages[url] = r.content.decode()
    for url, body in pages.items():
        leaked = [s for s in hidden if s in body]
        assert not leaked, f"{url} shows personal data: {leaked[:5]}"
        assert not PHONE.search(re.sub(r"<[^>]+>", " ", body)), f"{url} shows a phone number"
        assert not ID_NUMBER.search(body), f"{url} shows an ID number"


def test_the_crawl_would_catch_a_leak(page, users):
    """The check itself works: a notice whose text names a household is found by the crawl."""
    import datetime as dt

    from django.utils import timezone

    from shuiquan.portal import services

    hidden = secrets()
    name = next(h.name for h in reg.Household.objects.order_by("pk") if h.name in hidden)
    rep = users["association_rep"]
    n = services.post_notice(actor=rep, kind="offer", association=rep.association, year=2026, volume_m3=100,
                             valid_until=timezone.localdate() + dt.timedelta(days=5), contact_via="经协会联系", description="出让")
    services.review_notice(n, actor=users["damogang_manager"], publish=True)
    type(n).objects.filter(pk=n.pk).update(description=f"户主{name}出让")  # bypassing the service's own check
    pages = crawl(page(None))
    assert any(name in body for body in pages.values())
