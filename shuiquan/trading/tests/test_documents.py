"""Documents: the agreement PDF carries every T6 field; the certificate exists only after settlement."""

import io

import pytest
from pypdf import PdfReader

from shuiquan.core.errors import Conflict
from shuiquan.trading import documents, services

from .test_permit_trade import permit_trade

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "").replace("\n", "")


def test_agreement_pdf_states_all_T6_fields_and_certificate_follows_settlement(users, rights):
    trade, _sp, _bp = permit_trade(users, rights)
    text = _text(documents.agreement_pdf(trade))
    for label in ("交易水量", "交易期限", "取水地点", "取水用途", "交易价格", "违约责任", "争议解决办法"):
        assert label in text, label
    assert "500,000立方米" in text and "2026年1月1日至2028年12月31日" in text and "1.2000元/立方米" in text
    assert "1,800,000.00元" in text and "南阳仲裁委员会" in text and trade.intake_location.replace(" ", "") in text
    cert = _text(documents.certificate_pdf(trade))
    assert "用水权交易鉴证书" in cert and trade.certificate_number in cert and "1,791,000.00元" in cert


def test_no_agreement_before_a_buyer_and_no_certificate_before_settlement(users, rights):
    from .builders import permit_of

    sp = permit_of("permit_holder")
    saving = services.submit_savings(actor=users["permit_holder"], permit=sp, source_kind="works", description="x", claimed_m3=1000,
                                     first_year=2026, last_year=2026, evidence="y")
    trade = services.apply_trade(actor=users["permit_holder"], trade_type="permit", seller_right=rights["permits"][sp.pk], volume_m3=1000,
                                 start_year=2026, end_year=2026, mode="listing", savings=saving)
    with pytest.raises(Conflict):
        documents.agreement_pdf(trade)
    with pytest.raises(Conflict):
        documents.certificate_pdf(trade)
