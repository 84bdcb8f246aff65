"""Registry services: the only writers of registry records.

- Plain records (water users, intakes, meters, associations, groups, households, annual plans)
  go through ``create_record`` / ``update_record`` / ``delete_record``, which add the registry's
  own rules (records the seed loader maintains are read-only) to ``shuiquan.core.crud`` (scope,
  ``full_clean``, audit).
- Withdrawal permits: ``next_permit_number``, ``create_permit`` (number, 5-year validity and
  status *new* by default), ``update_permit`` (corrections to the record; number and status are
  not edited here), and the status changes ``change_permit``, ``renew_permit``, ``expire_permit``,
  ``revoke_permit`` (each with a reason, audited), ``expire_lapsed_permits``, ``renewal_due``.
- XLSX import of water users and permits lives in ``shuiquan.registry.importing``.

Every function runs in one transaction, locks what it changes, checks the rules, writes the
audit record and raises a ``shuiquan.core.errors`` domain error on refusal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from shuiquan.core import audit, crud
from shuiquan.core.errors import Conflict, Forbidden, ValidationFailed, field_errors
from shuiquan.core.roles import Role
from shuiquan.core.scoping import CHANGE, can_add, get_scoped

from . import seed
from .choices import ACTIVE_PERMIT_STATUSES, PermitStatus
from .models import Region, WithdrawalPermit
from .params import PERMIT_VALIDITY_YEARS, RENEWAL_NOTICE_DAYS
from .validators import PERMIT_NUMBER_RE

__all__ = [
    "add_years", "default_valid_to", "next_permit_number", "create_permit", "update_permit", "change_permit",
    "renew_permit", "expire_permit", "revoke_permit", "expire_lapsed_permits", "renewal_due", "create_record",
    "update_record", "delete_record", "ensure_region_writable", "is_read_only", "PERMIT_CHANGE_FIELDS",
]

#: Fields of a permit that a change (变更) may alter; the number, status and validity have their own paths.
PERMIT_CHANGE_FIELDS = (
    "holder", "source", "withdrawal_method", "use", "sector", "annual_volume_m3", "max_daily_volume_m3",
    "return_water_location", "return_water_volume_m3", "irrigation_district", "supervising_authority",
)
#: Fields never set through create/update of a permit record.
_PERMIT_PROTECTED = ("number", "status", "source_type", "is_demo", "created", "last_updated")

_SERIAL_LOCK_NAMESPACE = 0x5051_0000_0000  # "PQ": permit-number serials (PostgreSQL advisory lock keys)


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by ``years`` calendar years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def default_valid_to(valid_from: dt.date, years: int | None = None) -> dt.date:
    """The last day of a validity of ``years`` (default ``registry.permit_validity_years``) from ``valid_from``."""
    years = PERMIT_VALIDITY_YEARS.value if years is None else years
    try:
        return add_years(valid_from, years) - dt.timedelta(days=1)
    except (OverflowError, ValueError):
        raise field_errors({"valid_from": ["有效期起超出可处理的日期范围 / date out of range"]}) from None


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(
            "reason_required", "请填写原因", "A reason is required", detail={"fields": {"reason": ["请填写原因 / A reason is required"]}}
        )
    return text


def is_read_only(obj: models.Model) -> bool:
    """Records that the seed loader maintains (regions, water bodies, seeded sources and districts)."""
    return seed.is_seeded(obj)


def _refuse_seeded(obj: models.Model) -> None:
    if is_read_only(obj):
        raise Forbidden(
            code="seed_record_read_only",
            message="此记录来自《南阳市水权改革方案》种子数据，由数据加载程序维护，不能在此修改或删除",
            message_en="This record comes from the seed (the Nanyang reform plan) and is maintained by the data loader; it cannot be changed or deleted here",
        )


def ensure_region_writable(actor, region: Region | None) -> None:
    """A county officer may register records only in their own county."""
    if actor is None or getattr(actor, "is_superuser", False) or getattr(actor, "role", None) == Role.CITY_ADMIN:
        return
    if getattr(actor, "role", None) == Role.COUNTY_OFFICER and (region is None or region.pk != actor.region_id):
        raise Forbidden(
            code="out_of_scope",
            message=f"只能登记本辖区（{actor.region}）的记录",
            message_en=f"You may register records only in your own region ({getattr(actor.region, 'name_en', '') or actor.region})",
        )


# ---------------------------------------------------------------------------------------------
# Plain records
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def create_record(model: type[models.Model], *, actor, data: dict[str, Any], message: str = ""):
    """Create a registry record (scope, validation and audit by ``core.crud``)."""
    data = {k: v for k, v in data.items() if k not in ("is_demo", "created", "last_updated")}
    if model is WithdrawalPermit:
        return create_permit(actor=actor, data=data, message=message)
    if "region" in data and isinstance(data["region"], Region) and model is not Region:
        ensure_region_writable(actor, data["region"])
    if model is Region:
        _check_region_kind(data.get("kind"))
    return crud.create_object(model, actor=actor, data=data, message=message)


@transaction.atomic
def update_record(model: type[models.Model], pk, *, actor, data: dict[str, Any], message: str = ""):
    """Update a registry record; records maintained by the seed loader are refused."""
    if model is WithdrawalPermit:
        return update_permit(pk, actor=actor, data=data, message=message)
    obj = get_scoped(model, actor, pk, CHANGE, lock=True)
    _refuse_seeded(obj)
    data = {k: v for k, v in data.items() if k not in ("is_demo", "created", "last_updated")}
    if model is Region and "kind" in data:
        _check_region_kind(data["kind"])
    return crud.update_object(model, obj.pk, actor=actor, data=data, message=message)


@transaction.atomic
def delete_record(model: type[models.Model], pk, *, actor, message: str = "") -> None:
    obj = get_scoped(model, actor, pk, "delete", lock=True)
    _refuse_seeded(obj)
    crud.delete_object(model, obj.pk, actor=actor, message=message)


def _check_region_kind(kind) -> None:
    from .choices import RegionKind

    # The city's own regions come from the seed (GB/T 2260); what the bureau adds by hand are the
    # counterparties outside the city (郑州市, 新郑市, 登封市 …) and receiving/functional areas.
    allowed = (RegionKind.OUTSIDE, RegionKind.RECEIVING_AREA, RegionKind.FUNCTIONAL_ZONE)
    if kind not in allowed:
        raise field_errors({"kind": ["只能新增市外行政区、受水区或功能区；县级行政区来自种子数据 / only outside regions, receiving areas or functional zones may be added"]})


# ---------------------------------------------------------------------------------------------
# Withdrawal permits
# ---------------------------------------------------------------------------------------------


def _lock_serial(code: str, year: int) -> None:
    """Serialize number issuance for one admin code and year (PostgreSQL advisory lock; SQLite's
    immediate transactions already serialize writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SERIAL_LOCK_NAMESPACE + int(code) * 10000 + year])


