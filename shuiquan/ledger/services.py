"""Ledger services: open rights, post balanced entries, reverse them, lock and release volume.

These are the only functions that write ledger rows. Each runs in one transaction, locks the
rights it touches (``SELECT … FOR UPDATE`` in primary-key order, then their balance rows in
(right, year) order, so two transactions never wait on each other in opposite orders), checks
the rules, writes, and appends the audit record. A refusal raises a ``DomainError`` and leaves
nothing written.

They check ledger rules only (balanced entries, availability, validity years, the ecological
reserve — A2). Who may do what is checked by the calling capability's service (allocation,
trading, finance), except ``reverse_entry`` and ``adjust``, which only the city bureau may call.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Case, F, Sum, Value, When
from django.utils import timezone

from shuiquan.core import audit
from shuiquan.core.errors import Conflict, InsufficientVolume, RuleViolation, ValidationFailed
from shuiquan.core.roles import Role
from shuiquan.core.scoping import require_role
from shuiquan.registry import models as reg

from .choices import NEVER_MOVES, EntryKind, HolderKind, LockKind, LockStatus, RightKind, RightStatus
from .models import KIND_PREFIX, JournalEntry, Posting, Reserve, RightBalance, VolumeLock, WaterRight


@dataclass(frozen=True)
class Line:
    """One intended posting: ``amount`` m³ (signed, non-zero) to ``right`` for ``year``."""

    right: WaterRight
    year: int
    amount: int


# ---------------------------------------------------------------------------------------------
# Rights
# ---------------------------------------------------------------------------------------------

_HOLDER_OF = {
    reg.Region: (HolderKind.REGION, "holder_region"),
    reg.WaterUser: (HolderKind.WATER_USER, "water_user"),
    reg.IrrigationDistrict: (HolderKind.IRRIGATION_DISTRICT, "irrigation_district"),
    reg.Association: (HolderKind.ASSOCIATION, "association"),
    reg.Household: (HolderKind.HOUSEHOLD, "household"),
    Reserve: (HolderKind.RESERVE, "reserve"),
    reg.River: (HolderKind.RIVER, "river"),
}


def _holder_region(holder) -> reg.Region | None:
    if holder is None:
        return None
    if isinstance(holder, reg.Region):
        return holder
    if isinstance(holder, reg.Household):
        return holder.association.region
    return getattr(holder, "region", None)


def holder_label(holder) -> str:
    if isinstance(holder, reg.Region) and holder.kind not in ("outside",):
        return f"{holder.name}人民政府"
    return str(holder)


def _build_right(
    *,
    kind: str,
    name: str,
    holder=None,
    holder_name: str = "",
    valid_from: dt.date,
    valid_to: dt.date,
    annual_volume_m3: int = 0,
    use: str = "mixed",
    source=None,
    source_type: str | None = None,
    region=None,
    river=None,
    permit=None,
    parent: WaterRight | None = None,
    legal_basis: str = "",
    is_tradable: bool | None = None,
    is_demo: bool = False,
) -> WaterRight:
    """Check one right's fields and build it (unsaved, without its number)."""
    if not isinstance(annual_volume_m3, int) or isinstance(annual_volume_m3, bool) or annual_volume_m3 < 0:
        raise ValidationFailed("invalid_volume", "年度水量须为非负整数（立方米）", "Annual volume must be a non-negative integer (m³)")
    if valid_to < valid_from:
        raise ValidationFailed("invalid_validity", "有效期止不能早于有效期起", "Validity must not end before it starts")
    if holder is None:
        if not holder_name:
            raise ValidationFailed("holder_required", "须指定权利人", "A holder is required")
        hkind, field = HolderKind.AUTHORITY, None
    else:
        try:
            hkind, field = _HOLDER_OF[type(holder)]
        except KeyError:
            raise ValidationFailed("bad_holder", "不支持的权利人类型", "Unsupported holder type") from None
    if parent is not None and parent.status != RightStatus.ACTIVE:
        raise Conflict("parent_inactive", "上级用水权不是有效状态", "The parent right is not active")
    right = WaterRight(
        kind=kind,
        name=name,
        holder_kind=hkind,
        holder_name=holder_name or holder_label(holder),
        region=region if region is not None else _holder_region(holder),
        river=river,
        source=source,
        source_type=source_type or (source.source_type if source is not None else "mixed"),
        use=use,
        annual_volume_m3=annual_volume_m3,
        valid_from=valid_from,
        valid_to=valid_to,
        legal_basis=legal_basis,
        permit=permit,
        parent=parent,
        is_tradable=(kind not in NEVER_MOVES and kind != RightKind.ISSUANCE) if is_tradable is None else is_tradable,
        is_demo=is_demo,
    )
    if field:
        setattr(right, field, holder)
    if kind == RightKind.ECOLOGICAL:
        right.is_tradable = False
    return right


