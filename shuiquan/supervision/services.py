"""Supervision services: every state change of the supervision capability.

Each runs in one transaction, locks what it changes, checks the rules and the actor's role,
writes, and appends the audit record; a refusal raises a ``core.errors`` domain error and writes
nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shuiquan.core import audit, config
from shuiquan.core.errors import Conflict, Forbidden, ValidationFailed, field_errors
from shuiquan.core.roles import Role
from shuiquan.core.scoping import require_role
from shuiquan.registry.choices import StatisticKind, WaterUse
from shuiquan.registry.models import Region, WaterUseStatistic

from .choices import ComplaintChannel, ComplaintKind, ComplaintStatus, ComplaintTopic
from .models import AssessmentFigures, Complaint, ComplaintEvent

REPORTED_SECTION = "统计上报"
SEED_SECTION = "表1-2"
SECTOR_FIELDS = {"domestic_m3": WaterUse.DOMESTIC, "industrial_m3": WaterUse.INDUSTRIAL, "agricultural_m3": WaterUse.AGRICULTURAL,
                 "ecological_m3": WaterUse.ECOLOGICAL}


# ---------------------------------------------------------------------------------------------
# Assessment inputs (the city bureau)
# ---------------------------------------------------------------------------------------------

FIGURE_FIELDS = ("gdp_100m_yuan", "industrial_va_100m_yuan", "irrigation_coefficient", "nonconventional_use_m3",
                 "groundwater_withdrawal_m3", "basis")


def _check_year(year) -> int:
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise ValidationFailed("invalid_year", "年度无效", "Invalid year", detail={"fields": {"year": ["2000–2100"]}})
    return year


def _volume(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, (bool, float)):
        raise field_errors({name: "须为整数立方米"})
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().replace(",", "")
        if not text.lstrip("-").isdigit():
            raise field_errors({name: "须为整数立方米"})
        number = int(text)
    if number < 0:
        raise field_errors({name: "不能为负"})
    return number


@transaction.atomic
def record_figures(*, actor, region: Region, year: int, is_demo: bool = False, **values) -> AssessmentFigures:
    """Enter or correct a region's economic and water figures for a year (the city bureau)."""
    require_role(actor, message="考核基础数据由市水利局录入", message_en="Only the city water bureau enters assessment figures")
    year = _check_year(year)
    unknown = set(values) - set(FIGURE_FIELDS)
    if unknown:
        raise ValidationFailed("unknown_field", f"未知字段：{sorted(unknown)}", f"Unknown fields: {sorted(unknown)}")
    clean: dict = {}
    errors: dict = {}
    for name in ("gdp_100m_yuan", "industrial_va_100m_yuan", "irrigation_coefficient"):
        raw = values.get(name)
        if raw in (None, ""):
            clean[name] = None
            continue
        if isinstance(raw, float):
            errors[name] = "须为十进制数（不接受浮点数）"
            continue
        try:
            clean[name] = Decimal(str(raw))
        except InvalidOperation:
            errors[name] = "须为数字"
            continue
        if not clean[name].is_finite():
            errors[name] = "须为数字"
    for name in ("nonconventional_use_m3", "groundwater_withdrawal_m3"):
        try:
            clean[name] = _volume(values.get(name), name)
        except ValidationFailed as exc:
            errors.update({k: v for k, v in exc.detail["fields"].items()})
    clean["basis"] = (values.get("basis") or "")[:200]
    if errors:
        raise field_errors(errors)
    for name in ("gdp_100m_yuan", "industrial_va_100m_yuan"):
        if clean[name] is not None and clean[name] <= 0:
            errors[name] = "应大于0"
    coef = clean["irrigation_coefficient"]
    if coef is not None and not (Decimal("0.300") <= coef <= Decimal("1.000")):
        errors["irrigation_coefficient"] = "应在0.300至1.000之间"
    if clean["gdp_100m_yuan"] and clean["industrial_va_100m_yuan"] and clean["industrial_va_100m_yuan"] > clean["gdp_100m_yuan"]:
        errors["industrial_va_100m_yuan"] = "工业增加值不能大于地区生产总值"
    if errors:
        raise field_errors(errors)
    for name in ("gdp_100m_yuan", "industrial_va_100m_yuan"):
        if clean[name] is not None:
            clean[name] = clean[name].quantize(Decimal("0.01"))
    if coef is not None:
        clean["irrigation_coefficient"] = coef.quantize(Decimal("0.001"))
    row = AssessmentFigures.objects.select_for_update().filter(region=region, year=year).first()
    before = audit.snapshot(row) if row else None
    if row is None:
        row = AssessmentFigures(region=region, year=year, is_demo=is_demo)
    for name, value in clean.items():
        setattr(row, name, value)
    row.entered_by = actor
    row.full_clean()
    row.save()
    audit.record(actor=actor, action="update" if before else "create", obj=row, before=before, after=audit.snapshot(row))
    return row


