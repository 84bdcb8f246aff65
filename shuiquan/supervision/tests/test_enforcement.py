"""S6 enforcement driven by supervision through trading's restrictions; S3 on-site checks; post-trade evaluation; monitoring."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuiquan.core.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from shuiquan.ledger.models import VolumeLock
from shuiquan.registry.models import Region
from shuiquan.supervision import monitoring, services
from shuiquan.supervision.models import Enforcement, SiteInspection, TradeEvaluation
from shuiquan.trading import services as trading
from shuiquan.trading.models import Listing, Trade, TradingRestriction
from shuiquan.trading.tests.builders import permit_of
from shuiquan.trading.tests.test_permit_trade import _saving, permit_trade

pytestmark = pytest.mark.django_db


def _snapshot():
    return (Trade.objects.count(), Listing.objects.count(), VolumeLock.objects.filter(status="active").count())


def test_S6_halted_party_cannot_list_until_the_restriction_is_lifted(users, rights):
    """The city bureau finds 内乡永安药业 failed the strict water-management assessment and halts its
    trading: its new listing is refused with rule S6 and the reason, and nothing is written; once
    lifted (recorded and audited), the same listing goes through."""
    admin, holder = users["city_admin"], users["permit_holder"]
    seller_permit = permit_of("permit_holder")
    saving = _saving(users, seller_permit, 100_000, 2026, 2026)
    enforcement = services.impose_enforcement(actor=admin, ground="strict_assessment", kind="halt", water_user=seller_permit.holder,
                                              reason="2025年度最严格水资源管理考核不合格", assessment_year=2025,
                                              finding="取水计量设施未按要求运行，考核不合格")
    assert enforcement.number.startswith("南阳水权约束〔") and enforcement.restriction.is_active
    before = _snapshot()
    with pytest.raises(RuleViolation) as exc:
        trading.apply_trade(actor=holder, trade_type="permit", seller_right=rights["permits"][seller_permit.pk], volume_m3=100_000,
                            start_year=2026, end_year=2026, savings=saving, mode="listing")
    assert exc.value.rule == "S6" and exc.value.code == "s6_trading_halted"
    assert "考核不合格" in exc.value.message
    assert _snapshot() == before
    with pytest.raises(Forbidden):
        services.lift_enforcement(enforcement, actor=users["neixiang_officer"], reason="已整改")
    services.lift_enforcement(enforcement, actor=admin, reason="整改到位，复核合格", evidence="2026年3月复核：计量设施在线运行")
    enforcement.refresh_from_db()
    assert enforcement.restriction.lifted_at is not None and enforcement.lift_evidence.startswith("2026年3月")
    assert enforcement.restriction.lift_reason == "整改到位，复核合格"
    with pytest.raises(Conflict):
        services.lift_enforcement(enforcement, actor=admin, reason="再次")
    trade = trading.apply_trade(actor=holder, trade_type="permit", seller_right=rights["permits"][seller_permit.pk], volume_m3=100_000,
                                start_year=2026, end_year=2026, savings=saving, mode="listing")
    trading.verify_trade(actor=users["neixiang_officer"], trade=trade, note="属实", works_manager_opinion="同意")
    listing = trading.publish_listing(actor=holder, trade=trade, listed_price="1.00")
    assert listing.number


def test_S6_region_cut_from_the_assessment_freezes_its_numbers(users, rights):
    """A county that missed its groundwater-reduction target gets a 50% cut; the decision keeps the
    assessment numbers of the year (邓州市 2021: 7.01亿 used against 6.6115亿 → red)."""
    dengzhou = Region.objects.get(code="411381")
    candidates = {c["region"].name for c in services.enforcement_candidates(2021)}
    assert "邓州市" in candidates
    e = services.impose_enforcement(actor=users["city_admin"], ground="groundwater_reduction", kind="cut", cut_pct="50", region=dengzhou,
                                    reason="地下水压采未达标", assessment_year=2021)
    assert e.restriction.cut_pct == Decimal("50.00")
    assert e.figures["status"] == "red" and e.figures["assessed_m3"] == 701_000_000 + e.figures["sold_m3"] - e.figures["bought_m3"]
    assert "邓州市" not in {c["region"].name for c in services.enforcement_candidates(2021)}
    n = TradingRestriction.objects.count()
    with pytest.raises(ValidationFailed):
        services.impose_enforcement(actor=users["city_admin"], ground="groundwater_reduction", kind="cut", cut_pct="0", region=dengzhou,
                                    reason="x")
    with pytest.raises(Forbidden):
        services.impose_enforcement(actor=users["auditor"], ground="strict_assessment", kind="halt", region=dengzhou, reason="x")
    assert TradingRestriction.objects.count() == n and Enforcement.objects.count() == 1


def test_S3_site_inspection_needs_both_findings_to_pass_and_keeps_photos(users, rights):
    trade, _, _ = permit_trade(users, rights)
    county = users["neixiang_officer"]
    n = SiteInspection.objects.count()
    with pytest.raises(ValidationFailed):
        services.record_inspection(actor=county, trade=trade, inspected_on=dt.date(2026, 3, 1), inspectors="张工、李工", location="厂区取水口",
                                   conclusion="passed", saving_measures_ok=True, metering_ok=False)
    with pytest.raises(Forbidden):
        services.record_inspection(actor=users["hushan_manager"], trade=trade, inspected_on=dt.date(2026, 3, 1), inspectors="x",
                                   location="y", conclusion="rectify")
    assert SiteInspection.objects.count() == n
    row = services.record_inspection(actor=county, trade=trade, inspected_on=dt.date(2026, 3, 1), inspectors="县水利局 张工、李工",
                                     location="内乡永安药业取水口", conclusion="passed", saving_measures_ok=True, metering_ok=True,
                                     saving_measures_note="冷却水循环系统运行正常", metering_note="在线计量设施 NY00001 读数正常")
    png = SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    att = services.attach(actor=county, obj=row, upload=png)
    assert att.kind == "png" and services.attachments(row).count() == 1
    with pytest.raises(ValidationFailed):
        services.attach(actor=county, obj=row, upload=SimpleUploadedFile("x.exe", b"MZ" + b"0" * 10))


def test_post_trade_evaluation_only_after_performance_and_monitoring(users, rights):
    trade, _, _ = permit_trade(users, rights)
    admin = users["city_admin"]
    kwargs = dict(evaluated_on=dt.date(2026, 3, 2), evaluators="市水利局 评估组", volume_truthful=True, procedure_compliant=True,
                  price_reasonable=True, funds_safe=True, rating="good")
    with pytest.raises(Conflict):  # settled, not yet registered
        services.record_evaluation(actor=admin, trade=trade, **kwargs)
    trading.register(actor=users["neixiang_officer"], trade=trade, approval_number="内水许变〔2026〕9号")
    trade.refresh_from_db()
    ev = services.record_evaluation(actor=admin, trade=trade, **kwargs)
    assert ev.facts["trade"] == trade.number and ev.facts["funds_issues"] == []
    assert ev.status == "draft"
    services.finalize_evaluation(ev, actor=admin)
    assert TradeEvaluation.objects.get(pk=ev.pk).status == "final"
    rows = {m.trade.pk: m for m in monitoring.monitor(2026)}
    m = rows[trade.pk]
    assert m.seller.right_m3 is not None and m.buyer.right_m3 is not None
    assert m.as_dict()["trade"] == trade.number
