"""PDF documents of a trade (reportlab, built-in CID font STSong-Light — no font files; it has no
superscript three, so volumes are written 立方米 / 万立方米).

- ``agreement_pdf``: the trade agreement with every T6 field — volume, term, intake location,
  use, price, default liability, dispute resolution — and the signatures recorded on the platform;
- ``certificate_pdf``: the trade certificate (交易鉴证书), issued at settlement.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_noop
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shuiquan.core.errors import Conflict
from shuiquan.core.units import wan
from shuiquan.registry.choices import WaterUse

from .choices import TradeStatus

FONT = "STSong-Light"
_registered = False


def _font():
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True


def _styles():
    _font()
    return {
        "title": ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=1, spaceAfter=6),
        "sub": ParagraphStyle("sub", fontName=FONT, fontSize=10, leading=14, alignment=1, textColor=colors.grey),
        "h": ParagraphStyle("h", fontName=FONT, fontSize=12, leading=18, spaceBefore=8, spaceAfter=2),
        "p": ParagraphStyle("p", fontName=FONT, fontSize=10.5, leading=16),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=10, leading=14),
    }


def _esc(text) -> str:
    return (str(text) if text is not None else "—").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(rows, st, widths=(42 * mm, 128 * mm)):
    data = [[Paragraph(_esc(k), st["cell"]), Paragraph(_esc(v), st["cell"])] for k, v in rows]
    t = Table(data, colWidths=list(widths))
    t.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f7")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return t


def _volume_text(m3: int) -> str:
    return f"{m3:,} 立方米（{wan(m3)} 万立方米）"


def _term_text(trade) -> str:
    return f"{trade.start_year}年1月1日至{trade.end_year}年12月31日（{trade.term_years}年）"


def _price_text(trade) -> str:
    if trade.unit_price is None:
        return "—"
    return f"{trade.unit_price} 元/立方米，总价款 {trade.total_price:,} 元（{_volume_text(trade.volume_m3)} × {trade.term_years} 年）"


def _use_text(trade) -> str:
    return WaterUse(trade.use).label if trade.use in WaterUse.values else "—"


def _build(story) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
                            title="Shuiquan", author="南阳市水权交易平台")
    doc.build(story)
    return buf.getvalue()


def t6_rows(trade) -> list[tuple[str, str]]:
    """The agreement's T6 fields, as label/value pairs (also shown on the agreement page)."""
    return [
        (gettext_noop("交易水量"), f"每年 {_volume_text(trade.volume_m3)}，合计 {_volume_text(trade.total_volume_m3)}"),
        (gettext_noop("交易期限"), _term_text(trade)),
        (gettext_noop("取水地点"), trade.intake_location or "—"),
        (gettext_noop("取水用途"), _use_text(trade)),
        (gettext_noop("交易价格"), _price_text(trade)),
        (gettext_noop("违约责任"), trade.default_liability or "—"),
        (gettext_noop("争议解决办法"), trade.dispute_resolution or "—"),
    ]