def _right_number(right: WaterRight) -> str:
    code = right.region.code if right.region_id and right.region.code else "411300"
    return f"{KIND_PREFIX[RightKind(right.kind)]}{code}-{right.pk:06d}"


@transaction.atomic
def open_right(*, actor, message: str = "", **fields) -> WaterRight:
    """Create a water right (with no volume yet: volume arrives by a posted entry). ``fields``:
    kind, name, holder or holder_name, valid_from, valid_to, annual_volume_m3, use, source,
    source_type, region, river, permit, parent, legal_basis, is_tradable, is_demo."""
    right = _build_right(**fields)
    right.save()
    right.number = _right_number(right)
    right.save(update_fields=["number"])
    audit.record(actor=actor, action="open_right", obj=right, after=audit.snapshot(right), message=message)
    return right


@transaction.atomic
def open_rights(*, actor, specs: Sequence[dict], message: str = "", batch_size: int = 1000) -> list[WaterRight]:
    """Open many rights at once — e.g. the household rights of an irrigation allocation (A4) —
    with the same checks and the same numbering as ``open_right``: every spec is checked first
    (one bad spec refuses them all), then one INSERT per batch, the numbers assigned from the new
    ids in one UPDATE, and one audit record per batch listing the rights opened."""
    built = [_build_right(**spec) for spec in specs]
    out: list[WaterRight] = []
    for i in range(0, len(built), batch_size):
        batch = built[i : i + batch_size]
        if connection.features.can_return_rows_from_bulk_insert:
            WaterRight.objects.bulk_create(batch)
        else:  # pragma: no cover — every supported database returns the new ids
            for right in batch:
                right.save()
        for right in batch:
            right.number = _right_number(right)
        WaterRight.objects.bulk_update(batch, ["number"])
        first = batch[0]
        audit.record(
            actor=actor, action="open_rights", object_type="ledger.waterright", object_id=str(first.pk),
            object_repr=f"{len(batch)} 项用水权（{first.number} 起）", message=message,
            region_code=first.audit_region_code(),
            after={"fields": ["id", "number", "kind", "name", "holder_kind", "holder_name", "annual_volume_m3", "valid_from", "valid_to",
                              "parent_id", "source_id", "use", "is_demo"],
                   "rights": [[r.pk, r.number, r.kind, r.name, r.holder_kind, r.holder_name, r.annual_volume_m3, r.valid_from.isoformat(),
                               r.valid_to.isoformat(), r.parent_id, r.source_id, r.use, r.is_demo] for r in batch]},
        )
        out += batch
    return out


@transaction.atomic
def set_right_status(right: WaterRight, status: str, *, actor, reason: str) -> WaterRight:
    """Suspend, expire, cancel or reactivate a right (its postings stay as they are)."""
    right = WaterRight.objects.select_for_update().get(pk=right.pk)
    before = audit.snapshot(right)
    if status not in RightStatus.values:
        raise ValidationFailed("invalid_status", "无效的状态", "Invalid status")
    right.status = status
    right.save(update_fields=["status"])
    audit.record(actor=actor, action="right_status", obj=right, before=before, after=audit.snapshot(right), message=reason)
    return right


