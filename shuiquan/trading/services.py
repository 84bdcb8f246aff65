"""Trading services: every step of every procedure (§7.2), one function each.

Each runs in one transaction, locks what it changes (the trade row first, then its listing and
auction, then — through ``ledger.services`` — the rights in primary-key order), re-checks state
and rules under the lock, writes, records the audit event, and raises a ``core.errors`` domain
error on refusal (nothing written). Notifications go out only after commit.

Procedures (``Trade.status`` transitions, declared on the model):

- withdrawal-permit trade: apply → verify (approving authority, 20 working days) → publish
  (listing) or agree (negotiated) → [close_notice → close_auction] → sign (both) → pay → settle →
  register (ledger per year; T7 permit change for terms over a year) → expire (T8) / renew;
- regional trade: apply → [consult_snwd] → verify (city) → … → sign → file_province → pay →
  settle → register (ledger, dispatch plan) → expire;
- irrigation-user trade: apply → accept (≤ 1 year) or file_record (备案, > 1 year) → … → settle
  (≤ 1 year: registered at once) → register → expire. First-purchase window on listings.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from shuiquan.core import audit, config, crud, faults, retry
from shuiquan.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientVolume,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from shuiquan.core.roles import Role
from shuiquan.core.scoping import require_role
from shuiquan.core.units import money, split_by_weights
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, LockKind, LockStatus, RightKind, RightStatus
from shuiquan.ledger.models import Reserve, VolumeLock, WaterRight
from shuiquan.registry import models as reg
from shuiquan.registry.choices import AuthorityLevel, PermitStatus, RegionKind, SourceKind, WaterUse

from . import clock, rules
from .choices import (
    AuctionStatus,
    Basis,
    DepositStatus,
    IntentStatus,
    ListingStatus,
    PaymentKind,
    PermitChangeKind,
    RestrictionKind,
    SavingSource,
    SavingStatus,
    Stage,
    TradeMode,
    TradeStatus,
    TradeType,
)
from .models import (
    Auction,
    Bid,
    DispatchPlanLine,
    Listing,
    ListingIntent,
    Payment,
    PermitChange,
    Pooling,
    PoolingReturn,
    PoolingShare,
    SavingsVerification,
    Trade,
    TradeTransition,
    TradingRestriction,
)
from .notifications import notify
from .parties import Party, acts_for, buyer_right, parse_ref, party_of_right
from .workdays import add_working_days

log = logging.getLogger("shuiquan.trading")

PLATFORM = "南阳市水权交易平台"
DEPOSIT_ACCOUNT = "南阳市水权交易平台（保证金专户）"
REF = "trading.trade"

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def run(fn, *args, attempts: int = retry.DEFAULT_ATTEMPTS, **kwargs):
    """Call a service with ``core.retry``'s bounded retry of the whole transaction (deadlock,
    serialization failure, SQLite busy — only when not already inside a transaction); a
    django-fsm concurrent-transition error becomes a 409 refusal."""
    try:
        return retry.run(fn, *args, attempts=attempts, **kwargs)
    except ConcurrentTransition:
        raise Conflict("concurrent_change", "该交易刚被他人处理，请刷新后重试", "The trade was changed by someone else; reload and retry") from None


def _positive_int(value, name: str, zh: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, float) or (isinstance(value, str) and not value.strip().isdigit()):
                raise ValueError
            value = int(value)
        except (TypeError, ValueError):
            raise ValidationFailed("invalid", f"{zh}须为正整数", f"{name} must be a positive integer", detail={"fields": {name: [f"{zh}须为正整数"]}}) from None
    if value <= 0:
        raise ValidationFailed("invalid", f"{zh}须为正整数", f"{name} must be a positive integer", detail={"fields": {name: [f"{zh}须为正整数"]}})
    return value


def _price(value, name: str = "unit_price") -> Decimal:
    if isinstance(value, float):
        raise ValidationFailed("invalid_price", "价格不能为浮点数", "Prices must not be floats")
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise ValidationFailed("invalid_price", "价格格式无效", "Invalid price", detail={"fields": {name: ["价格格式无效"]}}) from None
    if not d.is_finite() or d < 0 or d != d.quantize(Decimal("0.0001")) or d >= Decimal("100000000"):
        raise ValidationFailed("invalid_price", "单价须为不小于0、最多四位小数的金额（元/立方米）",
                               "Unit price must be ≥ 0 with at most four decimal places (yuan/m³)", detail={"fields": {name: ["单价无效"]}})
    return d


def _lock_trade(trade_or_pk) -> Trade:
    pk = getattr(trade_or_pk, "pk", trade_or_pk)
    try:
        return Trade.objects.select_for_update(of=("self",)).select_related("seller_right", "buyer_right", "seller_permit", "buyer_permit").get(pk=pk)
    except (Trade.DoesNotExist, ValueError, TypeError):
        raise NotFound("交易不存在", "No such trade") from None


def _label(name: str) -> tuple[str, str]:
    meta = getattr(getattr(Trade, name), "_django_fsm")
    t = next(iter(meta.transitions.values()))
    return t.custom.get("label", name), t.custom.get("label_en", name)


def _step(trade: Trade, name: str, actor, note: str = "", **kwargs) -> None:
    """Take transition ``name``: refuse if the state does not allow it (409) or the actor may not (403)."""
    method = getattr(trade, name)
    label, label_en = _label(name)
    if not can_proceed(method):
        raise Conflict("transition_not_allowed",
                       f"交易 {trade.number} 当前状态为“{trade.get_status_display()}”，不能{label}",
                       f"Trade {trade.number} is '{trade.status}': cannot {label_en.lower()}")
    if actor is not None and not has_transition_perm(method, actor):
        raise Forbidden(f"您无权对交易 {trade.number} 执行“{label}”", f"You may not '{label_en}' trade {trade.number}", code="step_forbidden")
    before = trade.status
    method(by=actor, note=note, **kwargs)
    trade.save()
    audit.record(actor=actor, action=f"trade_{name}", obj=trade, before={"status": before}, after={"status": trade.status},
                 message=note)


def _system(actor):
    return actor if getattr(actor, "pk", None) else None


def _fill_side(trade: Trade, side: str, party: Party | None, right: WaterRight | None) -> None:
    if side == "seller":
        trade.seller_right = right
    fields = dict(name="", kind="", region=None, water_user=None, association=None, household=None, reserve=None, permit=None)
    if party is not None:
        fields.update(name=party.name, kind=party.kind, region=party.region, water_user=party.water_user, association=party.association,
                      household=party.household, reserve=party.reserve, permit=party.permit)
    for key, value in fields.items():
        setattr(trade, f"{side}_{key}", value if value is not None or key not in ("name", "kind") else "")
    if side == "buyer":
        trade.buyer_ref = party.ref if party is not None else ""
        trade.buyer_right = right


def _trade_locks(trade: Trade):
    return VolumeLock.objects.filter(reference_type=REF, reference_id=str(trade.pk), status=LockStatus.ACTIVE).order_by("pk")


def _lock_volume(trade: Trade, actor, kind=LockKind.LISTING) -> None:
    if _trade_locks(trade).exists():
        return
    for year in trade.years():
        ledger.lock_volume(trade.seller_right, year, trade.volume_m3, actor=actor, kind=kind, reference=(REF, trade.pk),
                           memo=f"交易 {trade.number} 冻结", rule="L1")


def _release_locks(trade: Trade, actor, reason: str) -> None:
    for lock in _trade_locks(trade):
        ledger.release_lock(lock, actor=actor, reason=reason)


def _consume_locks(trade: Trade, actor, reason: str) -> None:
    for lock in _trade_locks(trade):
        ledger.consume_lock(lock, actor=actor, reason=reason)


def _enforce(trade: Trade, stage: str, **kwargs) -> None:
    rules.enforce(rules.Check.from_trade(trade, stage, **kwargs))


def _enforce_stages(trade: Trade, stages: list[str], **kwargs) -> None:
    check = rules.Check.from_trade(trade, stages[0], **kwargs)
    refusals = rules.evaluate(check, stages)
    if refusals:
        check.stage = stages[0]
        first = refusals[0]
        more = f"（另有 {len(refusals) - 1} 项）" if len(refusals) > 1 else ""
        raise RuleViolation(first.rule, first.code, first.zh + more, first.en, detail={"stage": stages, "refusals": [r.as_dict() for r in refusals]})


def fee_rates(trade: Trade) -> tuple[Decimal, Decimal]:
    if trade.trade_type == TradeType.IRRIGATION and not trade.seller_reserve_id:
        return Decimal(config.get("trading.fee_rate_irrigation_seller")), Decimal(config.get("trading.fee_rate_irrigation_buyer"))
    return Decimal(config.get("trading.fee_rate_seller")), Decimal(config.get("trading.fee_rate_buyer"))


def _set_price(trade: Trade, unit_price: Decimal) -> None:
    trade.unit_price = unit_price
    trade.total_price = money(unit_price * trade.total_volume_m3)


def _city_authority():
    return reg.Authority.objects.filter(level=AuthorityLevel.CITY).order_by("pk").first()


def _county_authority(region):
    return reg.Authority.objects.filter(level=AuthorityLevel.COUNTY, region=region).order_by("pk").first()


def _default_intake(permit) -> str:
    if permit is None:
        return ""
    intake = permit.intake_points.order_by("code").first()
    return f"{intake.name}（{intake.code}）" if intake else f"{permit.region}（许可证 {permit.number}）"


def _agreement_defaults(trade: Trade) -> None:
    if not trade.default_liability:
        trade.default_liability = config.get("trading.default_liability_text")
    if not trade.dispute_resolution:
        trade.dispute_resolution = config.get("trading.dispute_resolution_text")
    if not trade.intake_location:
        if trade.buyer_permit_id:
            trade.intake_location = _default_intake(trade.buyer_permit)
        elif trade.buyer_kind == "outside":
            trade.intake_location = f"南水北调中线工程{trade.buyer_region}分水口门" if trade.is_snwd else str(trade.buyer_region)
        elif trade.buyer_region_id:
            trade.intake_location = str(trade.buyer_association or trade.buyer_region)
    if not trade.use:
        trade.use = trade.buyer_permit.use if trade.buyer_permit_id else (
            WaterUse.AGRICULTURAL if trade.buyer_kind in ("association", "household") else (trade.seller_right.use or WaterUse.MIXED))
    if not trade.agreement_number and trade.pk:
        trade.agreement_number = f"XY{clock.this_year()}{trade.pk:06d}"


def _history_row(trade: Trade, name: str, label: str, target: str, actor, note: str = "", source: str = "") -> None:
    TradeTransition.objects.create(
        trade=trade, name=name, label=label, source=source, target=target, actor=_system(actor),
        actor_name=(getattr(actor, "username", None) or "system")[:150], actor_role=getattr(actor, "role", "") or "", note=note,
    )


# ---------------------------------------------------------------------------------------------
# Savings verification (T4, T5, T12)
# ---------------------------------------------------------------------------------------------


def _may_verify_permit(actor, permit) -> bool:
    if actor.is_superuser or actor.role == Role.CITY_ADMIN:
        return True
    auth = permit.approving_authority
    return actor.role == Role.COUNTY_OFFICER and auth.level == AuthorityLevel.COUNTY and auth.region_id == actor.region_id


@transaction.atomic
def submit_savings(*, actor, permit, source_kind: str, description: str, claimed_m3, first_year, last_year, evidence: str,
                   contractor_name: str = "", host_unit: str = "", contractor_share_pct=None, host_share_pct=None,
                   reclaimed_source=None, reclaimed_m3=None, evidence_file=None, is_demo: bool = False) -> SavingsVerification:
    """A permit holder declares a saved volume from one source of saving, with evidence (T12): a
    description and, optionally, a checked file (PDF or image) kept as an attachment."""
    party = Party("water_user", permit.holder, permit=permit)
    if not acts_for(actor, party):
        raise Forbidden("只有取水权人本人可以申报节约水量", "Only the permit holder may declare its savings", code="not_permit_holder")
    claimed_m3 = _positive_int(claimed_m3, "claimed_m3", "申报节约水量")
    first_year, last_year = int(first_year), int(last_year)
    errors: dict[str, list[str]] = {}
    if source_kind not in SavingSource.values:
        errors["source_kind"] = ["节水来源无效"]
    if last_year < first_year:
        errors["last_year"] = ["终止年度不能早于起始年度"]
    if not (permit.valid_from.year <= first_year and last_year <= permit.valid_to.year):
        errors["last_year"] = [f"年度须在取水许可有效期内（{permit.valid_from.year}–{permit.valid_to.year}）"]
    if claimed_m3 > permit.annual_volume_m3:
        errors["claimed_m3"] = [f"节约水量不能超过许可水量 {permit.annual_volume_m3:,} 立方米"]
    if not (description or "").strip():
        errors["description"] = ["须说明节水措施"]
    if not (evidence or "").strip():
        errors["evidence"] = ["须提供证明材料"]
    if source_kind == SavingSource.CONTRACT:
        if not contractor_name or not host_unit:
            errors["contractor_name"] = ["合同节水须填写节水服务企业和用水单位"]
        shares = [Decimal(str(x)) for x in (contractor_share_pct, host_share_pct) if x not in (None, "")]
        if len(shares) != 2 or sum(shares) != 100:
            errors["contractor_share_pct"] = ["节水服务企业与用水单位的收益分成之和须为100%"]
    if source_kind == SavingSource.RECLAIMED:
        if reclaimed_source is None or reclaimed_source.kind != SourceKind.NONCONVENTIONAL:
            errors["reclaimed_source"] = ["再生水替代须指定非常规水水源"]
        if reclaimed_m3 in (None, "") or int(reclaimed_m3) < claimed_m3:
            errors["reclaimed_m3"] = ["再生水替代量不能少于申报的节约新水量"]
    if errors:
        from shuiquan.core.errors import field_errors

        raise field_errors(errors)
    s = SavingsVerification(
        permit=permit, water_user=permit.holder, region=permit.region, source_kind=source_kind, description=description,
        claimed_m3=claimed_m3, first_year=first_year, last_year=last_year, evidence=evidence, contractor_name=contractor_name,
        host_unit=host_unit, contractor_share_pct=contractor_share_pct or None, host_share_pct=host_share_pct or None,
        reclaimed_source=reclaimed_source, reclaimed_m3=int(reclaimed_m3) if reclaimed_m3 not in (None, "") else None,
        verifying_authority=permit.approving_authority, submitted_by=actor,
        due_on=add_working_days(clock.today(), int(config.get("trading.verification_working_days"))), is_demo=is_demo,
    )
    s.save()
    s.number = f"JS{clock.this_year()}{s.pk:06d}"
    s.save(update_fields=["number"])
    audit.record(actor=actor, action="savings_submit", obj=s, after=audit.snapshot(s))
    if evidence_file is not None:
        attach_evidence(actor=actor, savings=s, upload=evidence_file)
    notify("savings_submitted", f"{s.number} 待 {s.verifying_authority} 核定")
    return s


def attach_evidence(*, actor, savings, upload):
    """Keep an evidence file (checked: size, type by extension and content) with a saving."""
    import hashlib

    from django.contrib.contenttypes.models import ContentType

    from shuiquan.core.models import Attachment
    from shuiquan.core.uploads import check_upload

    kind = check_upload(upload, kinds=("pdf", "png", "jpeg"))
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    att = Attachment.objects.create(content_type=ContentType.objects.get_for_model(SavingsVerification), object_id=str(savings.pk),
                                    file=upload, name=getattr(upload, "name", "evidence")[:200], kind=kind, size=upload.size,
                                    sha256=digest.hexdigest(), uploaded_by=actor)
    audit.record(actor=actor, action="savings_evidence", obj=savings, after={"attachment": att.pk, "name": att.name, "sha256": att.sha256})
    return att


def _verify_savings_locked(s: SavingsVerification, *, actor, approve: bool, verified_m3=None, works_manager_opinion: str = "",
                           note: str = "") -> SavingsVerification:
    if not _may_verify_permit(actor, s.permit):
        raise Forbidden(f"节约水量由原取水审批机关（{s.verifying_authority}）核定", f"Only {s.verifying_authority} verifies this saving",
                        code="not_approving_authority")
    if s.status != SavingStatus.SUBMITTED:
        raise Conflict("savings_already_decided", "该节约水量已核定", "This saving has already been decided")
    before = audit.snapshot(s)
    if approve:
        verified_m3 = _positive_int(verified_m3, "verified_m3", "核定节约水量")
        if verified_m3 > s.claimed_m3:
            raise ValidationFailed("verified_over_claim", "核定水量不能大于申报水量", "Verified volume cannot exceed the claim",
                                   detail={"fields": {"verified_m3": ["核定水量不能大于申报水量"]}})
        if not (works_manager_opinion or "").strip():
            raise ValidationFailed("works_manager_required", "须记录水利工程管理单位意见（T5）", "Record the works manager's opinion (T5)",
                                   detail={"fields": {"works_manager_opinion": ["须记录水利工程管理单位意见"]}})
        s.verified_m3 = verified_m3
        s.status = SavingStatus.VERIFIED
    else:
        if not (note or "").strip():
            raise ValidationFailed("reason_required", "不予核定须说明理由", "A rejection needs a reason")
        s.status = SavingStatus.REJECTED
    s.works_manager_opinion = works_manager_opinion
    s.decision_note = note
    s.verified_by = actor
    s.verified_at = clock.now()
    s.save()
    audit.record(actor=actor, action="savings_verify" if approve else "savings_reject", obj=s, before=before, after=audit.snapshot(s), message=note)
    return s


@transaction.atomic
def verify_savings(*, actor, savings, approve: bool = True, verified_m3=None, works_manager_opinion: str = "", note: str = ""):
    """The original approving authority verifies (or rejects) a declared saving (T5)."""
    s = SavingsVerification.objects.select_for_update(of=("self",)).select_related("permit__approving_authority").get(pk=getattr(savings, "pk", savings))
    s = _verify_savings_locked(s, actor=actor, approve=approve, verified_m3=verified_m3, works_manager_opinion=works_manager_opinion, note=note)
    notify("savings_decided", f"{s.number} {s.get_status_display()}")
    return s


# ---------------------------------------------------------------------------------------------
# Application
# ---------------------------------------------------------------------------------------------

DEFAULT_BASIS = {
    ("water_user", TradeType.PERMIT): Basis.SAVING,
    ("region", TradeType.REGIONAL): Basis.REGIONAL_SURPLUS,
    ("reserve", TradeType.REGIONAL): Basis.RESERVE_STOCK,
    ("reserve", TradeType.IRRIGATION): Basis.RESERVE_STOCK,
    ("association", TradeType.IRRIGATION): Basis.IRRIGATION_RIGHT,
    ("household", TradeType.IRRIGATION): Basis.IRRIGATION_RIGHT,
}


@transaction.atomic
def apply_trade(*, actor, trade_type: str, seller_right, volume_m3, start_year, end_year, mode: str = TradeMode.NEGOTIATED,
                buyer: str = "", unit_price=None, basis: str = "", savings=None, use: str = "", intake_location: str = "",
                project_sector=None, project_product: str = "", project_water_per_unit=None, note: str = "", renewal_of=None,
                is_demo: bool = False) -> Trade:
    """The seller applies (转让申请). Checks the seller-side rules (and the buyer's, if named)."""
    if trade_type not in TradeType.values:
        raise ValidationFailed("invalid_type", "交易类型无效", "Invalid trade type")
    if mode not in (TradeMode.NEGOTIATED, TradeMode.LISTING):
        raise ValidationFailed("invalid_mode", "申请时交易方式为协议转让或挂牌", "Apply as negotiated or listing")
    seller_right = WaterRight.objects.select_related("permit__source", "permit__holder").filter(pk=getattr(seller_right, "pk", seller_right)).first()
    if seller_right is None:
        raise ValidationFailed("unknown_right", "转让方用水权不存在", "No such right", detail={"fields": {"seller_right": ["用水权不存在"]}})
    volume_m3 = _positive_int(volume_m3, "volume_m3", "年交易水量")
    try:
        start_year, end_year = int(start_year), int(end_year)
    except (TypeError, ValueError):
        raise ValidationFailed("invalid_years", "交易年度无效", "Invalid years") from None
    this_year = clock.this_year()
    if start_year < this_year:
        raise ValidationFailed("past_year", f"起始年度不能早于本年度（{this_year}）", f"The term cannot start before {this_year}",
                               detail={"fields": {"start_year": ["起始年度不能早于本年度"]}})
    if end_year < start_year or end_year - start_year + 1 > int(config.get("trading.max_term_years")):
        raise ValidationFailed("invalid_term", "交易期限无效", "Invalid term", detail={"fields": {"end_year": ["终止年度无效或期限过长"]}})
    seller = party_of_right(seller_right)
    if not acts_for(actor, seller):
        raise Forbidden("您不能代表该转让方申请交易", "You may not apply on behalf of this seller", code="not_seller")
    basis = basis or DEFAULT_BASIS.get((seller.kind, trade_type), "")
    if savings is not None and not isinstance(savings, SavingsVerification):
        savings = SavingsVerification.objects.filter(pk=savings).first()
    trade = Trade(
        trade_type=trade_type, mode=mode, basis=basis, savings=savings, volume_m3=volume_m3, start_year=start_year, end_year=end_year,
        use=use or "", intake_location=intake_location or "", project_sector=project_sector, project_product=project_product or "",
        project_water_per_unit=project_water_per_unit, note=note or "", applicant=actor, renewal_of=renewal_of, is_demo=is_demo,
        is_snwd=seller_right.source_type == "snwd" or seller_right.kind == RightKind.SNWD,
    )
    _fill_side(trade, "seller", seller, seller_right)
    if unit_price not in (None, ""):
        _set_price(trade, _price(unit_price))
    buyer_party = parse_ref(buyer) if buyer else None
    right_of_buyer = None
    if buyer_party is not None:
        right_of_buyer = buyer_right(buyer_party, years=trade.years(), seller_right=seller_right, actor=actor, create=False)
        _fill_side(trade, "buyer", buyer_party, right_of_buyer)
        if buyer_party.permit is not None and not trade.use:
            trade.use = buyer_party.permit.use
    # Who verifies, and by when (T5)
    if trade_type == TradeType.PERMIT and seller.permit is not None:
        trade.verifying_authority = seller.permit.approving_authority
    elif trade_type == TradeType.REGIONAL:
        trade.verifying_authority = _city_authority()
    elif seller.kind == "reserve":
        trade.verifying_authority = _county_authority(seller.obj.region) or _city_authority()
    if trade.verifying_authority is not None:
        trade.verification_due = add_working_days(clock.today(), int(config.get("trading.verification_working_days")))
    rules.enforce(rules.Check.from_trade(trade, Stage.APPLICATION, buyer=buyer_party, buyer_right=right_of_buyer))
    if basis not in Basis.values:
        raise ValidationFailed("invalid_basis", "须说明转让水量来源", "State where the sold volume comes from")
    trade.save()
    trade.number = f"JY{this_year}{trade.pk:06d}"
    trade.save(update_fields=["number"])
    _history_row(trade, "apply", "转让申请", TradeStatus.APPLIED, actor, note)
    audit.record(actor=actor, action="trade_apply", obj=trade, after=audit.snapshot(trade), message=note)
    if trade.status == TradeStatus.APPLIED and can_proceed(trade.accept):
        _step(trade, "accept", actor, "一年以内的灌溉用水户水权交易无需审批")
    notify("trade_applied", f"{trade.number} {trade.get_trade_type_display()} 申请")
    return trade


# ---------------------------------------------------------------------------------------------
# Verification, consultation, filing
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def consult_snwd(*, actor, trade, opinion: str) -> Trade:
    """The SNWD management unit gives its opinion on an SNWD trade (T2)."""
    trade = _lock_trade(trade)
    if not (opinion or "").strip():
        raise ValidationFailed("opinion_required", "须填写意见", "An opinion is required", detail={"fields": {"opinion": ["须填写意见"]}})
    trade.snwd_opinion = opinion
    trade.snwd_consulted_at = clock.now()
    _step(trade, "consult_snwd", actor, opinion)
    notify("snwd_consulted", f"{trade.number} 已征求南水北调工程管理单位意见")
    return trade


@transaction.atomic
def verify_trade(*, actor, trade, note: str = "", verified_m3=None, works_manager_opinion: str = "", use_change_approved: bool = False,
                 third_party_harm: bool = False, needs_new_groundwater: bool = False) -> Trade:
    """The original approving authority verifies the application (T4, T5): for a permit trade the
    saved volume (verifying the saving record if it is still pending); for a regional trade the
    city verifies the surplus; for a T10 resale the county verifies the buyer's need. Findings on
    third-party harm and new groundwater are recorded and checked (S4)."""
    trade = _lock_trade(trade)
    method = trade.verify
    if actor is not None and can_proceed(method) and not has_transition_perm(method, actor):
        raise Forbidden(f"交易 {trade.number} 由{trade.verifying_authority or '市水利局'}核定",
                        f"Trade {trade.number} is verified by {trade.verifying_authority or 'the city bureau'}", code="not_approving_authority")
    if trade.savings_id and trade.savings.status == SavingStatus.SUBMITTED and can_proceed(method):
        s = SavingsVerification.objects.select_for_update(of=("self",)).get(pk=trade.savings_id)
        _verify_savings_locked(s, actor=actor, approve=True, verified_m3=verified_m3 if verified_m3 not in (None, "") else s.claimed_m3,
                               works_manager_opinion=works_manager_opinion, note=note)
        trade.savings = s
    trade.use_change_approved = bool(use_change_approved)
    trade.third_party_harm = bool(third_party_harm)
    trade.needs_new_groundwater = bool(needs_new_groundwater)
    trade.verification_note = note
    trade.verified_at = clock.now()
    if can_proceed(method):
        _enforce(trade, Stage.LISTING)
    _step(trade, "verify", actor, note or "核定通过")
    notify("trade_verified", f"{trade.number} 已核定")
    return trade


@transaction.atomic
def reject_trade(*, actor, trade, reason: str) -> Trade:
    trade = _lock_trade(trade)
    if not (reason or "").strip():
        raise ValidationFailed("reason_required", "须说明不予通过的理由", "A reason is required", detail={"fields": {"reason": ["须说明理由"]}})
    trade.cancel_reason = reason[:300]
    _step(trade, "reject", actor, reason)
    if trade.savings_id and trade.savings.status == SavingStatus.SUBMITTED and _may_verify_permit(actor, trade.savings.permit):
        s = SavingsVerification.objects.select_for_update(of=("self",)).get(pk=trade.savings_id)
        _verify_savings_locked(s, actor=actor, approve=False, note=reason)
    notify("trade_rejected", f"{trade.number} 未通过：{reason}")
    return trade


@transaction.atomic
def file_record(*, actor, trade, filed_with: str, filing_number: str, note: str = "") -> Trade:
    """备案: an irrigation-user trade over one year is filed with the district unit or county bureau (T9)."""
    trade = _lock_trade(trade)
    if not (filed_with or "").strip() or not (filing_number or "").strip():
        raise ValidationFailed("filing_incomplete", "须填写备案机关和备案编号", "Filing authority and number are required",
                               detail={"fields": {"filing_number": ["须填写备案编号"]}})
    trade.filed_with, trade.filing_number, trade.filed_at = filed_with, filing_number, clock.now()
    _step(trade, "file_record", actor, note or f"{filed_with} 备案 {filing_number}")
    return trade


# ---------------------------------------------------------------------------------------------
# Listing, intents, auction
# ---------------------------------------------------------------------------------------------


def _is_priority(listing_trade: Trade, party: Party) -> bool:
    """T9: users of the same association (or the same district) have the right of first purchase."""
    seller_assoc = listing_trade.seller_association
    if seller_assoc is None or party.association is None:
        return False
    if config.get("trading.priority_scope") == "association":
        return party.association.pk == seller_assoc.pk
    return party.association.district_id == seller_assoc.district_id


@transaction.atomic
def publish_listing(*, actor, trade, listed_price, notice_days=None, conditions: str = "") -> Listing:
    """挂牌: lock the volume for every year of the term and open the public notice period."""
    trade = _lock_trade(trade)
    price = _price(listed_price, "listed_price")
    _enforce(trade, Stage.LISTING)
    if not can_proceed(trade.publish):
        _step(trade, "publish", actor)  # raises the right refusal
    if actor is not None and not has_transition_perm(trade.publish, actor):
        _step(trade, "publish", actor)
    days = int(notice_days if notice_days not in (None, "") else config.get("trading.notice_days"))
    if days < 1:
        raise ValidationFailed("invalid_notice", "公告期至少1日", "The notice period is at least one day")
    start = clock.now()
    trade.mode = TradeMode.LISTING
    _fill_side(trade, "buyer", None, None)  # the buyer is whoever the listing finds
    _set_price(trade, price)
    priority_until = None
    if trade.seller_association_id and not trade.seller_reserve_id:
        priority_until = start + dt.timedelta(days=min(days, int(config.get("trading.priority_window_days"))))
    rate = Decimal(config.get("trading.deposit_rate"))
    listing = Listing.objects.create(
        trade=trade, listed_price=price, notice_starts_at=start, notice_ends_at=start + dt.timedelta(days=days),
        priority_until=priority_until, priority_scope=config.get("trading.priority_scope") if priority_until else "",
        deposit_rate=rate, deposit_amount=money(price * trade.total_volume_m3 * rate), conditions=conditions or "",
        is_demo=trade.is_demo,
    )
    listing.number = f"GP{start.year}{listing.pk:06d}"
    listing.save(update_fields=["number"])
    _lock_volume(trade, actor, LockKind.LISTING)
    _step(trade, "publish", actor, f"挂牌 {listing.number}，单价 {price} 元/立方米，公告 {days} 日")
    audit.record(actor=actor, action="listing_publish", obj=listing, after=audit.snapshot(listing), region_code=trade.seller_region.code or "")
    notify("listing_published", f"{listing.number} 挂牌公告")
    return listing


@transaction.atomic
def register_intent(*, actor, listing, buyer: str, deposit_reference: str, use: str = "", intake_location: str = "",
                    project_sector=None, project_product: str = "", project_water_per_unit=None) -> ListingIntent:
    """An intending buyer registers (意向受让) and pays the deposit; the buyer-side rules apply (bid stage)."""
    listing_pk = getattr(listing, "pk", listing)
    trade_pk = Listing.objects.filter(pk=listing_pk).values_list("trade_id", flat=True).first()
    if trade_pk is None:
        raise NotFound("挂牌不存在", "No such listing")
    trade = _lock_trade(trade_pk)
    listing = Listing.objects.select_for_update(of=("self",)).get(pk=listing_pk)
    now = clock.now()
    if listing.status != ListingStatus.OPEN or trade.status != TradeStatus.LISTED or now >= listing.notice_ends_at:
        raise Conflict("listing_closed", f"挂牌 {listing.number} 已不在公告期内", f"Listing {listing.number} is no longer open")
    party = parse_ref(buyer)
    if not acts_for(actor, party):
        raise Forbidden("您不能代表该受让方登记", "You may not register for this buyer", code="not_buyer")
    if party.ref == party_of_right(trade.seller_right).ref:
        raise ValidationFailed("own_listing", "转让方不能受让自己的挂牌", "A seller cannot buy its own listing")
    priority = _is_priority(trade, party)
    if listing.priority_until and now < listing.priority_until and not priority:
        raise RuleViolation("T9", "t9_priority_window",
                            f"优先受让期（至 {listing.priority_until:%Y-%m-%d %H:%M}）内只接受同一协会或同一灌区用水户登记",
                            f"Until {listing.priority_until:%Y-%m-%d %H:%M} only users of the same association or district may register "
                            "(right of first purchase)")
    if not (deposit_reference or "").strip():
        raise ValidationFailed("deposit_required", f"须缴纳保证金 {listing.deposit_amount} 元并填写缴款凭证号",
                               f"Pay the deposit of {listing.deposit_amount} yuan and give its reference",
                               detail={"fields": {"deposit_reference": ["须填写保证金缴款凭证号"]}})
    right = buyer_right(party, years=trade.years(), seller_right=trade.seller_right, actor=actor, create=False)
    project = {"use": use or (party.permit.use if party.permit else trade.use), "project_sector": project_sector,
               "project_product": project_product or "", "project_water_per_unit": project_water_per_unit}
    rules.enforce(rules.Check.from_trade(trade, Stage.BID, buyer=party, buyer_right=right, project=project))
    if ListingIntent.objects.filter(listing=listing, buyer_ref=party.ref).exists():
        raise Conflict("already_registered", "该受让方已登记", "This buyer has already registered")
    try:
        with transaction.atomic():
            intent = ListingIntent.objects.create(
                listing=listing, buyer_ref=party.ref, buyer_right=right, buyer_name=party.name, buyer_kind=party.kind,
                buyer_region=party.region, buyer_water_user=party.water_user, buyer_association=party.association,
                buyer_household=party.household, is_priority=priority, use=project["use"] or "",
                intake_location=intake_location or (_default_intake(party.permit) if party.permit else ""),
                project_sector=project_sector, project_product=project_product or "", project_water_per_unit=project_water_per_unit,
                deposit_amount=listing.deposit_amount, deposit_reference=deposit_reference, registered_by=actor, is_demo=trade.is_demo,
            )
    except IntegrityError:
        raise Conflict("already_registered", "该受让方已登记", "This buyer has already registered") from None
    Payment.objects.create(intent=intent, trade=trade, kind=PaymentKind.DEPOSIT, payer=party.name, payee=DEPOSIT_ACCOUNT,
                           amount=listing.deposit_amount, reference=deposit_reference, recorded_by=actor, is_demo=trade.is_demo)
    audit.record(actor=actor, action="listing_intent", obj=intent, after=audit.snapshot(intent), region_code=trade.seller_region.code or "")
    notify("intent_registered", f"{listing.number} 新增意向受让方")
    return intent


def _refund(intent: ListingIntent, actor, trade: Trade, status: str, reason: str) -> None:
    intent.status = status
    if intent.deposit_status == DepositStatus.PAID:
        intent.deposit_status = DepositStatus.REFUNDED
        Payment.objects.create(intent=intent, trade=trade, kind=PaymentKind.DEPOSIT_REFUND, payer=DEPOSIT_ACCOUNT, payee=intent.buyer_name,
                               amount=intent.deposit_amount, reference=f"退还 {intent.deposit_reference}", recorded_by=actor or trade.applicant,
                               is_demo=trade.is_demo)
    intent.save(update_fields=["status", "deposit_status"])
    audit.record(actor=actor, action="deposit_refund", obj=intent, after={"status": status, "deposit_status": intent.deposit_status},
                 message=reason, region_code=trade.seller_region.code or "")


def _award(trade: Trade, intent: ListingIntent, price: Decimal, actor) -> None:
    """The listing's buyer is found: set the buyer (opening a reserve/outside account if needed)."""
    party = parse_ref(intent.buyer_ref)
    right = buyer_right(party, years=trade.years(), seller_right=trade.seller_right, actor=actor or trade.applicant, create=True)
    _fill_side(trade, "buyer", party, right)
    trade.use = intent.use or trade.use
    trade.intake_location = intent.intake_location or trade.intake_location
    trade.project_sector = intent.project_sector
    trade.project_product = intent.project_product
    trade.project_water_per_unit = intent.project_water_per_unit
    _set_price(trade, price)
    trade.agreed_at = clock.now()
    _agreement_defaults(trade)
    intent.status = IntentStatus.WON
    intent.deposit_status = DepositStatus.APPLIED
    intent.save(update_fields=["status", "deposit_status"])
    Payment.objects.create(intent=intent, trade=trade, kind=PaymentKind.DEPOSIT_APPLIED, payer=DEPOSIT_ACCOUNT, payee=PLATFORM,
                           amount=intent.deposit_amount, reference=f"转价款 {intent.deposit_reference}", recorded_by=actor or trade.applicant,
                           is_demo=trade.is_demo)


def _still_qualified(trade: Trade, intent: ListingIntent) -> bool:
    party = parse_ref(intent.buyer_ref)
    project = {"use": intent.use, "project_sector": intent.project_sector, "project_product": intent.project_product,
               "project_water_per_unit": intent.project_water_per_unit}
    check = rules.Check.from_trade(trade, Stage.BID, buyer=party, buyer_right=intent.buyer_right, project=project)
    return not rules.evaluate(check)


@transaction.atomic
def close_notice(*, actor, trade) -> Trade:
    """公告期满: no qualified intending buyer → failed (lock released); one → agreement at the
    listed price; two or more → an online auction among them. Where a first-purchase window
    applied and priority buyers registered, only they are admitted (T9)."""
    trade = _lock_trade(trade)
    if trade.status != TradeStatus.LISTED:
        _step(trade, "close_notice", actor, outcome=TradeStatus.FAILED)  # raises the state refusal
    listing = Listing.objects.select_for_update(of=("self",)).get(trade=trade)
    now = clock.now()
    if now < listing.notice_ends_at:
        raise Conflict("notice_not_ended", f"公告期至 {listing.notice_ends_at:%Y-%m-%d %H:%M} 止，尚未期满",
                       f"The notice period runs until {listing.notice_ends_at:%Y-%m-%d %H:%M}")
    intents = list(listing.intents.select_for_update(of=("self",)).filter(status=IntentStatus.REGISTERED).order_by("registered_at", "pk"))
    admitted = []
    for intent in intents:
        if _still_qualified(trade, intent):
            admitted.append(intent)
        else:
            _refund(intent, actor, trade, IntentStatus.EXCLUDED, "不再符合受让条件")
    if listing.priority_until and any(i.is_priority for i in admitted):
        for intent in [i for i in admitted if not i.is_priority]:
            _refund(intent, actor, trade, IntentStatus.EXCLUDED, "同一协会/灌区用水户行使优先受让权")
        admitted = [i for i in admitted if i.is_priority]
    listing.closed_at = now
    if not admitted:
        listing.status = ListingStatus.FAILED
        listing.save(update_fields=["status", "closed_at"])
        _release_locks(trade, actor, f"挂牌 {listing.number} 无合格意向受让方，流拍")
        _step(trade, "close_notice", actor, "公告期满无合格意向受让方，流拍", outcome=TradeStatus.FAILED)
        notify("listing_failed", f"{listing.number} 流拍")
        return trade
    if len(admitted) == 1:
        _award(trade, admitted[0], listing.listed_price, actor)
        listing.status = ListingStatus.DEALT
        listing.save(update_fields=["status", "closed_at"])
        _step(trade, "close_notice", actor, f"仅一名合格意向受让方（{admitted[0].buyer_name}），按挂牌价协议成交", outcome=TradeStatus.AGREED)
        notify("listing_dealt", f"{listing.number} 协议成交")
        return trade
    minutes = int(config.get("trading.auction_minutes"))
    auction = Auction.objects.create(
        listing=listing, start_price=listing.listed_price, min_increment=Decimal(config.get("trading.auction_min_increment")),
        starts_at=now, original_ends_at=now + dt.timedelta(minutes=minutes), ends_at=now + dt.timedelta(minutes=minutes),
        extend_window_minutes=int(config.get("trading.auction_extend_window_minutes")),
        extend_minutes=int(config.get("trading.auction_extend_minutes")),
    )
    listing.status = ListingStatus.AUCTION
    listing.closed_at = None
    listing.save(update_fields=["status", "closed_at"])
    trade.mode = TradeMode.AUCTION
    _step(trade, "close_notice", actor, f"{len(admitted)} 名合格意向受让方，组织网络竞价至 {auction.ends_at:%Y-%m-%d %H:%M}",
          outcome=TradeStatus.AUCTION)
    audit.record(actor=actor, action="auction_open", obj=auction, after=audit.snapshot(auction), region_code=trade.seller_region.code or "")
    notify("auction_opened", f"{listing.number} 竞价开始")
    return trade


@transaction.atomic
def place_bid(*, actor, trade, buyer: str, unit_price) -> Bid:
    """A bid in the auction: at least the start price, and at least the current best plus the
    minimum increment; a bid in the last minutes extends the end (anti-sniping)."""
    trade = _lock_trade(trade)
    auction = Auction.objects.select_for_update(of=("self",)).filter(listing__trade=trade).first()
    if auction is None or trade.status != TradeStatus.AUCTION or auction.status != AuctionStatus.OPEN:
        raise Conflict("auction_not_open", "该交易没有进行中的竞价", "No auction is open for this trade")
    now = clock.now()
    if now >= auction.ends_at:
        raise Conflict("auction_ended", f"竞价已于 {auction.ends_at:%H:%M:%S} 结束", f"The auction ended at {auction.ends_at:%H:%M:%S}")
    party = parse_ref(buyer)
    if not acts_for(actor, party):
        raise Forbidden("您不能代表该竞买人报价", "You may not bid for this buyer", code="not_bidder")
    intent = auction.listing.intents.filter(buyer_ref=party.ref, status=IntentStatus.REGISTERED).first()
    if intent is None:
        raise Forbidden("只有入围的意向受让方可以报价", "Only admitted intending buyers may bid", code="not_admitted")
    price = _price(unit_price)
    best = auction.bids.order_by("-unit_price", "placed_at", "pk").first()
    if best is None:
        if price < auction.start_price:
            raise ValidationFailed("bid_below_start", f"报价不得低于起始价 {auction.start_price} 元/立方米",
                                   f"A bid must be at least the start price {auction.start_price}")
    else:
        if best.intent_id == intent.pk:
            raise Conflict("already_leading", "您当前已是最高报价", "You already hold the best bid")
        minimum = best.unit_price + auction.min_increment
        if price < minimum:
            raise ValidationFailed("bid_increment", f"报价须不低于当前最高价加最小加价幅度：{minimum} 元/立方米",
                                   f"A bid must be at least the best bid plus the minimum increment: {minimum}")
    project = {"use": intent.use, "project_sector": intent.project_sector, "project_product": intent.project_product,
               "project_water_per_unit": intent.project_water_per_unit}
    rules.enforce(rules.Check.from_trade(trade, Stage.BID, buyer=party, buyer_right=intent.buyer_right, project=project))
    bid = Bid.objects.create(auction=auction, intent=intent, unit_price=price, placed_at=now, placed_by=actor)
    window = dt.timedelta(minutes=auction.extend_window_minutes)
    if auction.ends_at - now <= window:
        new_end = now + dt.timedelta(minutes=auction.extend_minutes)
        if new_end > auction.ends_at:
            auction.ends_at = new_end
            auction.extensions += 1
            auction.save(update_fields=["ends_at", "extensions"])
            bid.extended_to = new_end
            bid.save(update_fields=["extended_to"])
    audit.record(actor=actor, action="auction_bid", obj=bid, after={"buyer": intent.buyer_name, "unit_price": str(price),
                                                                   "ends_at": auction.ends_at.isoformat()},
                 region_code=trade.seller_region.code or "")
    return bid


@transaction.atomic
def close_auction(*, actor, trade) -> Trade:
    """The highest valid bid wins (ties: the earlier bid); losers' deposits are refunded."""
    trade = _lock_trade(trade)
    if trade.status != TradeStatus.AUCTION:
        _step(trade, "close_auction", actor, outcome=TradeStatus.FAILED)
    auction = Auction.objects.select_for_update(of=("self",)).get(listing__trade=trade)
    listing = Listing.objects.select_for_update(of=("self",)).get(pk=auction.listing_id)
    now = clock.now()
    if now < auction.ends_at:
        raise Conflict("auction_running", f"竞价至 {auction.ends_at:%Y-%m-%d %H:%M:%S} 结束", f"The auction runs until {auction.ends_at}")
    winner = None
    for bid in auction.bids.select_related("intent").order_by("-unit_price", "placed_at", "pk"):
        if bid.intent.status == IntentStatus.REGISTERED and _still_qualified(trade, bid.intent):
            winner = bid
            break
    auction.status = AuctionStatus.CLOSED
    auction.closed_at = now
    auction.winning_bid = winner
    auction.save(update_fields=["status", "closed_at", "winning_bid"])
    listing.closed_at = now
    for intent in listing.intents.select_for_update(of=("self",)).filter(status=IntentStatus.REGISTERED).order_by("pk"):
        if winner is None or intent.pk != winner.intent_id:
            _refund(intent, actor, trade, IntentStatus.LOST, "竞价未受让，退还保证金")
    if winner is None:
        listing.status = ListingStatus.FAILED
        listing.save(update_fields=["status", "closed_at"])
        _release_locks(trade, actor, "竞价无有效报价，流拍")
        _step(trade, "close_auction", actor, "无有效报价，流拍", outcome=TradeStatus.FAILED)
        notify("auction_failed", f"{listing.number} 竞价流拍")
        return trade
    _award(trade, winner.intent, winner.unit_price, actor)
    listing.status = ListingStatus.DEALT
    listing.save(update_fields=["status", "closed_at"])
    _step(trade, "close_auction", actor, f"{winner.intent.buyer_name} 以 {winner.unit_price} 元/立方米竞得", outcome=TradeStatus.AGREED)
    notify("auction_closed", f"{listing.number} 竞价成交")
    return trade


# ---------------------------------------------------------------------------------------------
# Negotiated agreement, signing, payment, settlement
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def agree(*, actor, trade, unit_price, buyer: str = "", use: str = "", intake_location: str = "", default_liability: str = "",
          dispute_resolution: str = "", project_sector=None, project_product: str = "", project_water_per_unit=None) -> Trade:
    """协议转让: both parties known; the platform checks and records the agreement and locks the volume."""
    trade = _lock_trade(trade)
    price = _price(unit_price)
    party = parse_ref(buyer) if buyer else (parse_ref(trade.buyer_ref) if trade.buyer_ref else None)
    if party is None:
        raise ValidationFailed("buyer_required", "协议转让须指定受让方", "A negotiated trade needs a buyer", detail={"fields": {"buyer": ["须指定受让方"]}})
    if use:
        trade.use = use
    if intake_location:
        trade.intake_location = intake_location
    if default_liability:
        trade.default_liability = default_liability
    if dispute_resolution:
        trade.dispute_resolution = dispute_resolution
    if project_sector is not None or project_product or project_water_per_unit not in (None, ""):
        trade.project_sector, trade.project_product = project_sector, project_product or ""
        trade.project_water_per_unit = project_water_per_unit if project_water_per_unit not in (None, "") else None
    right = buyer_right(party, years=trade.years(), seller_right=trade.seller_right, actor=actor, create=False)
    if party.permit is not None and not trade.use:
        trade.use = party.permit.use
    _enforce_stages(trade, [Stage.LISTING, Stage.BID], buyer=party, buyer_right=right)
    if not can_proceed(trade.agree) or (actor is not None and not has_transition_perm(trade.agree, actor)):
        _step(trade, "agree", actor)
    right = buyer_right(party, years=trade.years(), seller_right=trade.seller_right, actor=actor, create=True)
    _fill_side(trade, "buyer", party, right)
    trade.mode = TradeMode.NEGOTIATED
    _set_price(trade, price)
    trade.agreed_at = clock.now()
    _agreement_defaults(trade)
    _lock_volume(trade, actor, LockKind.LISTING)
    _step(trade, "agree", actor, f"协议成交：{trade.buyer_name}，{price} 元/立方米")
    notify("trade_agreed", f"{trade.number} 协议成交")
    return trade


T6_FIELDS = [("volume_m3", "交易水量"), ("start_year", "交易期限"), ("intake_location", "取水地点"), ("use", "取水用途"),
             ("unit_price", "交易价格"), ("default_liability", "违约责任"), ("dispute_resolution", "争议解决办法")]


def agreement_missing(trade: Trade) -> list[str]:
    """T6: the agreement must state volume, term, intake location, use, price, liability, disputes."""
    return [label for field, label in T6_FIELDS if getattr(trade, field) in (None, "")]


@transaction.atomic
def sign(*, actor, trade, side: str = "") -> Trade:
    """Each party signs the agreement (T6); when both have signed the trade is contracted. The
    contract-stage rules (T2, T9, T10, S1, S4, S5, S6, M2) are checked again under the lock."""
    trade = _lock_trade(trade)
    if trade.status == TradeStatus.AGREED:
        _agreement_defaults(trade)
    missing = agreement_missing(trade)
    if trade.status == TradeStatus.AGREED and missing:
        raise ValidationFailed("agreement_incomplete", f"协议缺少：{'、'.join(missing)}（T6）", f"The agreement lacks: {', '.join(missing)} (T6)")
    sides = []
    if acts_for(actor, party_of_right(trade.seller_right)):
        sides.append("seller")
    if trade.buyer_ref and acts_for(actor, parse_ref(trade.buyer_ref)):
        sides.append("buyer")
    if side:
        if side not in sides:
            raise Forbidden("您不能代表该方签约", "You may not sign for that party", code="not_party")
        sides = [side]
    if not sides:
        _step(trade, "sign", actor, outcome=TradeStatus.AGREED)  # raises 409 or 403
        raise Forbidden("您不是协议当事方", "You are not a party to this agreement", code="not_party")
    if trade.status == TradeStatus.AGREED:
        _enforce(trade, Stage.CONTRACT)
    now = clock.now()
    signed = []
    for s in sides:
        if getattr(trade, f"{s}_signed_at") is None:
            setattr(trade, f"{s}_signed_at", now)
            setattr(trade, f"{s}_signed_by", actor)
            signed.append(s)
    if not signed:
        raise Conflict("already_signed", "您已签约", "Already signed")
    done = trade.seller_signed_at is not None and trade.buyer_signed_at is not None
    who = "、".join({"seller": "转让方", "buyer": "受让方"}[s] for s in signed)
    _step(trade, "sign", actor, f"{who}签约", outcome=TradeStatus.CONTRACTED if done else TradeStatus.AGREED)
    if done:
        notify("trade_contracted", f"{trade.number} 协议已签订")
    return trade


@transaction.atomic
def file_province(*, actor, trade, filing_number: str, note: str = "") -> Trade:
    """A regional trade's agreement is filed with the province (省水利厅) — and, for SNWD, the SNWD unit."""
    trade = _lock_trade(trade)
    if not (filing_number or "").strip():
        raise ValidationFailed("filing_required", "须填写报省备案编号", "The provincial filing number is required",
                               detail={"fields": {"filing_number": ["须填写编号"]}})
    trade.province_filing_number = filing_number
    trade.province_filed_at = clock.now()
    _step(trade, "file_province", actor, note or f"报省水利厅备案 {filing_number}")
    return trade


def amounts_due(trade: Trade) -> dict[str, Decimal]:
    """Price, fees, what the buyer still owes (the applied deposit is already paid), the tax withheld
    (finance: F1, proceeds less taxes and fees) and the seller's proceeds."""
    from shuiquan.finance.funds import tax_for

    seller_rate, buyer_rate = fee_rates(trade)
    total = trade.total_price or Decimal("0.00")
    deposit = sum((p.amount for p in trade.payments.filter(kind=PaymentKind.DEPOSIT_APPLIED)), Decimal("0.00"))
    seller_fee, buyer_fee = money(total * seller_rate), money(total * buyer_rate)
    tax = tax_for(trade, total)
    return {"total": total, "deposit_applied": deposit, "buyer_fee": buyer_fee, "seller_fee": seller_fee, "tax": tax,
            "buyer_due": money(total - deposit + buyer_fee), "proceeds": money(total - seller_fee - tax)}


@transaction.atomic
def pay(*, actor, trade, reference: str, amount=None) -> Trade:
    """The buyer pays the price (less any deposit converted to price) and its fee into the platform's account."""
    trade = _lock_trade(trade)
    if not (reference or "").strip():
        raise ValidationFailed("reference_required", "须填写付款凭证号", "A payment reference is required",
                               detail={"fields": {"reference": ["须填写付款凭证号"]}})
    due = amounts_due(trade)
    if amount not in (None, "") and money(amount) != due["buyer_due"]:
        raise ValidationFailed("wrong_amount", f"应付金额为 {due['buyer_due']} 元", f"The amount due is {due['buyer_due']} yuan")
    _step(trade, "pay", actor, f"付款 {due['buyer_due']} 元，凭证 {reference}")
    price_part = money(due["total"] - due["deposit_applied"])
    Payment.objects.create(trade=trade, kind=PaymentKind.PRICE, payer=trade.buyer_name, payee=PLATFORM, amount=price_part,
                           reference=reference, recorded_by=actor, is_demo=trade.is_demo)
    if due["buyer_fee"]:
        Payment.objects.create(trade=trade, kind=PaymentKind.FEE_BUYER, payer=trade.buyer_name, payee=PLATFORM, amount=due["buyer_fee"],
                               reference=reference, recorded_by=actor, is_demo=trade.is_demo)
    return trade


def proceeds_recipient(trade: Trade) -> str:
    """F1: the seller; F3: for volume bought by a reserve and resold, whoever funded the reserve."""
    if trade.seller_reserve_id:
        return trade.seller_reserve.funder
    return trade.seller_name


@transaction.atomic
def settle(*, actor, trade, note: str = "") -> Trade:
    """资金结算: fees are deducted and the proceeds go to the seller (F1; T9 all of it for irrigation
    users) or to the reserve's funder (F3); the trade certificate (交易鉴证书) is issued."""
    trade = _lock_trade(trade)
    due = amounts_due(trade)
    _step(trade, "settle", actor, note or f"结算：服务费 {due['seller_fee']}+{due['buyer_fee']} 元，划付 {due['proceeds']} 元")
    trade.seller_fee, trade.buyer_fee, trade.proceeds = due["seller_fee"], due["buyer_fee"], due["proceeds"]
    trade.proceeds_to = proceeds_recipient(trade)
    trade.settled_at = trade.completed_at = clock.now()
    trade.certificate_number = f"JZ{clock.this_year()}{trade.pk:06d}"
    trade.save()
    if due["seller_fee"]:
        Payment.objects.create(trade=trade, kind=PaymentKind.FEE_SELLER, payer=trade.seller_name, payee=PLATFORM, amount=due["seller_fee"],
                               reference=trade.certificate_number, recorded_by=actor, is_demo=trade.is_demo)
    Payment.objects.create(trade=trade, kind=PaymentKind.PROCEEDS, payer=PLATFORM, payee=trade.proceeds_to, amount=due["proceeds"],
                           reference=trade.certificate_number, recorded_by=actor, is_demo=trade.is_demo)
    audit.record(actor=actor, action="trade_settlement", obj=trade, after={"seller_fee": due["seller_fee"], "buyer_fee": due["buyer_fee"],
                                                                          "proceeds": due["proceeds"], "proceeds_to": trade.proceeds_to,
                                                                          "certificate": trade.certificate_number})
    if trade.trade_type == TradeType.IRRIGATION and trade.term_years <= 1 and not (trade.seller_reserve_id or trade.buyer_reserve_id):
        _register_locked(trade, actor=actor, note="一年以内的灌溉用水户水权交易无需审批，结算后即登记")
    notify("trade_settled", f"{trade.number} 结算完成，交易鉴证书 {trade.certificate_number}")
    return trade


# ---------------------------------------------------------------------------------------------
# Registration: ledger, permit change (T7), dispatch plan
# ---------------------------------------------------------------------------------------------


def _plan_volume(permit, year: int) -> int:
    plan = reg.AnnualWithdrawalPlan.objects.filter(permit=permit, year=year).first()
    return plan.volume_m3 if plan else permit.annual_volume_m3


def _change_permit(permit, new_volume: int, *, actor, trade: Trade, message: str) -> None:
    """Change a permit's annual volume and status through this service (audited before/after)."""
    permit = reg.WithdrawalPermit.objects.select_for_update(of=("self",)).get(pk=permit.pk)
    before = audit.snapshot(permit)
    permit.annual_volume_m3 = new_volume
    permit.status = PermitStatus.CHANGED
    if permit.max_daily_volume_m3 and permit.max_daily_volume_m3 > new_volume:
        permit.max_daily_volume_m3 = new_volume
    if permit.max_daily_volume_m3 and permit.max_daily_volume_m3 * 366 < new_volume:
        permit.max_daily_volume_m3 = -(-new_volume // 366)
    permit.save()
    audit.record(actor=actor, action="permit_change", obj=permit, before=before, after=audit.snapshot(permit), message=message)


def _set_plans(permit, plans: dict[int, int], *, actor, trade: Trade) -> None:
    for year, volume in plans.items():
        row = reg.AnnualWithdrawalPlan.objects.select_for_update(of=("self",)).filter(permit=permit, year=year).first()
        before = audit.snapshot(row) if row else None
        if row is None:
            row = reg.AnnualWithdrawalPlan(permit=permit, year=year)
        row.volume_m3 = volume
        row.note = f"交易 {trade.number} 变更"[:200]
        row.is_demo = trade.is_demo
        row.save()
        audit.record(actor=actor, action="annual_plan", obj=row, before=before, after=audit.snapshot(row),
                     region_code=permit.region.code or "")


def _permit_change(trade: Trade, *, actor, approval_number: str, seller_plans=None, buyer_plans=None, note: str = "") -> PermitChange:
    """T7: both permits change; the approval states post-trade volumes, uses and annual plans."""
    sp, bp = trade.seller_permit, trade.buyer_permit
    years = trade.years()
    seller_plans = {int(k): int(v) for k, v in (seller_plans or {}).items()} or {y: _plan_volume(sp, y) - trade.volume_m3 for y in years}
    buyer_plans = {int(k): int(v) for k, v in (buyer_plans or {}).items()} or {y: _plan_volume(bp, y) + trade.volume_m3 for y in years}
    if set(seller_plans) != set(years) or set(buyer_plans) != set(years) or min(list(seller_plans.values()) + list(buyer_plans.values())) < 0:
        raise ValidationFailed("invalid_plans", "年度取水计划须覆盖交易期限的每一年且不能为负", "Annual plans must cover every year of the term")
    change = PermitChange.objects.create(
        trade=trade, kind=PermitChangeKind.TRADE, approval_number=approval_number, seller_permit=sp, buyer_permit=bp,
        seller_volume_before_m3=sp.annual_volume_m3, seller_volume_after_m3=sp.annual_volume_m3 - trade.volume_m3,
        buyer_volume_before_m3=bp.annual_volume_m3, buyer_volume_after_m3=bp.annual_volume_m3 + trade.volume_m3,
        seller_use=sp.use, buyer_use=trade.use or bp.use, seller_plans={str(k): v for k, v in seller_plans.items()},
        buyer_plans={str(k): v for k, v in buyer_plans.items()}, approved_by=actor, note=note,
    )
    msg = f"交易 {trade.number}（批准文号 {approval_number}）"
    _change_permit(sp, change.seller_volume_after_m3, actor=actor, trade=trade, message=msg)
    _change_permit(bp, change.buyer_volume_after_m3, actor=actor, trade=trade, message=msg)
    _set_plans(sp, seller_plans, actor=actor, trade=trade)
    _set_plans(bp, buyer_plans, actor=actor, trade=trade)
    audit.record(actor=actor, action="permit_change_approval", obj=change, after=audit.snapshot(change), region_code=sp.region.code or "")
    return change


def _entry_kind(trade: Trade) -> str:
    if trade.buyer_reserve_id:
        return EntryKind.RESERVE_PURCHASE
    if trade.seller_reserve_id:
        return EntryKind.RESERVE_RESALE
    return EntryKind.TRADE


def _register_locked(trade: Trade, *, actor, approval_number: str = "", seller_plans=None, buyer_plans=None, note: str = "") -> Trade:
    # The state first: a trade someone else has just registered is refused as such (409), not by
    # whatever rule its now-consumed volume would break.
    if not can_proceed(trade.register) or (actor is not None and not has_transition_perm(trade.register, actor)):
        _step(trade, "register", actor)
    _enforce(trade, Stage.REGISTRATION)
    if trade.trade_type == TradeType.PERMIT and trade.term_years > 1:
        if not (approval_number or "").strip():
            raise ValidationFailed("approval_required", "交易期限超过一年，须填写取水许可变更批准文号（T7）",
                                   "A trade over one year changes both permits: give the approval number (T7)",
                                   detail={"fields": {"approval_number": ["须填写批准文号"]}})
        _permit_change(trade, actor=actor, approval_number=approval_number, seller_plans=seller_plans, buyer_plans=buyer_plans, note=note)
    if trade.buyer_right_id is None:
        party = parse_ref(trade.buyer_ref)
        trade.buyer_right = buyer_right(party, years=trade.years(), seller_right=trade.seller_right, actor=actor, create=True)
    _consume_locks(trade, actor, f"交易 {trade.number} 登记过户")
    entry = ledger.transfer(
        actor=actor, kind=_entry_kind(trade), memo=f"交易 {trade.number}：{trade.seller_name} → {trade.buyer_name}",
        source=trade.seller_right, target=trade.buyer_right, years=trade.years(), amount=trade.volume_m3, reference=(REF, trade.pk),
        shortfall_rule="L1", is_demo=trade.is_demo,
    )
    trade.entry = entry
    trade.registered_at = clock.now()
    if trade.trade_type == TradeType.REGIONAL:
        channel = "南水北调中线工程主体及配套工程" if trade.is_snwd else "区域供水工程"
        for year in trade.years():
            DispatchPlanLine.objects.create(trade=trade, region=trade.buyer_region, year=year, volume_m3=trade.volume_m3, channel=channel)
    faults.point("trade_register")  # crash-safety tests only (inert unless SHUIQUAN_FAULT is set)
    _step(trade, "register", actor, note or f"登记过户，分录 {entry.number}")
    return trade


@transaction.atomic
def register(*, actor, trade, approval_number: str = "", seller_plans=None, buyer_plans=None, note: str = "") -> Trade:
    """登记: post seller → buyer for each year of the term only (reversion needs no entry),
    consuming the lock; a permit trade over one year changes both permits (T7); a regional trade
    enters the buyer's annual dispatch plan."""
    trade = _lock_trade(trade)
    trade = _register_locked(trade, actor=actor, approval_number=approval_number, seller_plans=seller_plans, buyer_plans=buyer_plans,
                             note=note)
    notify("trade_registered", f"{trade.number} 已登记过户")
    return trade


# ---------------------------------------------------------------------------------------------
# Expiry, renewal, cancellation
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def expire(*, actor, trade, note: str = "") -> Trade:
    """T8: at the end of the term the volume reverts to the seller — the ledger needs no entry
    (only the term's years were posted); changed permits are restored."""
    trade = _lock_trade(trade)
    if trade.status == TradeStatus.REGISTERED and clock.this_year() <= trade.end_year:
        raise Conflict("term_not_ended", f"交易期限至 {trade.end_year} 年末", f"The term runs until the end of {trade.end_year}")
    change = trade.permit_changes.filter(kind=PermitChangeKind.TRADE).first()
    _step(trade, "expire", actor, note or "期满，水权归还转让方（账目无需冲正）")
    trade.expired_at = clock.now()
    trade.save(update_fields=["expired_at"])
    if change is not None and not trade.renewals.exclude(status__in=[TradeStatus.REJECTED, TradeStatus.CANCELLED, TradeStatus.FAILED]).exists():
        sp = reg.WithdrawalPermit.objects.get(pk=change.seller_permit_id)
        bp = reg.WithdrawalPermit.objects.get(pk=change.buyer_permit_id)
        rev = PermitChange.objects.create(
            trade=trade, kind=PermitChangeKind.REVERSION, approval_number=f"{change.approval_number}-期满",
            seller_permit=sp, buyer_permit=bp, seller_volume_before_m3=sp.annual_volume_m3,
            seller_volume_after_m3=sp.annual_volume_m3 + trade.volume_m3, buyer_volume_before_m3=bp.annual_volume_m3,
            buyer_volume_after_m3=max(bp.annual_volume_m3 - trade.volume_m3, 1), seller_use=sp.use, buyer_use=bp.use,
            approved_by=_system(actor) or trade.applicant, note="T8 期满归还",
        )
        _change_permit(sp, rev.seller_volume_after_m3, actor=actor, trade=trade, message=f"交易 {trade.number} 期满归还")
        _change_permit(bp, rev.buyer_volume_after_m3, actor=actor, trade=trade, message=f"交易 {trade.number} 期满归还")
    notify("trade_expired", f"{trade.number} 期满")
    return trade


def expire_due(*, actor=None) -> list[str]:
    """The scheduler's job: expire every registered trade whose term has ended."""
    done = []
    for pk in Trade.objects.filter(status=TradeStatus.REGISTERED, end_year__lt=clock.this_year()).values_list("pk", flat=True):
        try:
            done.append(run(expire, actor=actor, trade=pk).number)
        except DomainError as exc:
            log.warning("expire %s: %s", pk, exc)
    return done


def renew(*, actor, trade, unit_price=None, end_year=None, savings=None, note: str = "") -> Trade:
    """T8: the parties renew by a new procedure (a new application for the years after the term)."""
    old = Trade.objects.get(pk=getattr(trade, "pk", trade))
    if old.status not in (TradeStatus.REGISTERED, TradeStatus.EXPIRED):
        raise Conflict("not_renewable", "只有已登记或期满的交易可以延续", "Only registered or expired trades can be renewed")
    start = max(old.end_year + 1, clock.this_year())
    end = int(end_year) if end_year not in (None, "") else start + old.term_years - 1
    return apply_trade(
        actor=actor, trade_type=old.trade_type, seller_right=old.seller_right, volume_m3=old.volume_m3, start_year=start, end_year=end,
        mode=TradeMode.NEGOTIATED, buyer=old.buyer_ref, unit_price=unit_price if unit_price not in (None, "") else old.unit_price,
        basis=old.basis, savings=savings if savings is not None else old.savings, use=old.use, intake_location=old.intake_location,
        project_sector=old.project_sector, project_product=old.project_product, project_water_per_unit=old.project_water_per_unit,
        note=note or f"延续交易 {old.number}", renewal_of=old, is_demo=old.is_demo,
    )


@transaction.atomic
def cancel(*, actor, trade, reason: str) -> Trade:
    """The seller withdraws (or the city bureau cancels); locks are released, deposits refunded."""
    trade = _lock_trade(trade)
    if not (reason or "").strip():
        raise ValidationFailed("reason_required", "须说明撤销理由", "A reason is required", detail={"fields": {"reason": ["须说明理由"]}})
    listing = Listing.objects.select_for_update(of=("self",)).filter(trade=trade).first()
    if listing is not None and listing.intents.filter(status=IntentStatus.REGISTERED).exists():
        require_role(actor, message="已有意向受让方登记的挂牌，只能由市水利局撤牌",
                     message_en="A listing with registered buyers can only be withdrawn by the city bureau")
    trade.cancel_reason = reason[:300]
    _step(trade, "cancel", actor, reason)
    if listing is not None:
        listing.status = ListingStatus.CANCELLED
        listing.closed_at = clock.now()
        listing.save(update_fields=["status", "closed_at"])
        for intent in listing.intents.select_for_update(of=("self",)).filter(status=IntentStatus.REGISTERED):
            _refund(intent, actor, trade, IntentStatus.LOST, "撤牌，退还保证金")
    _release_locks(trade, actor, f"交易 {trade.number} 撤销：{reason}")
    notify("trade_cancelled", f"{trade.number} 撤销")
    return trade


# ---------------------------------------------------------------------------------------------
# Scheduler: close due notices and auctions
# ---------------------------------------------------------------------------------------------


def close_due(*, actor=None) -> dict[str, list[str]]:
    """Close every notice period and auction that has ended (idempotent; safe in several workers)."""
    now = clock.now()
    out = {"notices": [], "auctions": []}
    for pk in Trade.objects.filter(status=TradeStatus.LISTED, listing__notice_ends_at__lte=now).values_list("pk", flat=True):
        try:
            out["notices"].append(run(close_notice, actor=actor, trade=pk).number)
        except DomainError as exc:
            log.info("close_notice %s: %s", pk, exc)
    for pk in Trade.objects.filter(status=TradeStatus.AUCTION, listing__auction__ends_at__lte=now).values_list("pk", flat=True):
        try:
            out["auctions"].append(run(close_auction, actor=actor, trade=pk).number)
        except DomainError as exc:
            log.info("close_auction %s: %s", pk, exc)
    return out


# ---------------------------------------------------------------------------------------------
# 归集: households' volume gathered into their association's right (T9, T10)
# ---------------------------------------------------------------------------------------------
#
# Allocation (A4) gives the association its right and certificate but posts the whole volume down
# to its households' rights, so the association itself holds nothing to sell. Before an
# association sells — to another association (T9) or back to the county reserve (T10) — its
# households give volume back to it in one balanced ledger entry (kind ``pooling``): pro rata to
# their rights' nominal volumes (their planted areas, the basis of the allocation), or only among
# the households that consented. All or nothing: if any household lacks the available volume for
# its share in any year, the ledger refuses the whole entry and nothing is written. What the
# association does not sell can be given back to the same households (``pooling_return``).

POOL_REF = "trading.pooling"


def association_right_for(association, years: list[int]) -> WaterRight | None:
    """The association's active irrigation right covering every year of ``years``."""
    for right in WaterRight.objects.filter(association=association, kind=RightKind.IRRIGATION, status=RightStatus.ACTIVE).order_by("pk"):
        if all(right.covers_year(y) for y in years):
            return right
    return None


def member_rights(association_right: WaterRight, years: list[int], households=None) -> list[WaterRight]:
    """The household rights allocated from ``association_right`` that cover ``years`` (only those of
    ``households`` when given), in household-code order."""
    qs = WaterRight.objects.filter(parent=association_right, kind=RightKind.HOUSEHOLD, status=RightStatus.ACTIVE,
                                   household__isnull=False).select_related("household")
    if households is not None:
        qs = qs.filter(household__in=households)
    return [r for r in qs.order_by("household__code", "pk") if all(r.covers_year(y) for y in years)]


def pooling_shares(association_right: WaterRight, volume_m3: int, years: list[int], households=None) -> list[tuple[WaterRight, int]]:
    """Each household right's share of ``volume_m3`` (per year): pro rata to the rights' nominal
    volumes, largest remainder, summing exactly to ``volume_m3``; zero shares left out."""
    rights = member_rights(association_right, years, households)
    if not rights or sum(r.annual_volume_m3 for r in rights) <= 0:
        return []
    parts = split_by_weights(volume_m3, [r.annual_volume_m3 for r in rights])
    return [(r, part) for r, part in zip(rights, parts, strict=True) if part]


def _pool_years(first_year, last_year) -> list[int]:
    try:
        first = int(first_year)
        last = int(last_year) if last_year not in (None, "") else first
    except (TypeError, ValueError):
        raise ValidationFailed("invalid_years", "年度无效", "Invalid years", detail={"fields": {"first_year": ["年度无效"]}}) from None
    if first < clock.this_year():
        raise ValidationFailed("past_year", f"起始年度不能早于本年度（{clock.this_year()}）", f"Cannot pool for a year before {clock.this_year()}",
                               detail={"fields": {"first_year": ["起始年度不能早于本年度"]}})
    if last < first or last - first + 1 > int(config.get("trading.max_term_years")):
        raise ValidationFailed("invalid_term", "终止年度无效", "Invalid last year", detail={"fields": {"last_year": ["终止年度无效"]}})
    return list(range(first, last + 1))


@transaction.atomic
def pool_household_volume(*, actor, association, volume_m3, first_year, last_year=None, households=None, reason: str,
                          is_demo: bool = False) -> Pooling:
    """归集: the association's households give ``volume_m3`` m³ for each year to the association's
    right, pro rata to their rights (or only among the consenting ``households``), in one ledger
    entry; the shares are recorded. The association's representative acts for its households."""
    if not isinstance(association, reg.Association):
        association = reg.Association.objects.filter(pk=association).first()
        if association is None:
            raise ValidationFailed("unknown_association", "协会不存在", "No such association", detail={"fields": {"association": ["协会不存在"]}})
    if not acts_for(actor, Party("association", association)):
        raise Forbidden("只有本协会（或市水利局）可以归集用水户水量", "Only the association's representative (or the city bureau) may pool its households' volume",
                        code="not_association_rep")
    volume_m3 = _positive_int(volume_m3, "volume_m3", "年归集水量")
    years = _pool_years(first_year, last_year)
    if not (reason or "").strip():
        raise ValidationFailed("reason_required", "须说明归集事由", "A reason is required", detail={"fields": {"reason": ["须说明归集事由"]}})
    assoc_right = association_right_for(association, years)
    if assoc_right is None:
        raise ValidationFailed("no_association_right", f"{association} 在 {years[0]}–{years[-1]} 年没有有效的灌溉用水权",
                               f"{association} holds no active irrigation right for {years[0]}–{years[-1]}")
    consent = households is not None
    if consent:
        try:
            wanted = {int(getattr(h, "pk", h)) for h in households}
        except (TypeError, ValueError):
            raise ValidationFailed("not_member", "用水户无效", "Invalid households", detail={"fields": {"households": ["用水户无效"]}}) from None
        if not wanted:
            raise ValidationFailed("no_households", "请选择同意归集的用水户", "Choose the consenting households",
                                   detail={"fields": {"households": ["请选择同意归集的用水户"]}})
        members = set(reg.Household.objects.filter(association=association, pk__in=wanted).values_list("pk", flat=True))
        strangers = wanted - members
        if strangers:
            raise ValidationFailed("not_member", "同意归集的用水户须为本协会会员", "The consenting households must be members of the association",
                                   detail={"fields": {"households": ["须选择本协会的用水户"]}})
        households = sorted(wanted)
    shares = pooling_shares(assoc_right, volume_m3, years, households)
    if not shares:
        raise ValidationFailed("no_household_rights", "所选用水户在这些年度没有可归集的用水户水权",
                               "The chosen households hold no household right for these years")
    pooling = Pooling.objects.create(association=association, association_right=assoc_right, region=association.region,
                                     first_year=years[0], last_year=years[-1], volume_m3=volume_m3, consent_only=consent,
                                     reason=reason, created_by=actor, is_demo=is_demo)
    pooling.number = f"GJ{clock.this_year()}{pooling.pk:06d}"
    lines = []
    for year in years:
        lines.append(ledger.Line(assoc_right, year, volume_m3))
        lines += [ledger.Line(right, year, -part) for right, part in shares]
    try:
        entry = ledger.post_entry(actor=actor, kind=EntryKind.POOLING, memo=f"归集 {pooling.number}：{association} 用水户水量归集到协会",
                                  lines=lines, reference=(POOL_REF, pooling.pk), shortfall_rule="L1", is_demo=is_demo)
    except InsufficientVolume as exc:
        first = exc.detail["shortfalls"][0]
        raise InsufficientVolume(
            "L1", "pooling_shortfall",
            f"用水户水权 {first['right']} {first['year']}年可用 {first['available_m3']:,} 立方米，不足以承担归集份额 {first['needed_m3']:,} 立方米"
            "（可减少归集水量，或仅在同意归集的用水户之间归集）",
            f"Household right {first['right']} has {first['available_m3']:,} m³ available in {first['year']}, less than its share of "
            f"{first['needed_m3']:,} m³ (pool less, or only among consenting households)",
            detail=exc.detail,
        ) from None
    pooling.entry = entry
    pooling.save(update_fields=["number", "entry"])
    PoolingShare.objects.bulk_create([PoolingShare(pooling=pooling, household=right.household, household_right=right,
                                                   weight_m3=right.annual_volume_m3, volume_m3=part) for right, part in shares])
    audit.record(actor=actor, action="pooling", obj=pooling, message=reason, region_code=association.region.code or "", after={
        "number": pooling.number, "association": str(association), "right": assoc_right.number, "years": [years[0], years[-1]],
        "volume_m3": volume_m3, "consent_only": consent, "entry": entry.number,
        "shares": [[right.household.code, right.number, part] for right, part in shares]})
    notify("pooling", f"{pooling.number} {association} 归集 {volume_m3} 立方米/年")
    return pooling


@transaction.atomic
def return_pooled_volume(*, actor, pooling, volume_m3=None, reason: str) -> PoolingReturn:
    """Give pooled volume the association has not sold back to the same households, pro rata to
    what each gave and has not had back (one ledger entry, all or nothing)."""
    pk = getattr(pooling, "pk", pooling)
    pooling = Pooling.objects.select_for_update(of=("self",)).select_related("association", "association_right").filter(pk=pk).first()
    if pooling is None:
        raise NotFound("归集记录不存在", "No such pooling")
    if not acts_for(actor, Party("association", pooling.association)):
        raise Forbidden("只有本协会（或市水利局）可以退回归集水量", "Only the association's representative (or the city bureau) may return pooled volume",
                        code="not_association_rep")
    if not (reason or "").strip():
        raise ValidationFailed("reason_required", "须说明退回事由", "A reason is required", detail={"fields": {"reason": ["须说明退回事由"]}})
    outstanding = pooling.outstanding_m3
    if outstanding <= 0:
        raise Conflict("nothing_to_return", "该归集水量已全部退回", "All of this pooled volume has been returned")
    volume_m3 = outstanding if volume_m3 in (None, "") else _positive_int(volume_m3, "volume_m3", "退回水量")
    if volume_m3 > outstanding:
        raise ValidationFailed("over_outstanding", f"最多可退回 {outstanding:,} 立方米/年", f"At most {outstanding:,} m³ a year can be returned",
                               detail={"fields": {"volume_m3": [f"最多 {outstanding:,} 立方米"]}})
    shares = list(PoolingShare.objects.select_for_update(of=("self",)).filter(pooling=pooling).select_related("household_right", "household")
                  .order_by("pk"))
    owed = [s.volume_m3 - s.returned_m3 for s in shares]
    parts = split_by_weights(volume_m3, owed)
    back = PoolingReturn.objects.create(pooling=pooling, volume_m3=volume_m3, reason=reason, created_by=actor,
                                        shares={str(s.household_id): part for s, part in zip(shares, parts, strict=True) if part})
    lines = []
    for year in pooling.years():
        lines.append(ledger.Line(pooling.association_right, year, -volume_m3))
        lines += [ledger.Line(s.household_right, year, part) for s, part in zip(shares, parts, strict=True) if part]
    entry = ledger.post_entry(actor=actor, kind=EntryKind.POOLING_RETURN, memo=f"归集 {pooling.number} 水量退回用水户", lines=lines,
                              reference=(POOL_REF, pooling.pk), shortfall_rule="L1", is_demo=pooling.is_demo)
    back.entry = entry
    back.save(update_fields=["entry"])
    for s, part in zip(shares, parts, strict=True):
        if part:
            s.returned_m3 += part
            s.save(update_fields=["returned_m3"])
    pooling.returned_m3 += volume_m3
    pooling.save(update_fields=["returned_m3"])
    audit.record(actor=actor, action="pooling_return", obj=pooling, message=reason, region_code=pooling.region.code or "",
                 after={"volume_m3": volume_m3, "returned_m3": pooling.returned_m3, "entry": entry.number,
                        "shares": [[s.household.code, part] for s, part in zip(shares, parts, strict=True) if part]})
    return back


# ---------------------------------------------------------------------------------------------
# Reserves and outside counterparties (T2, T10, F3)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def create_reserve(*, actor, region, name: str, operator: str, funder: str, is_demo: bool = False) -> Reserve:
    """Set up a city or county reserve (收储) with the party that funds it (F3)."""
    require_role(actor, message="收储机构由市水利局设立", message_en="Reserves are set up by the city bureau")
    if not (funder or "").strip():
        raise ValidationFailed("funder_required", "须记录收储资金出资方（F3）", "Record who funds the reserve (F3)")
    if region.kind not in (RegionKind.CITY, RegionKind.COUNTY, RegionKind.DISTRICT, RegionKind.COUNTY_CITY):
        raise ValidationFailed("bad_region", "收储机构设在市或县级行政区", "A reserve belongs to the city or a county")
    if Reserve.objects.filter(name=name).exists():
        raise Conflict("reserve_exists", f"收储机构 {name} 已存在", f"A reserve named {name} already exists")
    reserve = Reserve.objects.create(region=region, name=name, operator=operator, funder=funder, is_demo=is_demo)
    audit.record(actor=actor, action="create", obj=reserve, after=audit.snapshot(reserve), region_code=region.code or "")
    return reserve


def ensure_outside_region(*, actor, name: str, name_en: str = "") -> reg.Region:
    """An outside counterparty city (e.g. 郑州市), registered once through the registry's services."""
    region = reg.Region.objects.filter(name=name).first()
    if region is not None:
        return region
    province = reg.Region.objects.filter(kind=RegionKind.PROVINCE).first()
    return crud.create_object(reg.Region, actor=actor, data={"name": name, "name_en": name_en, "kind": RegionKind.OUTSIDE,
                                                             "parent": province, "sort_order": 90},
                              message="跨区域水权交易受让方（市外）")


# ---------------------------------------------------------------------------------------------
# S6 restrictions (supervision will drive these)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def impose_restriction(*, actor, kind: str, ground: str, reason: str, region=None, water_user=None, association=None, cut_pct=None,
                       is_demo: bool = False) -> TradingRestriction:
    """S6: halt a party's trading or cut its trade volume until it complies (city bureau)."""
    require_role(actor, message="交易限制由市水利局作出", message_en="Only the city bureau imposes trading restrictions")
    if kind not in RestrictionKind.values:
        raise ValidationFailed("invalid_kind", "措施无效", "Invalid kind")
    if not (reason or "").strip():
        raise ValidationFailed("reason_required", "须说明事由", "A reason is required", detail={"fields": {"reason": ["须说明事由"]}})
    if sum(x is not None for x in (region, water_user, association)) != 1:
        raise ValidationFailed("one_party", "须且只能指定一个行政区、取用水户或协会", "Name exactly one region, water user or association")
    if kind == RestrictionKind.CUT:
        try:
            cut_pct = Decimal(str(cut_pct))
        except (InvalidOperation, TypeError):
            cut_pct = None
        if cut_pct is None or not (Decimal("0") < cut_pct <= Decimal("100")):
            raise ValidationFailed("invalid_cut", "核减比例须在0到100之间", "The cut must be between 0 and 100 percent",
                                   detail={"fields": {"cut_pct": ["核减比例须在0到100之间"]}})
    else:
        cut_pct = None
    r = TradingRestriction.objects.create(kind=kind, ground=ground, reason=reason, region=region, water_user=water_user,
                                          association=association, cut_pct=cut_pct, imposed_by=actor, is_demo=is_demo)
    party_region = region or (water_user.region if water_user else association.region)
    audit.record(actor=actor, action="restriction_impose", obj=r, after=audit.snapshot(r), region_code=party_region.code or "")
    notify("restriction_imposed", f"S6 {r}")
    return r


@transaction.atomic
def lift_restriction(*, actor, restriction, reason: str) -> TradingRestriction:
    require_role(actor, message="交易限制由市水利局解除", message_en="Only the city bureau lifts trading restrictions")
    r = TradingRestriction.objects.select_for_update(of=("self",)).get(pk=getattr(restriction, "pk", restriction))
    if r.lifted_at is not None:
        raise Conflict("already_lifted", "该限制已解除", "Already lifted")
    if not (reason or "").strip():
        raise ValidationFailed("reason_required", "须说明解除理由", "A reason is required", detail={"fields": {"reason": ["须说明理由"]}})
    before = audit.snapshot(r)
    r.lifted_at, r.lifted_by, r.lift_reason = clock.now(), actor, reason
    r.save()
    audit.record(actor=actor, action="restriction_lift", obj=r, before=before, after=audit.snapshot(r), region_code="")
    return r


def set_source_flags(*, actor, source, is_overdraft_area: bool, is_overloaded: bool):
    """S4's area lists live on the registry's water sources: the city bureau marks a groundwater
    source as an overdraft area or a surface source as overloaded (validated and audited by the
    registry's generic update service)."""
    require_role(actor, message="超采区、超载地区由市水利局认定", message_en="Only the city bureau designates overdraft and overloaded areas")
    return crud.update_object(reg.WaterSource, getattr(source, "pk", source), actor=actor,
                              data={"is_overdraft_area": bool(is_overdraft_area), "is_overloaded": bool(is_overloaded)},
                              message="交易规则：地下水超采区/地表水超载地区（S4）")


def sellable_rights(user) -> list[WaterRight]:
    """The rights ``user`` may sell from (for the application form)."""
    from .parties import my_parties, rights_of

    out = []
    for party in my_parties(user):
        out += rights_of(party)
    seen, unique = set(), []
    for r in out:
        if r.pk not in seen:
            seen.add(r.pk)
            unique.append(r)
    return unique


def visible_trades(user):
    """Trades ``user`` may see: its scope (parties, county, district, association; everything for
    city-wide roles), every listed or auctioned trade (public announcements), and trades where one
    of the user's parties is the buyer or an intending buyer."""
    from shuiquan.core.scoping import scope_q

    from .parties import my_parties

    scope = scope_q(Trade, user)
    if not scope:  # an empty Q means "everything" (city-wide roles); OR-ing it would lose that
        return Trade.objects.all()
    q = scope | Q(status__in=[TradeStatus.LISTED, TradeStatus.AUCTION])
    refs = [p.ref for p in my_parties(user)]
    if refs:
        q |= Q(buyer_ref__in=refs) | Q(listing__intents__buyer_ref__in=refs)
    return Trade.objects.filter(q).distinct()


def trade_for_actor(user, pk) -> Trade:
    """A trade the user may see (404 otherwise)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("交易不存在", "No such trade") from None
    trade = Trade.objects.filter(pk__in=visible_trades(user).filter(pk=pk).values("pk")).first()
    if trade is None:
        raise NotFound("交易不存在", "No such trade")
    return trade