def agreement_pdf(trade) -> bytes:
    if trade.status in (TradeStatus.APPLIED, TradeStatus.CONSULTED, TradeStatus.READY, TradeStatus.LISTED, TradeStatus.AUCTION) or not trade.buyer_ref:
        raise Conflict("no_agreement", "交易尚未成交，没有协议文本", "The trade has no agreement yet")
    st = _styles()
    story = [
        Paragraph(f"{trade.get_trade_type_display()}协议", st["title"]),
        Paragraph(f"协议编号 {_esc(trade.agreement_number)}　交易编号 {_esc(trade.number)}　{_esc(trade.get_mode_display())}", st["sub"]),
        Spacer(1, 6 * mm),
        Paragraph("一、协议双方", st["h"]),
        _table([
            ("转让方（甲方）", trade.seller_name), ("转让方所在行政区", trade.seller_region),
            ("转让方取水许可证", trade.seller_permit.number if trade.seller_permit_id else "—"),
            ("受让方（乙方）", trade.buyer_name), ("受让方所在行政区", trade.buyer_region or "—"),
            ("受让方取水许可证", trade.buyer_permit.number if trade.buyer_permit_id else "—"),
        ], st),
        Paragraph("二、交易内容（《南阳市水权改革方案》§7.2：交易水量、交易期限、取水地点、取水用途、交易价格、违约责任、争议解决办法）", st["h"]),
        _table(t6_rows(trade), st),
        Paragraph("三、水量来源与履约", st["h"]),
        Paragraph(_esc(
            f"转让水量来源：{trade.get_basis_display()}。甲方于交易期限内每年向乙方转让上述水量，水量在南阳市用水权登记簿中按年度由甲方用水权"
            f"（{trade.seller_right.number}）过户至乙方用水权；交易期限届满，双方未办理延续手续的，水权归还甲方。"
            + ("交易期限超过一年，双方应依法办理取水许可变更手续。" if trade.trade_type == "permit" and trade.term_years > 1 else "")
        ), st["p"]),
        Paragraph("四、签署", st["h"]),
        _table([
            ("甲方签约", f"{trade.seller_signed_by or '—'}　{timezone.localtime(trade.seller_signed_at):%Y-%m-%d %H:%M}" if trade.seller_signed_at else "未签署"),
            ("乙方签约", f"{trade.buyer_signed_by or '—'}　{timezone.localtime(trade.buyer_signed_at):%Y-%m-%d %H:%M}" if trade.buyer_signed_at else "未签署"),
            ("鉴证机构", "南阳市水权交易平台（南阳市水利局）"),
        ], st),
        Spacer(1, 4 * mm),
        Paragraph("本协议经双方在南阳市用水权登记与交易平台签署，平台记录的签署时间与操作人为准。", st["sub"]),
    ]
    return _build(story)


def certificate_pdf(trade) -> bytes:
    if not trade.certificate_number or trade.settled_at is None:
        raise Conflict("no_certificate", "交易尚未结算，未出具交易鉴证书", "The trade is not settled: no certificate yet")
    st = _styles()
    rows = [
        ("鉴证书编号", trade.certificate_number), ("交易编号", trade.number), ("交易类型", trade.get_trade_type_display()),
        ("交易方式", trade.get_mode_display()), ("转让方", trade.seller_name), ("受让方", trade.buyer_name),
        ("年交易水量", _volume_text(trade.volume_m3)), ("交易期限", _term_text(trade)), ("取水地点", trade.intake_location),
        ("取水用途", _use_text(trade)), ("成交价格", _price_text(trade)),
        ("交易服务费", f"转让方 {trade.seller_fee or Decimal('0.00'):,} 元；受让方 {trade.buyer_fee or Decimal('0.00'):,} 元"),
        ("交易收益划付", f"{trade.proceeds:,} 元，划付 {trade.proceeds_to}"),
        ("结算时间", f"{timezone.localtime(trade.settled_at):%Y-%m-%d %H:%M}"),
        ("协议编号", trade.agreement_number),
    ]
    if trade.entry_id:
        rows.append(("登记过户", f"分录 {trade.entry.number}，{timezone.localtime(trade.registered_at):%Y-%m-%d %H:%M}"))
    change = trade.permit_changes.filter(kind="trade").first()
    if change is not None:
        rows.append(("取水许可变更", f"批准文号 {change.approval_number}：转让方 {change.seller_permit.number} "
                                f"{change.seller_volume_before_m3:,}→{change.seller_volume_after_m3:,} 立方米；受让方 {change.buyer_permit.number} "
                                f"{change.buyer_volume_before_m3:,}→{change.buyer_volume_after_m3:,} 立方米"))
    if trade.filing_number:
        rows.append(("备案", f"{trade.filed_with} {trade.filing_number}"))
    if trade.province_filing_number:
        rows.append(("报省备案", trade.province_filing_number))
    story = [
        Paragraph("用水权交易鉴证书", st["title"]),
        Paragraph("南阳市用水权登记与交易平台", st["sub"]),
        Spacer(1, 6 * mm),
        Paragraph("经审核，下列用水权交易已按《南阳市水权改革方案》规定的程序在本平台完成交易与资金结算，特此鉴证。", st["p"]),
        Spacer(1, 3 * mm),
        _table(rows, st),
        Spacer(1, 6 * mm),
        Paragraph(f"南阳市水权交易平台　{timezone.localtime(trade.settled_at):%Y年%m月%d日}", st["p"]),
    ]
    return _build(story)