@transaction.atomic
def set_certificate_numbers(pairs: Sequence[tuple[WaterRight, str]], *, actor, message: str = "") -> int:
    """Record the certificate numbers issued for rights (one audit record for the batch)."""
    if not pairs:
        return 0
    ids = sorted({right.pk for right, _n in pairs})
    locked = {r.pk: r for r in WaterRight.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    changed = []
    for right, number in pairs:
        row = locked[right.pk]
        row.certificate_number = number[:40]
        changed.append(row)
    WaterRight.objects.bulk_update(changed, ["certificate_number"], batch_size=1000)
    audit.record(actor=actor, action="certificate_numbers", object_type="ledger.waterright", object_id=str(ids[0]),
                 object_repr=f"{len(changed)} 项用水权", after={"rights": [[r.number, r.certificate_number] for r in changed]},
                 message=message, region_code="")
    return len(changed)


# ---------------------------------------------------------------------------------------------
# Locking helpers
# ---------------------------------------------------------------------------------------------


def _lock_rights(ids: Iterable[int]) -> dict[int, WaterRight]:
    ids = sorted(set(ids))
    rights = WaterRight.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    found = {r.pk: r for r in rights}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed("unknown_right", f"用水权不存在：{missing}", f"Unknown rights: {missing}")
    return found


def _balance_rows(keys: Iterable[tuple[int, int]], rights: dict[int, WaterRight]) -> dict[tuple[int, int], RightBalance]:
    """Lock (creating where missing) the balance rows for (right id, year) keys, in key order."""
    keys = sorted(set(keys))
    right_ids = sorted({k[0] for k in keys})
    years = sorted({k[1] for k in keys})

    def locked() -> dict[tuple[int, int], RightBalance]:
        return {
            (b.right_id, b.year): b
            for b in RightBalance.objects.select_for_update().filter(right_id__in=right_ids, year__in=years).order_by("right_id", "year")
        }

    existing = locked()
    missing = [k for k in keys if k not in existing]
    if missing:
        # One statement for all missing rows; a row created meanwhile by another transaction is
        # skipped (ignore_conflicts) and then locked with the others.
        RightBalance.objects.bulk_create(
            [RightBalance(right_id=k[0], year=k[1], allow_negative=rights[k[0]].allow_negative) for k in missing],
            ignore_conflicts=True, batch_size=1000,
        )
        existing = locked()
    return {k: existing[k] for k in keys}


def _add_to_balances(changes: list[tuple[int, int]], chunk: int = 250) -> None:
    """``balance = balance + delta`` for each (balance row id, delta), as atomic increments in the
    database (the rows are already locked), a few hundred rows per UPDATE."""
    for i in range(0, len(changes), chunk):
        part = changes[i : i + chunk]
        if len(part) == 1:
            RightBalance.objects.filter(pk=part[0][0]).update(balance=F("balance") + part[0][1])
            continue
        increment = Case(*[When(pk=pk, then=Value(delta)) for pk, delta in part], output_field=models.BigIntegerField())
        RightBalance.objects.filter(pk__in=[pk for pk, _delta in part]).update(balance=F("balance") + increment)


def _shortfall(right: WaterRight, year: int, available: int, needed: int) -> dict:
    return {"right": right.number, "right_id": right.pk, "year": year, "available_m3": available, "needed_m3": needed,
            "short_m3": needed - available}


def _insufficient(shortfalls: list[dict], rule: str | None) -> InsufficientVolume:
    first = shortfalls[0]
    return InsufficientVolume(
        rule or "L1",
        "insufficient_volume",
        f"可用水量不足：{first['right']} {first['year']}年可用 {first['available_m3']:,} 立方米，需要 {first['needed_m3']:,} 立方米",
        f"Insufficient available volume: {first['right']} has {first['available_m3']:,} m³ available in "
        f"{first['year']}, {first['needed_m3']:,} m³ needed",
        detail={"shortfalls": shortfalls},
    )


# ---------------------------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------------------------


def _check_lines(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise ValidationFailed("entry_too_short", "一笔分录至少需要两条过账", "An entry needs at least two postings")
    per_year: dict[int, int] = defaultdict(int)
    for line in lines:
        if not isinstance(line.amount, int) or isinstance(line.amount, bool):
            raise ValidationFailed("invalid_amount", "过账水量须为整数立方米", "Posting amounts must be integer m³")
        if line.amount == 0:
            raise ValidationFailed("zero_amount", "过账水量不能为0", "A posting amount cannot be zero")
        if not isinstance(line.year, int) or not 1949 <= line.year <= 2200:
            raise ValidationFailed("invalid_year", "年度无效", "Invalid year")
        per_year[line.year] += line.amount
    unbalanced = {y: s for y, s in per_year.items() if s != 0}
    if unbalanced:
        raise ValidationFailed(
            "unbalanced_entry",
            f"分录不平衡：各年度过账之和须为0（{unbalanced}）",
            f"Unbalanced entry: postings must sum to zero for each year ({unbalanced})",
            detail={"unbalanced": {str(k): v for k, v in unbalanced.items()}},
        )


@transaction.atomic
def post_entry(
    *,
    actor,
    kind: str,
    memo: str,
    lines: Sequence[Line],
    effective_date: dt.date | None = None,
    reference: tuple[str, str] | None = None,
    reverses: JournalEntry | None = None,
    shortfall_rule: str | None = None,
    is_demo: bool = False,
) -> JournalEntry:
    """Post a balanced entry. Refuses unbalanced or zero lines, years outside a right's validity,
    inactive rights, debits of the ecological reserve (A2), and any debit that would leave a
    right's available volume (balance − locks) below zero for a year."""
    _check_lines(lines)
    rights = _lock_rights(line.right.pk for line in lines)
    deltas: dict[tuple[int, int], int] = defaultdict(int)
    for line in lines:
        right = rights[line.right.pk]
        # A reversal may return the reserve to where it came from (it undoes the posting that
        # reserved it); nothing else may take it.
        if line.amount < 0 and right.kind in NEVER_MOVES and not (kind == EntryKind.REVERSAL and reverses is not None):
            raise RuleViolation(
                "A2", "ecological_reserve",
                f"{right.name} 是河道基本生态水量，不得分配或交易",
                f"{right.name} is the river's ecological reserve: it cannot be allocated or traded",
            )
        if kind != EntryKind.REVERSAL and right.status != RightStatus.ACTIVE:
            raise Conflict("right_inactive", f"用水权 {right.number} 不是有效状态", f"Right {right.number} is not active")
        if not right.allow_negative and not right.covers_year(line.year):
            raise ValidationFailed(
                "year_outside_validity",
                f"{line.year}年不在用水权 {right.number} 的有效期（{right.valid_from}至{right.valid_to}）内",
                f"{line.year} is outside the validity of right {right.number} ({right.valid_from} to {right.valid_to})",
            )
        deltas[(right.pk, line.year)] += line.amount
    rows = _balance_rows(deltas.keys(), rights)
    shortfalls = []
    for key, delta in deltas.items():
        row = rows[key]
        right = rights[key[0]]
        if delta < 0 and not right.allow_negative and row.balance + delta - row.locked < 0:
            shortfalls.append(_shortfall(right, key[1], row.balance - row.locked, -delta))
    if shortfalls:
        raise _insufficient(shortfalls, shortfall_rule)
    _add_to_balances([(rows[key].pk, delta) for key, delta in deltas.items() if delta])
    entry = JournalEntry.objects.create(
        kind=kind,
        memo=memo[:300],
        effective_date=effective_date or timezone.localdate(),
        created_by=actor if getattr(actor, "pk", None) else None,
        reverses=reverses,
        reference_type=reference[0] if reference else "",
        reference_id=str(reference[1]) if reference else "",
        is_demo=is_demo,
    )
    Posting.objects.bulk_create(
        [Posting(entry=entry, right_id=line.right.pk, year=line.year, amount=line.amount) for line in lines]
    )
    audit.record(
        actor=actor,
        action="post_entry",
        obj=entry,
        after={
            "kind": kind,
            "memo": memo,
            "reference": list(reference) if reference else None,
            "reverses": reverses.pk if reverses else None,
            "postings": [[rights[line.right.pk].number, line.year, line.amount] for line in lines],
        },
        region_code="",
    )
    return entry


def transfer(
    *,
    actor,
    kind: str,
    memo: str,
    source: WaterRight,
    target: WaterRight,
    years: Iterable[int],
    amount: int,
    reference: tuple[str, str] | None = None,
    shortfall_rule: str | None = None,
    is_demo: bool = False,
) -> JournalEntry:
    """Move ``amount`` m³ from ``source`` to ``target`` for each of ``years`` (one entry)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed("invalid_amount", "水量须为正整数（立方米）", "Volume must be a positive integer (m³)")
    lines = []
    for year in sorted(set(years)):
        lines += [Line(source, year, -amount), Line(target, year, amount)]
    if not lines:
        raise ValidationFailed("no_years", "未指定年度", "No years given")
    return post_entry(actor=actor, kind=kind, memo=memo, lines=lines, reference=reference,
                      shortfall_rule=shortfall_rule, is_demo=is_demo)


@transaction.atomic
def reverse_entry(entry: JournalEntry, *, actor, reason: str) -> JournalEntry:
    """Correct an entry by posting its exact opposite (the original stays as it was)."""
    require_role(actor, message="只有市水利局可以冲正分录", message_en="Only the city water bureau may reverse entries")
    if not reason.strip():
        raise ValidationFailed("reason_required", "冲正须说明理由", "A reversal needs a reason")
    entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise Conflict("already_reversed", f"分录 {entry.number} 已被冲正", f"Entry {entry.number} has already been reversed")
    lines = [Line(p.right, p.year, -p.amount) for p in entry.postings.select_related("right")]
    return post_entry(
        actor=actor, kind=EntryKind.REVERSAL, memo=f"冲正 {entry.number}：{reason}"[:300], lines=lines,
        reverses=entry, reference=("ledger.journalentry", str(entry.pk)),
    )


# ---------------------------------------------------------------------------------------------
# Locks
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def lock_volume(
    right: WaterRight,
    year: int,
    amount: int,
    *,
    actor,
    kind: str = LockKind.OTHER,
    reference: tuple[str, str] | None = None,
    memo: str = "",
    rule: str | None = None,
) -> VolumeLock:
    """Reserve ``amount`` m³ of ``right`` in ``year`` (a listing, pledge or order)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed("invalid_amount", "冻结水量须为正整数（立方米）", "Locked volume must be a positive integer (m³)")
    rights = _lock_rights([right.pk])
    right = rights[right.pk]
    if right.kind in NEVER_MOVES:
        raise RuleViolation("A2", "ecological_reserve", "河道基本生态水量不得冻结、交易", "The ecological reserve cannot be locked or traded")
    if right.allow_negative:
        raise ValidationFailed("not_lockable", "指标来源账户不能冻结", "Issuance accounts cannot be locked")
    if right.status != RightStatus.ACTIVE:
        raise Conflict("right_inactive", f"用水权 {right.number} 不是有效状态", f"Right {right.number} is not active")
    if not right.covers_year(year):
        raise ValidationFailed("year_outside_validity", f"{year}年不在用水权有效期内", f"{year} is outside the right's validity")
    row = _balance_rows([(right.pk, year)], rights)[(right.pk, year)]
    if row.balance - row.locked < amount:
        raise _insufficient([_shortfall(right, year, row.balance - row.locked, amount)], rule)
    RightBalance.objects.filter(pk=row.pk).update(locked=F("locked") + amount)
    lock = VolumeLock.objects.create(
        right=right, year=year, amount=amount, kind=kind, memo=memo[:300],
        reference_type=reference[0] if reference else "", reference_id=str(reference[1]) if reference else "",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(actor=actor, action="lock_volume", obj=lock, after=audit.snapshot(lock), region_code=right.audit_region_code())
    return lock


def _close_lock(lock: VolumeLock, status: str, *, actor, reason: str) -> VolumeLock:
    # Same lock order as every other ledger write: the right first, then its rows.
    _lock_rights([VolumeLock.objects.values_list("right_id", flat=True).get(pk=lock.pk)])
    lock = VolumeLock.objects.select_for_update().select_related("right").get(pk=lock.pk)
    if lock.status != LockStatus.ACTIVE:
        raise Conflict("lock_not_active", "该冻结已解除或已成交", "This lock is no longer active")
    before = audit.snapshot(lock)
    row = RightBalance.objects.select_for_update().get(right_id=lock.right_id, year=lock.year)
    RightBalance.objects.filter(pk=row.pk).update(locked=F("locked") - lock.amount)
    lock.status = status
    lock.closed_at = timezone.now()
    lock.closed_by = actor if getattr(actor, "pk", None) else None
    lock.close_reason = reason[:300]
    lock.save(update_fields=["status", "closed_at", "closed_by", "close_reason"])
    audit.record(actor=actor, action=f"lock_{status}", obj=lock, before=before, after=audit.snapshot(lock),
                 message=reason, region_code=lock.right.audit_region_code())
    return lock


@transaction.atomic
def release_lock(lock: VolumeLock, *, actor, reason: str) -> VolumeLock:
    """Give locked volume back to the right's available volume (listing cancelled, pledge released)."""
    return _close_lock(lock, LockStatus.RELEASED, actor=actor, reason=reason)


@transaction.atomic
def consume_lock(lock: VolumeLock, *, actor, reason: str) -> VolumeLock:
    """Close a lock because its volume is being posted away (the caller posts in the same transaction)."""
    return _close_lock(lock, LockStatus.CONSUMED, actor=actor, reason=reason)


# ---------------------------------------------------------------------------------------------
# Reading balances
# ---------------------------------------------------------------------------------------------


def balance(right: WaterRight, year: int) -> int:
    row = RightBalance.objects.filter(right=right, year=year).first()
    return row.balance if row else 0


def available(right: WaterRight, year: int) -> int:
    row = RightBalance.objects.filter(right=right, year=year).first()
    return (row.balance - row.locked) if row else 0


def balances(right: WaterRight) -> list[RightBalance]:
    return list(RightBalance.objects.filter(right=right).order_by("year"))


def balance_map(rights: Iterable[WaterRight] | models.QuerySet, year: int) -> dict[int, RightBalance]:
    ids = [r.pk for r in rights] if not isinstance(rights, models.QuerySet) else rights.values("pk")
    return {b.right_id: b for b in RightBalance.objects.filter(right_id__in=ids, year=year)}


def posted_sum(right: WaterRight, year: int) -> int:
    """The balance recomputed from postings (what ``RightBalance`` must equal)."""
    return Posting.objects.filter(right=right, year=year).aggregate(s=Sum("amount"))["s"] or 0


def right_for_permit(permit) -> WaterRight | None:
    return WaterRight.objects.filter(permit=permit, kind=RightKind.WITHDRAWAL).exclude(status=RightStatus.CANCELLED).order_by("pk").first()


def right_for_region(region, kind: str = RightKind.REGIONAL) -> WaterRight | None:
    return WaterRight.objects.filter(holder_region=region, kind=kind).exclude(status=RightStatus.CANCELLED).order_by("pk").first()


@transaction.atomic
def adjust(*, actor, memo: str, lines: Sequence[Line]) -> JournalEntry:
    """A manual correcting entry by the city bureau (e.g. an approved plan revision)."""
    require_role(actor, message="只有市水利局可以调整账目", message_en="Only the city water bureau may post adjustments")
    return post_entry(actor=actor, kind=EntryKind.ADJUSTMENT, memo=memo, lines=lines)


__all__ = [
    "Line", "open_right", "open_rights", "set_right_status", "post_entry", "transfer", "reverse_entry", "lock_volume",
    "release_lock", "consume_lock", "set_certificate_numbers", "balance", "available", "balances", "balance_map", "posted_sum",
    "right_for_permit", "right_for_region", "adjust", "Role",
]
