"""Certificates (水权证 / 用水权属凭证): numbering, issuance, the PDF and public verification.

Numbering: two series, each counting per calendar year of issue —
``A`` 水权证 (regions, SNWD receiving areas, permit holders, districts):
``南阳水权证〔2026〕第000123号``, machine number ``NY2026A0000123``;
``B`` 用水权属凭证 (associations and households, §7.1.3):
``南阳用水权属凭证〔2026〕第000045号``, machine number ``NY2026B0000045``.
The next serials are taken under a row lock on the series' counter, so two issuers never share a
number. Each certificate also gets a random verification token: the QR code on the PDF points to
``/allocation/verify/<token>/``, a public page that shows the number, holder (a household only by
its de-identified code), volume, validity and status.
"""

from __future__ import annotations

import io
import secrets

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from shuiquan.core import audit
from shuiquan.core.units import wan
from shuiquan.ledger import services as ledger
from shuiquan.registry import models as reg

from . import params, policy
from .choices import CertificateKind, CertificateStatus, Engine, LineRole
from .models import AllocationLine, Certificate, CertificateCounter

SERIES = {CertificateKind.WATER_RIGHT: "A", CertificateKind.ASSOCIATION: "B", CertificateKind.HOUSEHOLD: "B"}
SERIES_TITLE = {"A": "南阳水权证", "B": "南阳用水权属凭证"}
TITLE = {CertificateKind.WATER_RIGHT: "水 权 证", CertificateKind.ASSOCIATION: "用水权属凭证", CertificateKind.HOUSEHOLD: "用水权属凭证"}


def take_serials(series: str, year: int, count: int) -> int:
    """Reserve ``count`` consecutive serials of ``series`` in ``year``; return the first."""
    counter = CertificateCounter.objects.select_for_update().filter(series=series, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                CertificateCounter.objects.create(series=series, year=year, last=0)
        except IntegrityError:
            pass
        counter = CertificateCounter.objects.select_for_update().get(series=series, year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return first


def number_for(series: str, year: int, serial: int) -> tuple[str, str]:
    return f"{SERIES_TITLE[series]}〔{year}〕第{serial:06d}号", f"NY{year}{series}{serial:07d}"


def kind_of(line: AllocationLine) -> str:
    if line.household_id:
        return CertificateKind.HOUSEHOLD
    if line.association_id:
        return CertificateKind.ASSOCIATION
    return CertificateKind.WATER_RIGHT


def issuer_of(run) -> str:
    if run.engine == Engine.IRRIGATION:
        unit = (reg.WaterUser.objects.filter(kind="irrigation_unit", permits__irrigation_district=run.irrigation_district)
                .order_by("pk").first())
        return unit.name if unit else f"{run.irrigation_district.name}管理单位"
    if run.engine == Engine.PERMIT:
        return run.permit.approving_authority.name
    return policy.CITY_BUREAU


def issue_for_run(run, actor) -> list[Certificate]:
    """Number and record a certificate for every right the run registered (not for the river's
    ecological reserve or for issuance accounts)."""
    lines = list(run.lines.filter(role=LineRole.RIGHT, right__isnull=False).select_related("right", "household", "right__region")
                 .order_by("seq"))
    now = timezone.now()
    year = timezone.localdate().year
    by_series: dict[str, list[AllocationLine]] = {}
    for line in lines:
        by_series.setdefault(SERIES[kind_of(line)], []).append(line)
    certs = []
    issuer = issuer_of(run)
    for series in sorted(by_series):
        group = by_series[series]
        first = take_serials(series, year, len(group))
        for offset, line in enumerate(group):
            number, machine = number_for(series, year, first + offset)
            right = line.right
            certs.append(Certificate(
                number=number, machine_number=machine, series=series, year=year, serial=first + offset, kind=kind_of(line),
                right=right, run=run, line=line, region=right.region,
                holder_public=line.household.code if line.household_id else right.holder_name,
                volume_m3=right.annual_volume_m3, valid_from=right.valid_from, valid_to=right.valid_to,
                issuer=issuer, issued_by=actor, issued_at=now, token=secrets.token_urlsafe(18), is_demo=run.is_demo,
            ))
    Certificate.objects.bulk_create(certs, batch_size=1000)
    ledger.set_certificate_numbers([(c.right, c.number) for c in certs], actor=actor, message=f"{run.number} 发放凭证")
    if certs:
        audit.record(actor=actor, action="certificates_issue", obj=run,
                     after={"count": len(certs), "first": certs[0].number, "last": certs[-1].number}, message=issuer)
    return certs


def verification_path(cert: Certificate) -> str:
    return reverse("allocation:verify_certificate", args=[cert.token])


def verification_url(cert: Certificate, request=None) -> str:
    base = (params.PUBLIC_BASE_URL.value or "").rstrip("/")
    path = verification_path(cert)
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------

_FONT = "STSong-Light"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))


def _qr(url: str, size: float):
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def household_rows(cert: Certificate) -> list[tuple]:
    """For an association certificate: its households with planted areas and volumes (§7.1.3)."""
    if cert.kind != CertificateKind.ASSOCIATION or cert.line_id is None:
        return []
    rows = []
    for child in cert.line.children.select_related("household").order_by("seq"):
        h = child.household
        rows.append((h.code, h.name, h.planted_area_mu, child.volume_m3))
    return rows