@transaction.atomic
def record_reported_use(*, actor, region: Region, year: int, total_m3=None, is_demo: bool = False, **sectors) -> list[WaterUseStatistic]:
    """Enter a region's reported water use for a year: total and/or by sector (生活/工业/农业/生态).

    The total is the sum of the sectors when all four are given (a given total must equal it);
    Table 1-2's figures (2017–2021 totals, loaded from the seed) cannot be overwritten."""
    require_role(actor, message="统计用水量由市水利局录入", message_en="Only the city water bureau enters reported water use")
    year = _check_year(year)
    unknown = set(sectors) - set(SECTOR_FIELDS)
    if unknown:
        raise ValidationFailed("unknown_field", f"未知字段：{sorted(unknown)}", f"Unknown fields: {sorted(unknown)}")
    errors: dict = {}
    values: dict[str, int | None] = {}
    for name in list(SECTOR_FIELDS) + ["total_m3"]:
        try:
            values[name] = _volume(total_m3 if name == "total_m3" else sectors.get(name), name)
        except ValidationFailed as exc:
            errors.update(exc.detail["fields"])
    if errors:
        raise field_errors(errors)
    parts = [values[n] for n in SECTOR_FIELDS]
    total = values["total_m3"]
    if all(p is not None for p in parts):
        summed = sum(parts)
        if total is not None and total != summed:
            raise field_errors({"total_m3": f"总用水量 {total:,} 立方米不等于分行业之和 {summed:,} 立方米"})
        total = summed
    if total is None and all(p is None for p in parts):
        raise field_errors({"total_m3": "请至少填写总用水量或一个行业的用水量"})
    if total is not None and any(p is not None and p > total for p in parts):
        raise field_errors({"total_m3": "分行业用水量不能大于总用水量"})
    if region.kind not in ("city", "district", "county", "county_city"):
        raise field_errors({"region": "只能录入市或县（市、区）的统计用水量"})
    out = []
    wanted = [("", total)] + [(SECTOR_FIELDS[n], values[n]) for n in SECTOR_FIELDS]
    for use, volume in wanted:
        if volume is None:
            continue
        row = WaterUseStatistic.objects.select_for_update().filter(region=region, year=year, use=use, kind=StatisticKind.ROW).first()
        if row is not None and row.source_section == SEED_SECTION:
            if row.volume_m3 == volume:
                continue
            raise Conflict("seed_figure", f"{region}{year}年用水量来自种子文件表1-2，不能修改",
                           f"{region} {year} use comes from the seed's Table 1-2 and cannot be changed")
        before = audit.snapshot(row) if row else None
        if row is None:
            row = WaterUseStatistic(region=region, year=year, use=use, kind=StatisticKind.ROW)
        row.volume_m3 = volume
        row.source_section = REPORTED_SECTION
        row.save()
        audit.record(actor=actor, action="update" if before else "create", obj=row, before=before, after=audit.snapshot(row),
                     message=f"统计用水量 {year}", region_code=region.code or "")
        out.append(row)
    return out


# ---------------------------------------------------------------------------------------------
# Complaints and disputes (争议和投诉): submitted → accepted → investigating → resolved / dismissed
# ---------------------------------------------------------------------------------------------


