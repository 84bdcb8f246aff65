"""Finance services: pledges and mortgages of water rights (§7.2.5) and fee-collection-right transfers.

Pledge procedure (each step audited, with a history row):
  apply (the right's holder, or its county bureau on the holder's behalf)
  → bank confirms with its own reference (the pledgee's staff)
  → the water bureau registers it (the right's county bureau or the city bureau): the pledged
    volume is locked in the ledger for every pledged year, so it cannot be sold or pledged again
  → released by the pledgee (locks released), or enforced: the pledgee asks, the bureau approves,
    and the volume is sold through the normal trade rules (``trading``) with the proceeds routed to
    the pledgee.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shuiquan.core import audit
from shuiquan.core.errors import Conflict, Forbidden, InsufficientVolume, ValidationFailed
from shuiquan.core.roles import Role
from shuiquan.core.scoping import CHANGE, VIEW, can, require_role
from shuiquan.core.units import money
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import LockKind, LockStatus, RightKind, RightStatus
from shuiquan.ledger.models import VolumeLock, WaterRight

from .models import (
    ACTIVE_PLEDGE_STATUSES,
    Bank,
    FeeRightStatus,
    FeeRightTransfer,
    Pledge,
    PledgeEvent,
    PledgeKind,
    PledgeStatus,
)

PLEDGEABLE_KINDS = {RightKind.WITHDRAWAL, RightKind.IRRIGATION, RightKind.HOUSEHOLD, RightKind.RESERVE}


def _event(pledge: Pledge, actor, from_status: str, note: str = "") -> None:
    PledgeEvent.objects.create(pledge=pledge, actor=actor, from_status=from_status, to_status=pledge.status, note=note[:300])


def _is_bank_staff(user, bank: Bank) -> bool:
    return user.is_authenticated and user.role == Role.BANK and bank.staff.filter(pk=user.pk).exists()


def _is_bureau_for(user, right: WaterRight) -> bool:
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    return user.role == Role.COUNTY_OFFICER and right.region_id is not None and right.region_id == user.region_id


def _is_holder_side(user, right: WaterRight) -> bool:
    return can(user, right, VIEW) and user.role in (Role.PERMIT_HOLDER, Role.ASSOCIATION_REP, Role.DISTRICT_MANAGER)


def _transition(pledge: Pledge, allowed_from: tuple, to: str, actor, note: str = "") -> Pledge:
    if pledge.status not in allowed_from:
        raise Conflict("invalid_transition", f"当前状态（{pledge.get_status_display()}）不能执行此操作",
                       f"Not allowed from status {pledge.status}")
    before = audit.snapshot(pledge)
    old = pledge.status
    pledge.status = to
    return pledge, before, old


@transaction.atomic
def apply_pledge(*, actor, right: WaterRight, bank: Bank, kind: str, first_year: int, last_year: int, volume_m3: int,
                 secured_amount, loan_contract_no: str, purpose: str = "", is_demo: bool = False) -> Pledge:
    right = WaterRight.objects.select_for_update().get(pk=right.pk)
    if not (_is_holder_side(actor, right) or _is_bureau_for(actor, right)):
        raise Forbidden(code="not_holder", message="只有用水权人或其主管水行政部门可以申请质押",
                        message_en="Only the right's holder or its water bureau may apply for a pledge")
    if kind not in PledgeKind.values:
        raise ValidationFailed("invalid_kind", "无效的质押类型", "Invalid pledge kind")
    if right.kind not in PLEDGEABLE_KINDS or right.status != RightStatus.ACTIVE:
        raise ValidationFailed("not_pledgeable", "该类用水权不能质押（仅限有效的取水权、灌溉用水权和收储水权）",
                               "This right cannot be pledged (only active withdrawal, irrigation and reserve rights)")
    if not (right.covers_year(first_year) and right.covers_year(last_year)) or last_year < first_year:
        raise ValidationFailed("year_outside_validity", "质押年度须在用水权有效期内", "Pledged years must be within the right's validity")
    if kind == PledgeKind.INCOME_PLEDGE:
        volume_m3 = 0
    elif not isinstance(volume_m3, int) or isinstance(volume_m3, bool) or volume_m3 <= 0:
        raise ValidationFailed("invalid_volume", "质押水量须为正整数（立方米）", "Pledged volume must be a positive integer (m³)")
    try:
        amount = money(secured_amount)
    except (TypeError, ArithmeticError, ValueError):
        raise ValidationFailed("invalid_amount", "担保金额无效", "Invalid secured amount") from None
    if amount <= 0:
        raise ValidationFailed("invalid_amount", "担保金额应大于0", "The secured amount must be positive")
    if not loan_contract_no.strip():
        raise ValidationFailed("contract_required", "须填写借款合同编号", "The loan contract number is required")
    if volume_m3:
        short = [y for y in range(first_year, last_year + 1) if ledger.available(right, y) < volume_m3]
        if short:
            raise InsufficientVolume(
                None, "pledge_insufficient_volume",
                f"{short[0]}年可用水量 {ledger.available(right, short[0]):,} 立方米，不足质押水量 {volume_m3:,} 立方米",
                f"Only {ledger.available(right, short[0]):,} m³ available in {short[0]}; {volume_m3:,} m³ asked",
                detail={"years": short},
            )
    pledge = Pledge.objects.create(kind=kind, right=right, bank=bank, first_year=first_year, last_year=last_year,
                                   volume_m3=volume_m3, secured_amount=amount, loan_contract_no=loan_contract_no.strip(),
                                   purpose=purpose, applied_by=actor, is_demo=is_demo)
    _event(pledge, actor, "", "申请")
    audit.record(actor=actor, action="pledge_apply", obj=pledge, after=audit.snapshot(pledge))
    return pledge


@transaction.atomic
def confirm_by_bank(pledge: Pledge, *, actor, bank_reference: str) -> Pledge:
    pledge = Pledge.objects.select_for_update().select_related("bank").get(pk=pledge.pk)
    if not _is_bank_staff(actor, pledge.bank):
        raise Forbidden(code="not_pledgee", message="只有质权人（金融机构）经办人员可以确认", message_en="Only the pledgee's staff may confirm")
    if not bank_reference.strip():
        raise ValidationFailed("bank_reference_required", "须填写金融机构登记编号", "The bank's reference is required")
    pledge, before, old = _transition(pledge, (PledgeStatus.APPLIED,), PledgeStatus.BANK_CONFIRMED, actor)
    pledge.bank_reference = bank_reference.strip()
    pledge.save()
    _event(pledge, actor, old, f"金融机构登记编号 {pledge.bank_reference}")
    audit.record(actor=actor, action="pledge_bank_confirm", obj=pledge, before=before, after=audit.snapshot(pledge))
    return pledge


@transaction.atomic
def register_pledge(pledge: Pledge, *, actor) -> Pledge:
    """The water bureau registers the pledge: volume pledges lock the volume for each year."""
    pledge = Pledge.objects.select_for_update().select_related("right").get(pk=pledge.pk)
    if not _is_bureau_for(actor, pledge.right):
        raise Forbidden(code="not_registrar", message="质押登记由用水权所在地水行政主管部门办理",
                        message_en="Pledges are registered by the right's water bureau")
    pledge, before, old = _transition(pledge, (PledgeStatus.BANK_CONFIRMED,), PledgeStatus.REGISTERED, actor)
    if pledge.locks_volume:
        for year in pledge.years():
            try:
                ledger.lock_volume(pledge.right, year, pledge.volume_m3, actor=actor, kind=LockKind.PLEDGE,
                                   reference=("finance.pledge", str(pledge.pk)), memo=f"质押 {pledge.bank}")
            except InsufficientVolume as exc:
                raise InsufficientVolume(
                    None, "pledge_insufficient_volume",
                    f"{year}年可用水量不足，无法登记质押：{exc.message}", f"Cannot register the pledge for {year}: {exc.message_en}",
                    detail=exc.detail,
                ) from None
    pledge.registered_at = timezone.now()
    pledge.save()
    pledge.number = f"南阳水权质登〔{pledge.registered_at:%Y}〕{pledge.pk:05d}号"
    pledge.save(update_fields=["number"])
    _event(pledge, actor, old, "登记")
    audit.record(actor=actor, action="pledge_register", obj=pledge, before=before, after=audit.snapshot(pledge))
    return pledge


@transaction.atomic
def reject_pledge(pledge: Pledge, *, actor, reason: str) -> Pledge:
    pledge = Pledge.objects.select_for_update().select_related("right").get(pk=pledge.pk)
    if not _is_bureau_for(actor, pledge.right):
        raise Forbidden(code="not_registrar", message="只有登记机关可以不予登记", message_en="Only the registrar may reject")
    if not reason.strip():
        raise ValidationFailed("reason_required", "须说明理由", "A reason is required")
    pledge, before, old = _transition(pledge, (PledgeStatus.APPLIED, PledgeStatus.BANK_CONFIRMED), PledgeStatus.REJECTED, actor)
    pledge.closed_at = timezone.now()
    pledge.save()
    _event(pledge, actor, old, reason)
    audit.record(actor=actor, action="pledge_reject", obj=pledge, before=before, after=audit.snapshot(pledge), message=reason)
    return pledge


def pledge_locks(pledge: Pledge):
    return VolumeLock.objects.filter(reference_type="finance.pledge", reference_id=str(pledge.pk), status=LockStatus.ACTIVE)


@transaction.atomic
def release_pledge(pledge: Pledge, *, actor, note: str = "") -> Pledge:
    """Only the pledgee releases a pledge (the loan is repaid); the locked volume becomes available."""
    pledge = Pledge.objects.select_for_update().select_related("bank", "right").get(pk=pledge.pk)
    if not _is_bank_staff(actor, pledge.bank):
        raise Forbidden(code="not_pledgee", message="质押只能由质权人（金融机构）解除", message_en="Only the pledgee may release the pledge")
    pledge, before, old = _transition(pledge, (PledgeStatus.REGISTERED,), PledgeStatus.RELEASED, actor)
    for lock in pledge_locks(pledge):
        ledger.release_lock(lock, actor=actor, reason=f"解除质押 {pledge.number}")
    pledge.closed_at = timezone.now()
    pledge.save()
    _event(pledge, actor, old, note or "解除质押")
    audit.record(actor=actor, action="pledge_release", obj=pledge, before=before, after=audit.snapshot(pledge), message=note)
    return pledge


@transaction.atomic
def request_enforcement(pledge: Pledge, *, actor, buyer: str, reason: str) -> Pledge:
    """The pledgee asks to realise the pledge (default on the loan); the sale then goes through trading."""
    pledge = Pledge.objects.select_for_update().select_related("bank").get(pk=pledge.pk)
    if not _is_bank_staff(actor, pledge.bank):
        raise Forbidden(code="not_pledgee", message="只有质权人可以申请处置", message_en="Only the pledgee may ask for enforcement")
    if not reason.strip():
        raise ValidationFailed("reason_required", "须说明处置理由（如借款逾期）", "A reason is required")
    pledge, before, old = _transition(pledge, (PledgeStatus.REGISTERED,), PledgeStatus.ENFORCING, actor)
    pledge.enforcement_buyer = buyer[:200]
    pledge.save()
    _event(pledge, actor, old, reason)
    audit.record(actor=actor, action="pledge_enforcement_request", obj=pledge, before=before, after=audit.snapshot(pledge), message=reason)
    return pledge


def pledged_volume(right: WaterRight, year: int) -> int:
    """Volume of ``right`` locked by active pledges in ``year`` (the trading rules refuse to sell it)."""
    ids = Pledge.objects.filter(right=right, status__in=ACTIVE_PLEDGE_STATUSES).values_list("pk", flat=True)
    return VolumeLock.objects.filter(
        right=right, year=year, status=LockStatus.ACTIVE, reference_type="finance.pledge",
        reference_id__in=[str(i) for i in ids],
    ).aggregate(s=Sum("amount"))["s"] or 0


def pledge_holders(right: WaterRight, year: int) -> list[str]:
    """Names of the banks holding active volume pledges on ``right`` in ``year`` (for refusals)."""
    ids = VolumeLock.objects.filter(right=right, year=year, status=LockStatus.ACTIVE, reference_type="finance.pledge").values_list(
        "reference_id", flat=True)
    return sorted({p.bank.name for p in Pledge.objects.filter(pk__in=[int(i) for i in ids if str(i).isdigit()],
                                                              status__in=ACTIVE_PLEDGE_STATUSES).select_related("bank")})


ENFORCEMENT_TRADE_TYPES = {RightKind.WITHDRAWAL: "permit", RightKind.IRRIGATION: "irrigation", RightKind.HOUSEHOLD: "irrigation",
                           RightKind.RESERVE: "regional"}


@transaction.atomic
def approve_enforcement(pledge: Pledge, *, actor, buyer: str, unit_price, savings=None, trade_type: str | None = None,
                        works_manager_opinion: str = "", note: str = "") -> Pledge:
    """The city bureau approves the pledgee's enforcement: the pledged volume is sold to the
    pledgee's buyer through trading's normal procedure and rules (application, the approving
    authority's verification, agreement). In this one transaction the pledge's locks are released
    and the trade's own lock takes their place at the agreement, so the volume is never free in
    between; if any step is refused, nothing changes and the pledge stays locked. The trade then
    goes on as any trade (signatures, payment, settlement, registration); its proceeds go first to
    the pledgee up to the secured amount (``funds.recipients``), and its registration completes the
    pledge (``complete_enforcement``)."""
    from shuiquan.trading import clock
    from shuiquan.trading import services as trading
    from shuiquan.trading.choices import TradeStatus

    require_role(actor, message="质权实现由市水利局批准并组织交易", message_en="Only the city water bureau approves enforcement")
    pledge = Pledge.objects.select_for_update().select_related("right", "bank").get(pk=pledge.pk)
    if pledge.status != PledgeStatus.ENFORCING:
        raise Conflict("invalid_transition", "质权人尚未申请处置，或质押已解除/已处置", "The pledgee has not asked for enforcement")
    if not pledge.locks_volume:
        raise Conflict("income_pledge", "收益权质押不处置水量：交易收益直接划付质权人", "An income pledge is realised from proceeds, not by a sale")
    if pledge.enforcement_trade_id is not None:
        raise Conflict("already_enforcing", f"已组织处置交易 {pledge.enforcement_reference}", "An enforcement trade already exists")
    trade_type = trade_type or ENFORCEMENT_TRADE_TYPES.get(pledge.right.kind)
    if trade_type is None:
        raise ValidationFailed("not_tradable", "该用水权不能通过交易处置", "This right cannot be sold")
    start = max(pledge.first_year, clock.this_year())
    if start > pledge.last_year:
        raise Conflict("pledge_years_past", "质押年度已过，无可处置水量", "The pledged years have passed")
    for lock in pledge_locks(pledge):
        ledger.release_lock(lock, actor=actor, reason=f"质权实现：转由交易处置（{pledge.number}）")
    trade = trading.apply_trade(actor=actor, trade_type=trade_type, seller_right=pledge.right, volume_m3=pledge.volume_m3,
                                start_year=start, end_year=pledge.last_year, buyer=buyer, savings=savings,
                                note=f"质权实现：{pledge.number}（质权人 {pledge.bank}）{note}".strip())
    if trade.status in (TradeStatus.APPLIED, TradeStatus.CONSULTED):
        trade = trading.verify_trade(actor=actor, trade=trade, note=f"质权实现：{pledge.number}", works_manager_opinion=works_manager_opinion)
    trade = trading.agree(actor=actor, trade=trade, unit_price=unit_price)
    before = audit.snapshot(pledge)
    pledge.enforcement_trade = trade
    pledge.enforcement_reference = trade.number
    pledge.enforcement_buyer = trade.buyer_name[:200]
    pledge.save()
    _event(pledge, actor, pledge.status, f"批准处置，交易 {trade.number}")
    audit.record(actor=actor, action="pledge_enforcement_approve", obj=pledge, before=before, after=audit.snapshot(pledge), message=note)
    return pledge


def complete_enforcement(trade) -> Pledge | None:
    """Called when a trade is registered: a pledge enforced through it is closed (已处置)."""
    pledge = Pledge.objects.select_for_update().filter(enforcement_trade=trade, status=PledgeStatus.ENFORCING).first()
    if pledge is None:
        return None
    before = audit.snapshot(pledge)
    pledge.status = PledgeStatus.ENFORCED
    pledge.closed_at = timezone.now()
    pledge.save()
    actor = trade.history.order_by("-pk").values_list("actor", flat=True).first()
    from shuiquan.core.models import User

    actor = User.objects.filter(pk=actor).first() if actor else None
    PledgeEvent.objects.create(pledge=pledge, actor=actor or trade.applicant, from_status=PledgeStatus.ENFORCING, to_status=pledge.status,
                               note=f"处置交易 {trade.number} 已登记过户")
    audit.record(actor=actor, action="pledge_enforced", obj=pledge, before=before, after=audit.snapshot(pledge))
    return pledge


def enforcement_trade_ended(trade) -> Pledge | None:
    """Called when a trade is cancelled, rejected or fails: a pledge being enforced through it is
    locked again (its volume is the pledgee's security until another sale or a release)."""
    pledge = Pledge.objects.select_for_update().select_related("right").filter(enforcement_trade=trade,
                                                                               status=PledgeStatus.ENFORCING).first()
    if pledge is None:
        return None
    before = audit.snapshot(pledge)
    actor = trade.applicant
    from shuiquan.trading import clock

    for year in range(max(pledge.first_year, clock.this_year()), pledge.last_year + 1):
        ledger.lock_volume(pledge.right, year, pledge.volume_m3, actor=actor, kind=LockKind.PLEDGE,
                           reference=("finance.pledge", str(pledge.pk)), memo=f"处置交易 {trade.number} 未成，恢复质押冻结")
    pledge.enforcement_trade = None
    pledge.save()
    PledgeEvent.objects.create(pledge=pledge, actor=actor, from_status=pledge.status, to_status=pledge.status,
                               note=f"处置交易 {trade.number} 未成，恢复冻结")
    audit.record(actor=actor, action="pledge_relock", obj=pledge, before=before, after=audit.snapshot(pledge))
    return pledge


def income_pledgee(right: WaterRight) -> Pledge | None:
    """An active income pledge on ``right``: its trade proceeds go to the pledgee first."""
    return Pledge.objects.filter(right=right, kind=PledgeKind.INCOME_PLEDGE, status__in=ACTIVE_PLEDGE_STATUSES).first()


@transaction.atomic
def register_fee_right_transfer(*, actor, grantor, project: str, transferee: str, amount, start_date, end_date, purpose: str,
                                bank: Bank | None = None, reservoir=None, is_demo: bool = False) -> FeeRightTransfer:
    require_role(actor, Role.COUNTY_OFFICER)
    if actor.role == Role.COUNTY_OFFICER and grantor.region_id != actor.region_id:
        raise Forbidden(code="out_of_scope", message="不在您的管辖范围内", message_en="Outside your scope")
    try:
        amount = money(amount)
    except (TypeError, ArithmeticError, ValueError):
        raise ValidationFailed("invalid_amount", "融资金额无效", "Invalid amount") from None
    if amount <= Decimal("0"):
        raise ValidationFailed("invalid_amount", "融资金额应大于0", "The amount must be positive")
    if end_date <= start_date:
        raise ValidationFailed("invalid_dates", "终止日期应晚于起始日期", "The end date must be after the start date")
    row = FeeRightTransfer.objects.create(grantor=grantor, project=project, transferee=transferee, bank=bank, amount=amount,
                                          start_date=start_date, end_date=end_date, purpose=purpose, reservoir=reservoir,
                                          registered_by=actor, is_demo=is_demo)
    row.number = f"南阳收费权登〔{row.registered_at:%Y}〕{row.pk:05d}号"
    row.save(update_fields=["number"])
    audit.record(actor=actor, action="create", obj=row, after=audit.snapshot(row))
    return row


@transaction.atomic
def terminate_fee_right_transfer(row: FeeRightTransfer, *, actor, reason: str) -> FeeRightTransfer:
    row = FeeRightTransfer.objects.select_for_update().get(pk=row.pk)
    if not can(actor, row, CHANGE):
        raise Forbidden(code="out_of_scope", message="无权修改该记录", message_en="You may not change this record")
    if row.status != FeeRightStatus.REGISTERED:
        raise Conflict("invalid_transition", "该记录已终止", "Already terminated")
    before = audit.snapshot(row)
    row.status = FeeRightStatus.TERMINATED
    row.save()
    audit.record(actor=actor, action="terminate", obj=row, before=before, after=audit.snapshot(row), message=reason)
    return row
