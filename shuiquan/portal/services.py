"""Portal services: supply-and-demand notices (post → review → published / rejected; withdraw)
and the policy documents' status. One transaction each, audited; refusals are domain errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shuiquan.core import audit
from shuiquan.core.crud import validation_failed
from shuiquan.core.errors import Conflict, Forbidden, ValidationFailed, field_errors
from shuiquan.core.roles import Role
from shuiquan.core.scoping import require_role

from .choices import DocumentStatus, NoticeKind, NoticeStatus
from .models import PolicyDocument, SupplyDemandNotice


def _may_post(user, association) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    if user.role == Role.ASSOCIATION_REP:
        return user.association_id == association.pk
    if user.role == Role.DISTRICT_MANAGER:
        return user.irrigation_district_id == association.district_id
    if user.role == Role.COUNTY_OFFICER:
        return user.region_id == association.region_id
    return False


def may_review(user, notice: SupplyDemandNotice) -> bool:
    """The district unit of the notice's district, the county bureau of its region, or the city."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    if user.role == Role.DISTRICT_MANAGER:
        return user.irrigation_district_id == notice.district_id
    if user.role == Role.COUNTY_OFFICER:
        return user.region_id == notice.region_id
    return False


def _next_number(year: int) -> str:
    prefix = f"GQ{year}"
    last = SupplyDemandNotice.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    return f"{prefix}{(int(last[len(prefix):]) + 1) if last else 1:05d}"


def _refuse_household_names(notice: SupplyDemandNotice) -> None:
    """The text of a public notice may not name the association's households."""
    from shuiquan.registry.models import Household

    text = f"{notice.description} {notice.contact_via}"
    names = Household.objects.filter(association=notice.association).values_list("name", flat=True)
    if any(len(name) >= 2 and name in text for name in names):
        raise field_errors({"description": "不得填写用水户姓名（公开信息只显示协会名称和用水户编码）"})


@transaction.atomic
def post_notice(*, actor, kind: str, association, year: int, volume_m3, valid_until: dt.date, contact_via: str,
                price_yuan_per_m3=None, description: str = "", household=None, is_demo: bool = False) -> SupplyDemandNotice:
    """An association (or its district unit / county bureau on its behalf) posts an offer or a wish."""
    if not _may_post(actor, association):
        raise Forbidden(code="not_association", message="只能为本协会（或本灌区、本县的协会）发布供求信息",
                        message_en="You may post notices only for your own association (or your district's / county's)")
    if kind not in NoticeKind.values:
        raise field_errors({"kind": "无效的类型"})
    if isinstance(volume_m3, (bool, float)) or not isinstance(volume_m3, int) or volume_m3 <= 0:
        raise field_errors({"volume_m3": "水量须为正整数（立方米）"})
    price = None
    if price_yuan_per_m3 not in (None, ""):
        if isinstance(price_yuan_per_m3, float):
            raise field_errors({"price_yuan_per_m3": "须为十进制数"})
        try:
            price = Decimal(str(price_yuan_per_m3)).quantize(Decimal("0.0001"))
        except InvalidOperation:
            raise field_errors({"price_yuan_per_m3": "须为数字"}) from None
        if price < 0:
            raise field_errors({"price_yuan_per_m3": "不能为负"})
    today = timezone.localdate()
    if valid_until < today:
        raise field_errors({"valid_until": "有效期不能早于今天"})
    notice = SupplyDemandNotice(
        kind=kind, district=association.district, association=association, household=household, region=association.region,
        year=year, volume_m3=volume_m3, price_yuan_per_m3=price, description=(description or "").strip(),
        contact_via=(contact_via or "").strip(), valid_until=valid_until, posted_by=actor, is_demo=is_demo,
    )
    try:
        notice.full_clean(exclude=["number"])
    except ValidationError as exc:
        raise validation_failed(exc) from None
    _refuse_household_names(notice)
    notice.number = _next_number(today.year)
    notice.save()
    audit.record(actor=actor, action="notice_post", obj=notice, after=audit.snapshot(notice))
    return notice


@transaction.atomic
def review_notice(notice: SupplyDemandNotice, *, actor, publish: bool, note: str = "") -> SupplyDemandNotice:
    notice = SupplyDemandNotice.objects.select_for_update().select_related("district", "association").get(pk=notice.pk)
    if not may_review(actor, notice):
        raise Forbidden(code="not_reviewer", message="供求信息由灌区管理单位或县级水利局审核",
                        message_en="Notices are reviewed by the district unit or the county bureau")
    if notice.status != NoticeStatus.PENDING:
        raise Conflict("invalid_transition", f"当前状态（{notice.get_status_display()}）不能审核", f"Cannot review from {notice.status}")
    if not publish and not note.strip():
        raise field_errors({"note": "不予发布须说明理由"})
    before = audit.snapshot(notice)
    now = timezone.now()
    notice.status = NoticeStatus.PUBLISHED if publish else NoticeStatus.REJECTED
    notice.reviewed_by, notice.reviewed_at, notice.review_note = actor, now, note.strip()[:300]
    if publish:
        notice.published_at = now
    notice.save()
    audit.record(actor=actor, action="notice_publish" if publish else "notice_reject", obj=notice, before=before,
                 after=audit.snapshot(notice), message=note)
    return notice


@transaction.atomic
def withdraw_notice(notice: SupplyDemandNotice, *, actor, note: str = "") -> SupplyDemandNotice:
    notice = SupplyDemandNotice.objects.select_for_update().select_related("association").get(pk=notice.pk)
    if not (_may_post(actor, notice.association) or may_review(actor, notice)):
        raise Forbidden(code="not_allowed", message="无权撤回该供求信息", message_en="You may not withdraw this notice")
    if notice.status not in (NoticeStatus.PENDING, NoticeStatus.PUBLISHED):
        raise Conflict("invalid_transition", "该供求信息已结束", "The notice is already closed")
    before = audit.snapshot(notice)
    notice.status = NoticeStatus.WITHDRAWN
    notice.save()
    audit.record(actor=actor, action="notice_withdraw", obj=notice, before=before, after=audit.snapshot(notice), message=note)
    return notice


def public_notices():
    """Published notices still valid, for the portal."""
    return (SupplyDemandNotice.objects.filter(status=NoticeStatus.PUBLISHED, valid_until__gte=timezone.localdate())
            .select_related("district", "association", "household", "region").order_by("-published_at", "-pk"))


@transaction.atomic
def update_document(document: PolicyDocument, *, actor, status: str, doc_number: str = "", issued_text: str = "", url: str = "",
                    summary: str | None = None) -> PolicyDocument:
    """The city bureau records a measure's progress (e.g. issued, with its number and date)."""
    require_role(actor, message="政策文件状态由市水利局维护", message_en="Only the city bureau maintains policy documents")
    if status not in DocumentStatus.values:
        raise field_errors({"status": "无效的状态"})
    doc = PolicyDocument.objects.select_for_update().get(pk=document.pk)
    before = audit.snapshot(doc)
    doc.status = status
    doc.doc_number = (doc_number or doc.doc_number)[:60]
    doc.issued_text = (issued_text or doc.issued_text)[:40]
    if url:
        doc.url = url
    if summary is not None:
        doc.summary = summary
    try:
        doc.full_clean()
    except ValidationError as exc:
        raise validation_failed(exc) from None
    doc.save()
    audit.record(actor=actor, action="update", obj=doc, before=before, after=audit.snapshot(doc))
    return doc


__all__ = ["post_notice", "review_notice", "withdraw_notice", "public_notices", "update_document", "may_review", "ValidationFailed"]