def source_hash(address: str | None) -> str:
    """A keyed digest of the submitter's address: enough to rate-limit, useless to identify."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|complaint|{address or '-'}".encode()).hexdigest()


def _next_number(year: int) -> str:
    prefix = f"南阳水权投诉〔{year}〕"
    last = Complaint.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    serial = int(last[len(prefix):len(prefix) + 5]) + 1 if last else 1
    return f"{prefix}{serial:05d}号"


def _clean_text(value: str, name: str, limit: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise field_errors({name: "必填"})
    if len(text) > limit:
        raise field_errors({name: f"不能超过 {limit} 字"})
    return text


def _create(*, actor, channel: str, kind: str, topic: str, subject: str, content: str, region=None, trade_number: str = "",
            complainant_name: str = "", complainant_contact: str = "", address: str | None = None, is_demo: bool = False) -> Complaint:
    limit = int(config.get("supervision.complaint_max_chars"))
    if kind not in ComplaintKind.values:
        raise field_errors({"kind": "无效的类别"})
    if topic not in ComplaintTopic.values:
        raise field_errors({"topic": "无效的事项"})
    subject = _clean_text(subject, "subject", 200)
    content = _clean_text(content, "content", limit)
    if Complaint.objects.exists():
        # Serialize numbering (PostgreSQL: lock the newest row; SQLite's immediate transactions serialize writers).
        Complaint.objects.select_for_update().order_by("-pk").values_list("pk", flat=True).first()
    now = timezone.now()
    row = Complaint(
        number=_next_number(timezone.localtime(now).year), kind=kind, topic=topic, channel=channel, subject=subject, content=content,
        region=region, trade_number=_clean_text(trade_number, "trade_number", 40, required=False),
        complainant_name=_clean_text(complainant_name, "complainant_name", 100, required=False),
        complainant_contact=_clean_text(complainant_contact, "complainant_contact", 100, required=False),
        complainant_user=actor if getattr(actor, "pk", None) else None, source_hash=source_hash(address) if address is not None else "",
        receipt_token=secrets.token_urlsafe(24), is_demo=is_demo,
    )
    row.save()
    ComplaintEvent.objects.create(complaint=row, actor=row.complainant_user, actor_name=_actor_name(actor), action="submit",
                                  to_status=row.status, note=ComplaintChannel(channel).label)
    # The audit trail keeps what was decided, not who complained (personal data stays on the record).
    audit.record(actor=actor, action="complaint_submit", obj=row,
                 after={"number": row.number, "kind": kind, "topic": topic, "channel": channel, "region": row.region_id,
                        "trade_number": row.trade_number})
    return row


def _actor_name(actor) -> str:
    return (getattr(actor, "username", None) or "公众（未登录）")[:150]


@transaction.atomic
def submit_public_complaint(*, address: str | None, kind: str, topic: str, subject: str, content: str, region=None,
                            trade_number: str = "", complainant_name: str = "", complainant_contact: str = "") -> Complaint:
    """Anyone may complain from the portal without logging in; at most
    ``supervision.public_complaints_per_hour`` per source address (counted by a keyed hash)."""
    limit = int(config.get("supervision.public_complaints_per_hour"))
    since = timezone.now() - dt.timedelta(hours=1)
    digest = source_hash(address)
    if Complaint.objects.filter(source_hash=digest, submitted_at__gte=since).count() >= limit:
        raise ValidationFailed("rate_limited", "提交过于频繁，请一小时后再试", "Too many submissions; try again in an hour", status=429)
    return _create(actor=None, channel=ComplaintChannel.PORTAL, kind=kind, topic=topic, subject=subject, content=content, region=region,
                   trade_number=trade_number, complainant_name=complainant_name, complainant_contact=complainant_contact, address=address)


@transaction.atomic
def submit_complaint(*, actor, kind: str, topic: str, subject: str, content: str, region=None, trade_number: str = "",
                     channel: str = ComplaintChannel.PLATFORM, complainant_name: str = "", complainant_contact: str = "",
                     is_demo: bool = False) -> Complaint:
    """A signed-in user complains; the city bureau may also register a letter, call or visit."""
    if not getattr(actor, "is_authenticated", False):
        raise Forbidden(code="login_required", message="请先登录", message_en="Log in first")
    if channel not in ComplaintChannel.values or channel == ComplaintChannel.PORTAL:
        raise field_errors({"channel": "无效的渠道"})
    if channel != ComplaintChannel.PLATFORM:
        require_role(actor, message="来信、来电、来访由市水利局登记", message_en="Only the city bureau registers letters, calls and visits")
    if not complainant_name:
        complainant_name = actor.display_name or actor.username
    return _create(actor=actor, channel=channel, kind=kind, topic=topic, subject=subject, content=content, region=region,
                   trade_number=trade_number, complainant_name=complainant_name, complainant_contact=complainant_contact, is_demo=is_demo)


ACTIONS = {
    "accept": ("受理", "Accept"),
    "investigate": ("开始调查", "Start investigating"),
    "resolve": ("办结", "Resolve"),
    "dismiss": ("不予受理/驳回", "Dismiss"),
}


def available_actions(complaint: Complaint, user) -> list[str]:
    if not (user.is_authenticated and (user.is_superuser or user.role == Role.CITY_ADMIN)):
        return []
    return [t.name for t in complaint.get_available_status_transitions()]


@transaction.atomic
def act_on_complaint(complaint: Complaint, action: str, *, actor, note: str = "", resolution: str = "",
                     public_reply: str = "") -> Complaint:
    """The leading office (the city bureau) moves a complaint along its workflow. Resolving and
    dismissing need the result; the public reply is what the complainant sees with the receipt code."""
    require_role(actor, message="争议和投诉由市水利局（领导机构办公室）处理",
                 message_en="Complaints are handled by the city water bureau (the leading office)")
    if action not in ACTIONS:
        raise ValidationFailed("invalid_action", "无效的操作", "Invalid action")
    row = Complaint.objects.select_for_update().get(pk=complaint.pk)
    method = getattr(row, action)
    from django_fsm import can_proceed

    if not can_proceed(method):
        raise Conflict("invalid_transition", f"当前状态（{row.get_status_display()}）不能{ACTIONS[action][0]}",
                       f"Cannot {ACTIONS[action][1].lower()} from status {row.status}")
    if action in ("resolve", "dismiss"):
        resolution = _clean_text(resolution or note, "resolution", 4000)
        public_reply = _clean_text(public_reply, "public_reply", 2000, required=False)
    before = audit.snapshot(row)
    old = row.status
    method()
    now = timezone.now()
    if action == "accept":
        row.accepted_at = now
    if action in ("accept", "investigate") and row.handler_id is None:
        row.handler = actor
    if action in ("resolve", "dismiss"):
        row.resolution = resolution
        row.public_reply = public_reply
        row.closed_at = now
        row.handler = row.handler or actor
    row.save()
    ComplaintEvent.objects.create(complaint=row, actor=actor, actor_name=_actor_name(actor), action=action, from_status=old,
                                  to_status=row.status, note=(note or resolution)[:2000])
    audit.record(actor=actor, action=f"complaint_{action}", obj=row, before={"status": before["status"]},
                 after={"status": row.status, "resolution": row.resolution, "public_reply": row.public_reply}, message=note)
    return row


def find_public_complaint(number: str, code: str) -> Complaint | None:
    """A complaint by its number and the receipt code given at submission (constant-time compare)."""
    if not number or not code:
        return None
    row = Complaint.objects.filter(number=number.strip()).first()
    if row and secrets.compare_digest(row.receipt_code, code.strip().upper()):
        return row
    return None


def public_complaint_view(row: Complaint) -> dict:
    """What the complainant sees with the receipt code: no names, contacts or internal notes."""
    return {"number": row.number, "kind": row.get_kind_display(), "topic": row.get_topic_display(), "status": row.get_status_display(),
            "status_code": row.status, "submitted_at": row.submitted_at, "accepted_at": row.accepted_at, "closed_at": row.closed_at,
            "public_reply": row.public_reply}


# ---------------------------------------------------------------------------------------------
# S6 enforcement (the city bureau): drives trading's TradingRestriction
# ---------------------------------------------------------------------------------------------


def _finding_figures(region, year: int | None) -> dict:
    """The assessment numbers behind a decision about ``region`` (frozen with the decision)."""
    if region is None or year is None:
        return {}
    from . import assessment

    ry = assessment.assess(region, year)
    return {"region": region.name, "year": year, "status": ry.status,
            "measures": {m.key: {"value": _plain(m.value), "target": _plain(m.target), "status": m.status} for m in ry.measures},
            "assessed_m3": ry.assessed_m3, "cap_m3": ry.cap_m3, "sold_m3": ry.sold_m3, "bought_m3": ry.bought_m3}


def _plain(v):
    return str(v) if isinstance(v, Decimal) else v


def _next_serial(model, prefix: str) -> str:
    last = model.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    serial = int(last[len(prefix):len(prefix) + 5]) + 1 if last else 1
    return f"{prefix}{serial:05d}号"


@transaction.atomic
def impose_enforcement(*, actor, ground: str, kind: str, reason: str, region=None, water_user=None, association=None, cut_pct=None,
                       assessment_year: int | None = None, finding: str = "", is_demo: bool = False):
    """S6: the city bureau finds that a region missed its groundwater-reduction target or that a
    region or party failed the strict water-management assessment, and halts its trading or cuts
    its trade volume (a percentage) until it complies. The restriction is created through trading's
    own service (the rules engine reads it: refusals name S6 and show the reason); this decision
    record keeps the finding and, for a region, the assessment numbers of the year."""
    from shuiquan.trading import services as trading
    from shuiquan.trading.choices import RestrictionGround

    from .models import Enforcement

    require_role(actor, message="交易约束由市水利局决定", message_en="Only the city water bureau decides S6 restrictions")
    if ground not in RestrictionGround.values:
        raise field_errors({"ground": "无效的原因类别"})
    if assessment_year is not None:
        _check_year(assessment_year)
    finding = (finding or "").strip() or reason
    restriction = trading.impose_restriction(actor=actor, kind=kind, ground=ground, reason=reason, region=region, water_user=water_user,
                                             association=association, cut_pct=cut_pct, is_demo=is_demo)
    now = timezone.localtime()
    enforcement = Enforcement.objects.create(
        number=_next_serial(Enforcement, f"南阳水权约束〔{now.year}〕"), restriction=restriction, assessment_year=assessment_year,
        finding=finding, figures=_finding_figures(region, assessment_year), decided_by=actor, is_demo=is_demo,
    )
    audit.record(actor=actor, action="enforcement_impose", obj=enforcement, after=audit.snapshot(enforcement), message=reason)
    return enforcement


@transaction.atomic
def lift_enforcement(enforcement, *, actor, reason: str, evidence: str = ""):
    """Lifting is recorded: why (the region or party now complies) and the evidence."""
    from shuiquan.trading import services as trading

    from .models import Enforcement

    require_role(actor, message="交易约束由市水利局解除", message_en="Only the city water bureau lifts S6 restrictions")
    enforcement = Enforcement.objects.select_for_update().get(pk=enforcement.pk)
    before = audit.snapshot(enforcement)
    trading.lift_restriction(actor=actor, restriction=enforcement.restriction, reason=reason)
    enforcement.lift_evidence = (evidence or "").strip() or reason
    enforcement.save(update_fields=["lift_evidence"])
    audit.record(actor=actor, action="enforcement_lift", obj=enforcement, before=before, after=audit.snapshot(enforcement), message=reason)
    return enforcement


def enforcement_candidates(year: int) -> list[dict]:
    """Regions whose assessment for ``year`` is red on total use or groundwater (the S6 grounds),
    without an active restriction: suggestions for the city bureau, never applied automatically."""
    from shuiquan.trading.models import TradingRestriction

    from . import assessment

    active = set(TradingRestriction.objects.filter(lifted_at__isnull=True, region__isnull=False).values_list("region_id", flat=True))
    out = []
    for ry in assessment.assess_year(year):
        if ry.region.kind == "city" or ry.region.pk in active:
            continue
        reasons = [m for m in ry.measures if m.key in ("total_use", "groundwater") and m.status == "red"]
        if reasons:
            out.append({"region": ry.region, "measures": reasons, "ground": "groundwater_reduction" if reasons[0].key == "groundwater"
                        else "strict_assessment"})
    return out


# ---------------------------------------------------------------------------------------------
# Attachments (S3 evidence: photos and documents)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def attach(*, actor, obj, upload):
    """Keep a checked file (size limit, type by extension and content) with a supervision record."""
    from django.contrib.contenttypes.models import ContentType

    from shuiquan.core.models import Attachment
    from shuiquan.core.scoping import CHANGE, can
    from shuiquan.core.uploads import check_upload

    if not can(actor, obj, CHANGE):
        raise Forbidden(code="out_of_scope", message="无权为该记录上传附件", message_en="You may not attach files to this record")
    file_kind = check_upload(upload, kinds=("pdf", "png", "jpeg"))
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    att = Attachment.objects.create(content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk), file=upload,
                                    name=(getattr(upload, "name", "") or "attachment")[:200], kind=file_kind, size=upload.size,
                                    sha256=digest.hexdigest(), uploaded_by=actor)
    audit.record(actor=actor, action="attach", obj=obj, after={"attachment": att.pk, "name": att.name, "sha256": att.sha256})
    return att


def attachments(obj):
    from django.contrib.contenttypes.models import ContentType

    from shuiquan.core.models import Attachment

    return Attachment.objects.filter(content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk))


# ---------------------------------------------------------------------------------------------
# S3 on-site verification and post-trade evaluation
# ---------------------------------------------------------------------------------------------


def may_supervise(user, trade) -> bool:
    """The city bureau, or the county bureau of the seller's or the buyer's region (S3)."""
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    return user.role == Role.COUNTY_OFFICER and user.region_id in (trade.seller_region_id, trade.buyer_region_id)


@transaction.atomic
def record_inspection(*, actor, trade, inspected_on, inspectors: str, location: str, conclusion: str, saving_measures_ok=None,
                      saving_measures_note: str = "", metering_ok=None, metering_note: str = "", third_party_note: str = "",
                      is_demo: bool = False):
    """S3: the bureau records its on-site check of a trade's saving measures and metering (§7.5.3).
    A "passed" conclusion needs both found true and effective; the trade must not be dead."""
    from shuiquan.trading.choices import DEAD_STATES
    from shuiquan.trading.models import Trade

    from .choices import InspectionConclusion
    from .models import SiteInspection

    trade = Trade.objects.select_for_update(of=("self",)).get(pk=trade.pk)
    if not may_supervise(actor, trade):
        raise Forbidden(code="out_of_scope", message="现场核查由交易双方所在地县级水利局或市水利局进行",
                        message_en="On-site checks are made by the county bureau of either party or the city bureau")
    if trade.status in DEAD_STATES:
        raise Conflict("trade_closed", "该交易已终止，无需核查", "The trade is closed")
    if conclusion not in InspectionConclusion.values:
        raise field_errors({"conclusion": "无效的结论"})
    errors = {}
    if not (inspectors or "").strip():
        errors["inspectors"] = "必填"
    if not (location or "").strip():
        errors["location"] = "必填"
    if inspected_on is None or inspected_on > timezone.localdate():
        errors["inspected_on"] = "检查日期不能晚于今天"
    if conclusion == InspectionConclusion.PASSED and not (saving_measures_ok is True and metering_ok is True):
        errors["conclusion"] = "节水措施和计量设施均经核实有效，方可认定符合要求（S3）"
    if errors:
        raise field_errors(errors)
    row = SiteInspection.objects.create(
        trade=trade, inspected_on=inspected_on, inspectors=inspectors.strip()[:200], location=location.strip()[:200],
        saving_measures_ok=saving_measures_ok, saving_measures_note=saving_measures_note, metering_ok=metering_ok, metering_note=metering_note,
        third_party_note=third_party_note, conclusion=conclusion, recorded_by=actor, is_demo=is_demo,
    )
    audit.record(actor=actor, action="site_inspection", obj=row, after=audit.snapshot(row))
    return row


def evaluation_facts(trade) -> dict:
    """What the platform measured about a performed trade, frozen into its evaluation."""
    from shuiquan.finance import funds
    from shuiquan.trading import market

    from . import metered

    years = [y for y in trade.years() if y <= timezone.localdate().year]
    use = {}
    for side in ("seller", "buyer"):
        permit = getattr(trade, f"{side}_permit")
        use[side] = {str(y): metered.permit_use(permit, y) for y in years} if permit is not None else {}
    median = market.price_series().get(trade.trade_type, {}).get("median")
    issues = funds.reconcile(trade) if trade.payments.exists() or trade.mode == "order_book" else ["无资金记录"]
    return {"trade": trade.number, "volume_m3": trade.volume_m3, "years": trade.years(), "unit_price": _plain(trade.unit_price),
            "market_median": _plain(median), "metered_use": use, "funds_issues": issues,
            "inspections": list(trade.site_inspections.values_list("conclusion", flat=True))}


@transaction.atomic
def record_evaluation(*, actor, trade, evaluated_on, evaluators: str, volume_truthful: bool, procedure_compliant: bool,
                      price_reasonable: bool, funds_safe: bool, rating: str, third_party_impact: str = "", water_use_effect: str = "",
                      recommendations: str = "", finalize: bool = False, is_demo: bool = False):
    """交易后评估: only for trades performed (registered or expired)."""
    from shuiquan.trading.choices import TradeStatus
    from shuiquan.trading.models import Trade

    from .choices import EvaluationStatus, Rating
    from .models import TradeEvaluation

    trade = Trade.objects.select_for_update(of=("self",)).get(pk=trade.pk)
    if not may_supervise(actor, trade):
        raise Forbidden(code="out_of_scope", message="交易后评估由市水利局或交易双方所在地县级水利局组织",
                        message_en="Post-trade evaluations are made by the city bureau or a party's county bureau")
    if trade.status not in (TradeStatus.REGISTERED, TradeStatus.EXPIRED):
        raise Conflict("not_performed", "只能评估已登记（履约中）或已期满的交易", "Only registered or expired trades are evaluated")
    if rating not in Rating.values:
        raise field_errors({"rating": "无效的评价"})
    if not (evaluators or "").strip():
        raise field_errors({"evaluators": "必填"})
    row = TradeEvaluation.objects.create(
        trade=trade, evaluated_on=evaluated_on, evaluators=evaluators.strip()[:200], volume_truthful=bool(volume_truthful),
        procedure_compliant=bool(procedure_compliant), price_reasonable=bool(price_reasonable), funds_safe=bool(funds_safe),
        third_party_impact=third_party_impact, water_use_effect=water_use_effect, rating=rating, recommendations=recommendations,
        facts=evaluation_facts(trade), recorded_by=actor, is_demo=is_demo,
        status=EvaluationStatus.FINAL if finalize else EvaluationStatus.DRAFT, finalized_at=timezone.now() if finalize else None,
    )
    audit.record(actor=actor, action="trade_evaluation", obj=row, after=audit.snapshot(row))
    return row


@transaction.atomic
def finalize_evaluation(evaluation, *, actor):
    from .choices import EvaluationStatus
    from .models import TradeEvaluation

    row = TradeEvaluation.objects.select_for_update().select_related("trade").get(pk=evaluation.pk)
    if not may_supervise(actor, row.trade):
        raise Forbidden(code="out_of_scope", message="无权定稿", message_en="You may not finalize this evaluation")
    if row.status == EvaluationStatus.FINAL:
        raise Conflict("already_final", "评估已定稿", "Already final")
    before = audit.snapshot(row)
    row.status, row.finalized_at = EvaluationStatus.FINAL, timezone.now()
    row.save(update_fields=["status", "finalized_at"])
    audit.record(actor=actor, action="trade_evaluation_final", obj=row, before=before, after=audit.snapshot(row))
    return row


__all__ = [
    "record_figures", "record_reported_use", "submit_public_complaint", "submit_complaint", "act_on_complaint",
    "available_actions", "find_public_complaint", "public_complaint_view", "ComplaintStatus",
]
