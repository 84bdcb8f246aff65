"""Certificates: numbering, the PDF (reportlab, STSong-Light) with holder, volume and households, and
the public verification page (no login, no personal data)."""

import io
import re

import pytest
from pypdf import PdfReader

from shuiquan.allocation import certificates, services
from shuiquan.allocation.models import Certificate, CertificateCounter

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def association_cert():
    return Certificate.objects.filter(kind="association", right__association__district__name="打磨岗灌区").order_by("pk").first()


def test_certificates_are_numbered_per_series_and_year_without_gaps():
    for series in ("A", "B"):
        serials = sorted(Certificate.objects.filter(series=series, year=2026).values_list("serial", flat=True))
        assert serials == list(range(1, len(serials) + 1))
        counter = CertificateCounter.objects.get(series=series, year=2026)
        assert counter.last == serials[-1]
    cert = Certificate.objects.get(series="A", year=2026, serial=1)
    assert cert.number == "南阳水权证〔2026〕第000001号" and cert.machine_number == "NY2026A0000001"
    assert Certificate.objects.filter(series="B").first().number.startswith("南阳用水权属凭证〔2026〕第")
    assert re.fullmatch(r"[0-9A-Z_\-]{8}", cert.check_code)


def test_certificate_pdf_opens_and_contains_holder_volume_and_households(association_cert, page, users):
    client = page(users["damogang_manager"])
    response = client.get(f"/allocation/certificates/{association_cert.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert association_cert.right.holder_name in text
    assert f"{association_cert.volume_m3:,} 立方米" in text
    assert "用水权属凭证" in text and association_cert.number in text
    households = association_cert.right.association.households.all()
    for h in households:
        assert h.code in text and h.name in text
    assert sum(c.volume_m3 for c in association_cert.line.children.all()) == association_cert.volume_m3
    assert f"{association_cert.volume_m3:,}" in text.split("合计")[-1]  # the households' total row
    assert "演示数据" in text
    assert association_cert.check_code in text


def test_water_right_certificate_pdf_for_a_county(page, city_admin):
    cert = Certificate.objects.get(right__kind="regional", right__holder_region__code="411325")
    text = pdf_text(page(city_admin).get(f"/allocation/certificates/{cert.pk}/pdf/").content)
    assert "内乡县人民政府" in text and "140,110,000 立方米" in text and "水 权 证" in text


def test_certificates_are_scoped(association_cert, page, users):
    assert page(users["hushan_manager"]).get(f"/allocation/certificates/{association_cert.pk}/pdf/").status_code == 404
    assert page(users["tanghe_officer"]).get(f"/allocation/certificates/{association_cert.pk}/").status_code == 404
    assert page(users["neixiang_officer"]).get(f"/allocation/certificates/{association_cert.pk}/").status_code == 200
    assert page(None).get(f"/allocation/certificates/{association_cert.pk}/pdf/").status_code == 302  # to the login page


def test_verification_page_works_without_login_and_shows_no_personal_data(association_cert, page):
    response = page(None).get(f"/allocation/verify/{association_cert.token}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert association_cert.number in html and association_cert.right.holder_name in html
    assert f"{association_cert.volume_m3:,}" in html and "凭证有效" in html
    assert str(association_cert.valid_from) in html and str(association_cert.valid_to) in html
    for h in association_cert.right.association.households.all():
        assert h.name not in html and h.id_number not in html and h.phone not in html


def test_household_certificate_is_verified_by_its_code_only(page):
    cert = Certificate.objects.filter(kind="household").first()
    household = cert.right.household
    html = page(None).get(f"/allocation/verify/{cert.token}/").content.decode()
    assert household.code in html and cert.holder_public == household.code
    assert household.name not in html and household.id_number not in html
    api = page(None).get(f"/api/v1/allocation/verify/{cert.token}/").json()
    assert api["holder"] == household.code and api["valid"] is True and household.name not in str(api)


def test_unknown_token_and_lookup_by_number_and_check_code(association_cert, page):
    client = page(None)
    assert client.get("/allocation/verify/no-such-token/").status_code == 404
    found = client.get("/allocation/verify/", {"number": association_cert.number, "code": association_cert.check_code})
    assert found.status_code == 302 and found["Location"].endswith(f"/verify/{association_cert.token}/")
    wrong = client.get("/allocation/verify/", {"number": association_cert.number, "code": "WRONGCOD"})
    assert wrong.status_code == 404


def test_revoked_runs_revoke_their_certificates_and_the_page_says_so(city_admin, page):
    run = services.latest_run("river")
    cert = run.certificates.first()
    services.revoke_run(run, actor=city_admin, reason="来水频率更正")
    cert.refresh_from_db()
    assert cert.status == "revoked"
    html = page(None).get(f"/allocation/verify/{cert.token}/").content.decode()
    assert "凭证无效" in html


def test_verification_url_uses_the_public_base_url_parameter(association_cert, city_admin):
    from shuiquan.core import config

    config.set_value("allocation.public_base_url", "https://shuiquan.example.gov.cn/", actor=city_admin)
    assert certificates.verification_url(association_cert) == f"https://shuiquan.example.gov.cn/allocation/verify/{association_cert.token}/"
