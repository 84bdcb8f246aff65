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


__all__ = [
    "record_figures", "record_reported_use", "submit_public_complaint", "submit_complaint", "act_on_complaint",
    "available_actions", "find_public_complaint", "public_complaint_view", "ComplaintStatus",
]