def render_pdf(cert: Certificate, url: str) -> bytes:
    """The certificate as a PDF (A4, reportlab's STSong-Light CID font, QR code to ``url``)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    right = cert.right
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
                            title=f"{cert.number}", author=cert.issuer, subject="用水权属凭证", creator="水权 Shuiquan")
    title = ParagraphStyle("t", fontName=_FONT, fontSize=24, leading=30, alignment=TA_CENTER)
    sub = ParagraphStyle("s", fontName=_FONT, fontSize=11, leading=15, alignment=TA_CENTER)
    body = ParagraphStyle("b", fontName=_FONT, fontSize=10.5, leading=15)
    small = ParagraphStyle("sm", fontName=_FONT, fontSize=8.5, leading=11)
    story = [Paragraph(TITLE[cert.kind], title), Spacer(1, 3 * mm), Paragraph(cert.number, sub)]
    if cert.is_demo:
        story.append(Paragraph("（演示数据，非真实登记）", sub))
    story.append(Spacer(1, 5 * mm))
    holder = right.holder_name
    if cert.kind == CertificateKind.HOUSEHOLD and right.household_id:
        holder = f"{right.household.name}（用水户编码 {right.household.code}，{right.household.association.name}）"
    years = f"{right.valid_from:%Y年%m月%d日} 至 {right.valid_to:%Y年%m月%d日}"
    fields = [
        ("权利人", holder),
        ("用水权编号", right.number),
        ("用水权类型", right.get_kind_display()),
        ("水源", right.source.name if right.source_id else right.get_source_type_display()),
        ("用途", right.get_use_display()),
        ("年度水量", f"{cert.volume_m3:,} 立方米（{wan(cert.volume_m3)} 万立方米）"),
        ("有效期", years),
        ("权属依据", right.legal_basis or cert.run.legal_basis),
        ("登记编号", cert.run.number),
        ("发证单位", cert.issuer),
        ("发证日期", f"{timezone.localtime(cert.issued_at):%Y年%m月%d日}"),
        ("状态", cert.get_status_display()),
    ]
    qr = _qr(url, 34 * mm)
    table = Table([[Paragraph(k, body), Paragraph(str(v), body)] for k, v in fields], colWidths=[28 * mm, 108 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f7"))]))
    qr_cell = Table([[qr], [Paragraph(f"扫码核验<br/>核验码 {cert.check_code}", small)]], colWidths=[38 * mm])
    qr_cell.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    story.append(Table([[table, qr_cell]], colWidths=[138 * mm, 38 * mm], style=[("VALIGN", (0, 0), (-1, -1), "TOP")]))
    rows = household_rows(cert)
    if rows:
        story += [Spacer(1, 6 * mm), Paragraph(f"本协会农民用水户及其种植面积、分配水量（共 {len(rows)} 户）", body), Spacer(1, 2 * mm)]
        data = [["序号", "用水户编码", "户主", "种植面积（亩）", "分配水量（立方米/年）"]]
        for i, (code, name, area, vol) in enumerate(rows, start=1):
            data.append([str(i), code, name, f"{area:,.2f}", f"{vol:,}"])
        total_area = sum(r[2] for r in rows)
        total_vol = sum(r[3] for r in rows)
        data.append(["", "合计", "", f"{total_area:,.2f}", f"{total_vol:,}"])
        ht = Table(data, colWidths=[14 * mm, 38 * mm, 34 * mm, 38 * mm, 48 * mm], repeatRows=1)
        ht.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), _FONT, 9.5), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")), ("ALIGN", (3, 1), (-1, -1), "RIGHT")]))
        story.append(ht)
    story += [Spacer(1, 6 * mm), Paragraph(
        "说明：本凭证依据《南阳市水权改革方案》初始水权分配与登记核发。水量单位为立方米，按年度核定；"
        "交易、质押等变动以平台登记簿为准，可扫描二维码或登录平台按凭证编号与核验码核验。", small)]
    doc.build(story)
    return buf.getvalue()


def find_for_verification(token: str | None = None, number: str | None = None, check_code: str | None = None) -> Certificate | None:
    """The certificate for a QR token, or for a number with its printed check code."""
    qs = Certificate.objects.select_related("right", "run")
    if token:
        return qs.filter(token=token).first()
    if number and check_code:
        cert = qs.filter(number=number.strip()).first() or qs.filter(machine_number=number.strip().upper()).first()
        if cert and secrets.compare_digest(cert.check_code, check_code.strip().upper()):
            return cert
    return None


def public_view(cert: Certificate) -> dict:
    """What the public verification page may show: no personal data."""
    right = cert.right
    status_ok = cert.status == CertificateStatus.VALID and right.status == "active"
    return {
        "number": cert.number, "machine_number": cert.machine_number, "kind": cert.get_kind_display(),
        "holder": cert.holder_public, "volume_m3": cert.volume_m3, "valid_from": cert.valid_from, "valid_to": cert.valid_to,
        "status": cert.get_status_display(), "right_status": right.get_status_display(), "valid": status_ok,
        "issuer": cert.issuer, "issued_at": cert.issued_at, "right_number": right.number, "is_demo": cert.is_demo,
    }