def next_permit_number(authority, year: int) -> str:
    """The next free number ``<admin code>-<year>-<serial>`` of ``authority`` for ``year``.

    Must run inside the transaction that saves the permit: the serial is reserved by a lock held
    until that transaction ends (an advisory lock on PostgreSQL, plus ``SELECT … FOR UPDATE`` on the
    existing numbers of that code and year), so two concurrent issuances cannot get the same serial.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("next_permit_number() must run inside the transaction that saves the permit")
    code = authority.admin_code
    if not (isinstance(year, int) and 1900 <= year <= 9999):
        raise field_errors({"issued_on": [f"年份无效：{year} / invalid year"]})
    _lock_serial(code, year)
    prefix = f"{code}-{year}-"
    numbers = list(
        WithdrawalPermit.objects.select_for_update().filter(number__startswith=prefix).order_by("pk").values_list("number", flat=True)
    )
    serials = [int(m.group("serial")) for n in numbers if (m := PERMIT_NUMBER_RE.match(n))]
    serial = max(serials, default=0) + 1
    if serial > 9999:
        raise Conflict(
            "permit_serial_exhausted", f"{authority}在{year}年的许可证流水号已用完（9999）",
            f"{authority} has used all 9999 permit serials for {year}",
        )
    return f"{prefix}{serial:04d}"


def _check_number(number: str, authority, issued_on: dt.date | None) -> None:
    match = PERMIT_NUMBER_RE.match(number or "")
    if not match:
        raise field_errors({"number": ["取水许可证编号格式应为：6位行政区划代码-4位年份-4位流水号，如 411325-2023-0012 / format: code-year-serial"]})
    if authority is not None and match.group("code") != authority.admin_code:
        raise field_errors({"number": [
            f"编号中的行政区划代码 {match.group('code')} 与审批机关（{authority}，{authority.admin_code}）不符 / "
            f"the admin code does not match the approving authority ({authority.admin_code})"
        ]})
    if issued_on is not None and int(match.group("year")) != issued_on.year:
        raise field_errors({"number": [f"编号中的年份应为发证年份 {issued_on.year} / the year must be the year of issue"]})
    if int(match.group("serial")) == 0:
        raise field_errors({"number": ["流水号不能为0000 / the serial cannot be 0000"]})


def prepare_permit_data(data: dict[str, Any]) -> dict[str, Any]:
    """Fill a new permit's defaults: issued today, valid from the day of issue for the configured
    number of years, status *new*; the supervising authority defaults to the approving one."""
    data = {k: v for k, v in data.items() if k not in _PERMIT_PROTECTED or k in ("number", "status")}
    if not data.get("issued_on"):
        data["issued_on"] = timezone.localdate()
    if not data.get("valid_from"):
        data["valid_from"] = data["issued_on"]
    if not data.get("valid_to"):
        data["valid_to"] = default_valid_to(data["valid_from"])
    if not data.get("status"):
        data["status"] = PermitStatus.NEW
    if not data.get("supervising_authority") and data.get("approving_authority"):
        data["supervising_authority"] = data["approving_authority"]
    data["number"] = (data.get("number") or "").strip()
    return data


@transaction.atomic
def create_permit(*, actor, data: dict[str, Any], message: str = "") -> WithdrawalPermit:
    """Register a withdrawal permit. A blank number is issued by ``next_permit_number``."""
    if not can_add(actor, WithdrawalPermit):
        raise Forbidden(code="role_required", message="您的角色不能登记取水许可证", message_en="Your role cannot register withdrawal permits")
    data = prepare_permit_data(data)
    ensure_region_writable(actor, data.get("region"))
    if data["status"] not in PermitStatus.values:
        raise field_errors({"status": ["状态无效 / invalid status"]})
    authority = data.get("approving_authority")
    if data["number"]:
        _check_number(data["number"], authority, data["issued_on"])
    elif authority is not None:
        data["number"] = next_permit_number(authority, data["issued_on"].year)
    return crud.create_object(WithdrawalPermit, actor=actor, data=data, message=message or "登记取水许可证")


@transaction.atomic
def update_permit(pk, *, actor, data: dict[str, Any], message: str = "") -> WithdrawalPermit:
    """Correct a permit's record. The number and status are not changed here (status changes have
    their own services, with a reason); moving it to another county is refused by the scope check."""
    data = {k: v for k, v in data.items() if k not in _PERMIT_PROTECTED}
    if "region" in data:
        ensure_region_writable(actor, data["region"])
    return crud.update_object(WithdrawalPermit, pk, actor=actor, data=data, message=message)


def _lock_active_permit(pk, actor) -> WithdrawalPermit:
    permit = get_scoped(WithdrawalPermit.objects.select_related("region"), actor, pk, CHANGE, lock=True)
    if permit.status not in ACTIVE_PERMIT_STATUSES:
        raise Conflict(
            "permit_not_active", f"许可证{permit.number}已{permit.get_status_display()}，不能再办理此项",
            f"Permit {permit.number} is {permit.status}; this action is not possible",
        )
    return permit


def _save_transition(permit: WithdrawalPermit, before: dict, *, actor, action: str, reason: str) -> WithdrawalPermit:
    try:
        permit.full_clean()
    except ValidationError as exc:
        raise crud.validation_failed(exc) from None
    permit.save()
    audit.record(actor=actor, action=action, obj=permit, before=before, after=audit.snapshot(permit), message=reason)
    return permit


@transaction.atomic
def change_permit(pk, *, actor, reason: str, changes: dict[str, Any]) -> WithdrawalPermit:
    """Change (变更) the terms of an active permit — volume, use, source, holder… — with a reason.

    The status becomes *changed*; the audit record keeps the previous terms. (A trade of more than
    one year changes both permits this way, T7.)"""
    reason = _reason(reason)
    permit = _lock_active_permit(pk, actor)
    unknown = sorted(set(changes) - set(PERMIT_CHANGE_FIELDS))
    if unknown:
        raise field_errors({k: ["此项不能通过变更修改 / cannot be changed here"] for k in unknown})
    before = audit.snapshot(permit)
    for name, value in changes.items():
        setattr(permit, name, value)
    if not audit.diff(before, audit.snapshot(permit)):
        raise ValidationFailed("no_changes", "变更内容与现有许可相同", "The change does not alter the permit")
    if "holder" in changes and changes["holder"] is not None:
        # The new holder must be one the actor may see (and, for a county officer, their own county's).
        get_scoped(type(changes["holder"]), actor, changes["holder"].pk)
    permit.status = PermitStatus.CHANGED
    return _save_transition(permit, before, actor=actor, action="permit_change", reason=reason)


@transaction.atomic
def renew_permit(pk, *, actor, reason: str, valid_to: dt.date | None = None, annual_volume_m3: int | None = None,
                 today: dt.date | None = None) -> WithdrawalPermit:
    """Renew (延续) a permit for the next validity period, starting the day after it expires.

    Only before it expires: once the validity has run out the holder must apply anew (§7.1.2)."""
    reason = _reason(reason)
    today = today or timezone.localdate()
    permit = _lock_active_permit(pk, actor)
    if today > permit.valid_to:
        raise Conflict(
            "permit_lapsed", f"许可证{permit.number}已于{permit.valid_to}到期，须重新申请取水许可，不能延续",
            f"Permit {permit.number} expired on {permit.valid_to}; the holder must apply for a new permit",
        )
    before = audit.snapshot(permit)
    new_from = permit.valid_to + dt.timedelta(days=1)
    new_to = valid_to or default_valid_to(new_from)
    if new_to <= new_from:
        raise field_errors({"valid_to": ["延续后的有效期止应晚于新有效期起 / the new end must be after the new start"]})
    permit.valid_from, permit.valid_to = new_from, new_to
    if annual_volume_m3 is not None:
        permit.annual_volume_m3 = annual_volume_m3
    permit.status = PermitStatus.RENEWED
    return _save_transition(permit, before, actor=actor, action="permit_renew", reason=reason)


@transaction.atomic
def expire_permit(pk, *, actor, reason: str) -> WithdrawalPermit:
    """Cancel (注销) a permit: at the end of its validity, or when the holder stops withdrawing."""
    reason = _reason(reason)
    permit = _lock_active_permit(pk, actor)
    before = audit.snapshot(permit)
    permit.status = PermitStatus.EXPIRED
    return _save_transition(permit, before, actor=actor, action="permit_expire", reason=reason)


@transaction.atomic
def revoke_permit(pk, *, actor, reason: str) -> WithdrawalPermit:
    """Revoke (吊销) a permit, e.g. for a violation found by supervision."""
    reason = _reason(reason)
    permit = _lock_active_permit(pk, actor)
    before = audit.snapshot(permit)
    permit.status = PermitStatus.REVOKED
    return _save_transition(permit, before, actor=actor, action="permit_revoke", reason=reason)


TRANSITIONS = {
    "change": change_permit,
    "renew": renew_permit,
    "expire": expire_permit,
    "revoke": revoke_permit,
}


@transaction.atomic
def expire_lapsed_permits(*, actor=None, today: dt.date | None = None) -> list[WithdrawalPermit]:
    """Mark every active permit whose validity has ended as expired (a nightly job; ``actor=None``
    is the system and sees every county)."""
    today = today or timezone.localdate()
    qs = WithdrawalPermit.objects.filter(status__in=ACTIVE_PERMIT_STATUSES, valid_to__lt=today)
    if actor is not None:
        qs = qs.restrict(actor, CHANGE)
    done = []
    for permit in qs.select_for_update().order_by("pk"):
        before = audit.snapshot(permit)
        permit.status = PermitStatus.EXPIRED
        permit.save(update_fields=["status", "last_updated"])
        audit.record(actor=actor, action="permit_expire", obj=permit, before=before, after=audit.snapshot(permit),
                     message=f"有效期于{permit.valid_to}届满，未延续 / validity ended {permit.valid_to}, not renewed")
        done.append(permit)
    return done


def renewal_due(user, today: dt.date | None = None) -> models.QuerySet:
    """Active permits visible to ``user`` whose renewal is due: ``valid_to − notice days ≤ today``
    (including those already past their end date and not yet cancelled), soonest first."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=RENEWAL_NOTICE_DAYS.value)
    return (
        WithdrawalPermit.objects.restrict(user)
        .filter(status__in=ACTIVE_PERMIT_STATUSES, valid_to__lte=horizon)
        .select_related("holder", "region")
        .order_by("valid_to", "number")
    )
