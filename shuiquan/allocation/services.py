"""Allocation services: prepare and compute runs, take them through the registration workflow,
register them in the ledger, issue and revoke certificates; maintain river plans.

Every function runs in one transaction, locks what it changes (the run row, then the ledger rows
through ``ledger.services``), checks who may do the step (``policy``) and the rules (A1–A5, in the
engines, re-checked at registration under the ledger's locks), writes, and appends the audit
record. A refusal raises a ``core.errors`` domain error and leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from shuiquan.core import audit
from shuiquan.core.errors import (
    Conflict,
    InsufficientVolume,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from shuiquan.core.scoping import VIEW, get_scoped, require_role
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, RightKind, RightStatus
from shuiquan.ledger.models import JournalEntry, WaterRight
from shuiquan.registry import models as reg

from . import engines, params, policy
from .choices import (
    CertificateStatus,
    Engine,
    LineRole,
    PlanStatus,
    RunStatus,
    Step,
)
from .models import (
    AllocationLine,
    AllocationRun,
    Certificate,
    RiverPlan,
    RiverPlanPoint,
    RiverPlanShare,
    RunTransition,
    WaterQuota,
)

REFERENCE = "allocation.allocationrun"

# ---------------------------------------------------------------------------------------------
# Parameters of a run
# ---------------------------------------------------------------------------------------------


def _int(value, name: str) -> int:
    try:
        if isinstance(value, bool) or isinstance(value, float):
            raise ValueError
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed("invalid", f"{name}须为整数", f"{name} must be an integer", detail={"fields": {name: ["须为整数"]}}) from None


def _decimal(value, name: str) -> Decimal:
    if isinstance(value, float):
        raise ValidationFailed("invalid", f"{name}不能为浮点数", f"{name} must not be a float", detail={"fields": {name: ["格式错误"]}})
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, TypeError):
        raise ValidationFailed("invalid", f"{name}须为数字", f"{name} must be a number", detail={"fields": {name: ["须为数字"]}}) from None
    if not d.is_finite():
        raise ValidationFailed("invalid", f"{name}须为数字", f"{name} must be a number", detail={"fields": {name: ["须为数字"]}})
    return d


def _years(parameters: dict, default_first: int, default_last: int) -> tuple[int, int]:
    first = _int(parameters.get("first_year") or default_first, "first_year")
    last = _int(parameters.get("last_year") or default_last, "last_year")
    if not 2000 <= first <= 2100 or not 2000 <= last <= 2100:
        raise ValidationFailed("invalid_years", "年度须在2000–2100之间", "Years must be within 2000–2100",
                               detail={"fields": {"first_year": ["年度无效"]}})
    if last < first:
        raise ValidationFailed("invalid_years", "终止年度不能早于起始年度", "The last year cannot precede the first",
                               detail={"fields": {"last_year": ["终止年度不能早于起始年度"]}})
    if last - first > 30:
        raise ValidationFailed("invalid_years", "登记年度跨度不能超过30年", "At most 30 years", detail={"fields": {"last_year": ["跨度过长"]}})
    return first, last


def horizon() -> tuple[int, int]:
    return params.REGIONAL_FIRST_YEAR, params.REGIONAL_LAST_YEAR.value


def _resolve(engine: str, parameters: dict, actor) -> dict[str, Any]:
    """Validate a run's parameters and resolve the objects they name (scoped to ``actor``)."""
    if engine not in Engine.values:
        raise ValidationFailed("invalid_engine", f"未知的分配类型：{engine}", f"Unknown engine: {engine}", detail={"fields": {"engine": ["无效"]}})
    parameters = dict(parameters or {})
    first, last = horizon()
    nanyang = engines.city()
    out: dict[str, Any] = {"region": nanyang, "permit": None, "district": None, "plan": None}
    if engine == Engine.REGIONAL:
        out["first_year"], out["last_year"] = _years(parameters, first, last)
        out["title"] = f"南阳市区域用水权分配（表2-1，{out['first_year']}–{out['last_year']}年）"
        out["parameters"] = {"first_year": out["first_year"], "last_year": out["last_year"], "target_year": 2025}
    elif engine == Engine.SNWD:
        out["first_year"], out["last_year"] = _years(parameters, first, last)
        out["title"] = f"南水北调中线工程用水权分配（表2-2，{out['first_year']}–{out['last_year']}年）"
        out["parameters"] = {"first_year": out["first_year"], "last_year": out["last_year"]}
    elif engine == Engine.GROUNDWATER:
        out["first_year"], out["last_year"] = _years(parameters, first, last)
        indicator_year = _int(parameters.get("indicator_year") or 2030, "indicator_year")
        out["title"] = f"地下水管控指标分配（{indicator_year}年指标，{out['first_year']}–{out['last_year']}年）"
        out["parameters"] = {"first_year": out["first_year"], "last_year": out["last_year"], "indicator_year": indicator_year}
    elif engine == Engine.RIVER:
        try:
            plan = RiverPlan.objects.select_related("river").get(pk=_int(parameters.get("plan"), "plan"))
        except RiverPlan.DoesNotExist:
            raise ValidationFailed("invalid", "河流水量分配方案不存在", "No such river plan", detail={"fields": {"plan": ["不存在"]}}) from None
        if plan.status != PlanStatus.APPROVED:
            raise Conflict("plan_not_approved", f"{plan.name} 尚未批复，不能据以分配", f"{plan.name} is not approved")
        year = _int(parameters.get("year"), "year")
        if not 2000 <= year <= 2100:
            raise ValidationFailed("invalid_years", "年度无效", "Invalid year", detail={"fields": {"year": ["年度无效"]}})
        frequency = _decimal(parameters.get("frequency"), "frequency")
        if not Decimal("0") < frequency < Decimal("100"):
            raise ValidationFailed("bad_frequency", "来水频率须在0与100之间", "The inflow frequency must be between 0 and 100",
                                   detail={"fields": {"frequency": ["须在0与100之间"]}})
        out.update(plan=plan, first_year=year, last_year=year, frequency=frequency)
        out["title"] = f"{plan.river.name}{year}年度水量分配（来水频率 {engines.dec(frequency)}%）"
        out["parameters"] = {"plan": plan.pk, "year": year, "frequency": engines.dec(frequency)}
    elif engine == Engine.PERMIT:
        try:
            permit = get_scoped(reg.WithdrawalPermit.objects.select_related("holder", "region", "source", "approving_authority"),
                                actor, _int(parameters.get("permit"), "permit"), VIEW)
        except NotFound:
            raise ValidationFailed("invalid", "取水许可证不存在或不在管辖范围内", "No such permit in your scope",
                                   detail={"fields": {"permit": ["不存在"]}}) from None
        if not permit.is_active:
            raise Conflict("permit_inactive", f"取水许可证 {permit.number} 不是有效状态", f"Permit {permit.number} is not active")
        right = ledger.right_for_region(permit.region, RightKind.REGIONAL)
        lo = max(permit.valid_from.year, right.valid_from.year if right else first)
        hi = min(permit.valid_to.year, right.valid_to.year if right else last)
        if hi < lo:
            raise ValidationFailed("no_years", f"取水许可证 {permit.number} 的有效期与区域用水权登记年度不重叠",
                                   f"Permit {permit.number}'s validity does not overlap the registered years")
        raw_items = parameters.get("items") or []
        if not isinstance(raw_items, list) or not raw_items:
            raise ValidationFailed("no_items", "至少填写一项规模与定额", "Give at least one scale and quota", detail={"fields": {"items": ["必填"]}})
        items = []
        for i, item in enumerate(raw_items):
            try:
                quota = WaterQuota.objects.select_related("sector").get(pk=_int(item.get("quota"), "quota"), is_active=True)
            except (WaterQuota.DoesNotExist, AttributeError):
                raise ValidationFailed("invalid", f"第{i + 1}项：用水定额不存在", f"Item {i + 1}: no such quota",
                                       detail={"fields": {"items": [f"第{i + 1}项定额不存在"]}}) from None
            scale = _decimal(item.get("scale"), "scale")
            if scale <= 0:
                raise ValidationFailed("bad_scale", f"第{i + 1}项：规模须大于0", f"Item {i + 1}: scale must be positive",
                                       detail={"fields": {"items": [f"第{i + 1}项规模须大于0"]}})
            items.append({"quota": quota, "scale": scale})
        saving = _decimal(parameters.get("saving_rate", params.DEFAULT_SAVING_RATE.value), "saving_rate")
        default_gw = params.OVERDRAFT_REDUCTION_RATE.value if permit.source.is_overdraft_area else Decimal(0)
        gw = _decimal(parameters.get("groundwater_rate", default_gw), "groundwater_rate")
        out.update(region=permit.region, permit=permit, first_year=lo, last_year=hi, items=items, saving_rate=saving, groundwater_rate=gw)
        out["title"] = f"{permit.holder.name}取水权核定（{permit.number}）"
        out["parameters"] = {"permit": permit.pk, "items": [{"quota": it["quota"].pk, "scale": engines.dec(it["scale"])} for it in items],
                             "saving_rate": engines.dec(saving), "groundwater_rate": engines.dec(gw)}
    elif engine == Engine.IRRIGATION:
        try:
            district = get_scoped(reg.IrrigationDistrict.objects.select_related("region"), actor, _int(parameters.get("district"), "district"), VIEW)
        except NotFound:
            raise ValidationFailed("invalid", "灌区不存在或不在管辖范围内", "No such irrigation district in your scope",
                                   detail={"fields": {"district": ["不存在"]}}) from None
        if district.region_id is None:
            raise ValidationFailed("district_without_region", f"{district.name}未登记所在行政区", f"{district.name} has no region")
        ids = parameters.get("associations") or []
        if not isinstance(ids, list) or not ids:
            raise ValidationFailed("no_associations", "请选择至少一个农民用水者协会", "Choose at least one association",
                                   detail={"fields": {"associations": ["必填"]}})
        ids = sorted({_int(i, "associations") for i in ids})
        associations = list(reg.Association.objects.filter(pk__in=ids, district=district).order_by("name"))
        if len(associations) != len(ids):
            raise ValidationFailed("association_outside_district", f"所选协会须属于{district.name}", f"Associations must belong to {district.name}",
                                   detail={"fields": {"associations": ["协会不属于该灌区"]}})
        profile = getattr(district, "irrigation_profile", None)
        frequency = _decimal(parameters.get("frequency") or (profile.design_frequency if profile else 75), "frequency")
        if not Decimal("0") < frequency < Decimal("100"):
            raise ValidationFailed("bad_frequency", "设计频率须在0与100之间", "Frequency must be between 0 and 100",
                                   detail={"fields": {"frequency": ["须在0与100之间"]}})
        # Default years: from this year to the end of the right the associations draw on.
        _permit, parent_right = engines.district_permit_right(district)
        if _permit is None:
            parent_right = ledger.right_for_region(district.region, RightKind.REGIONAL)
        default_first = max(timezone.localdate().year, parent_right.valid_from.year) if parent_right else timezone.localdate().year
        default_last = parent_right.valid_to.year if parent_right else last
        out["first_year"], out["last_year"] = _years(parameters, default_first, max(default_first, default_last))
        out.update(region=district.region, district=district, associations=associations, frequency=frequency)
        names = associations[0].name if len(associations) == 1 else f"{len(associations)}个协会"
        out["title"] = f"{district.name}灌溉用水户水权分配（{names}，{out['first_year']}–{out['last_year']}年）"
        out["parameters"] = {"district": district.pk, "associations": [a.pk for a in associations], "frequency": engines.dec(frequency),
                             "first_year": out["first_year"], "last_year": out["last_year"]}
    return out


def _compute(run: AllocationRun, resolved: dict) -> engines.Computation:
    years = run.years()
    if run.engine == Engine.REGIONAL:
        return engines.regional(run.first_year, run.last_year, run.parameters.get("target_year", 2025))
    if run.engine == Engine.SNWD:
        return engines.snwd(run.first_year, run.last_year)
    if run.engine == Engine.GROUNDWATER:
        return engines.groundwater(run.first_year, run.last_year, run.parameters.get("indicator_year", 2030))
    if run.engine == Engine.RIVER:
        return engines.river(resolved["plan"], run.first_year, resolved["frequency"])
    if run.engine == Engine.PERMIT:
        return engines.permit(resolved["permit"], resolved["items"], resolved["saving_rate"], resolved["groundwater_rate"], years)
    return engines.irrigation(resolved["district"], resolved["associations"], resolved["frequency"], years)


# ---------------------------------------------------------------------------------------------
# The workflow
# ---------------------------------------------------------------------------------------------


def _lock(run) -> AllocationRun:
    pk = run.pk if isinstance(run, AllocationRun) else run
    try:
        return AllocationRun.objects.select_for_update(of=("self",)).select_related(
            "region", "permit__approving_authority", "permit__holder", "irrigation_district", "river_plan__river"
        ).get(pk=pk)
    except (AllocationRun.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _record(run: AllocationRun, name: str, source: str, actor, step: str, reason: str) -> None:
    RunTransition.objects.create(run=run, name=name, source=source, target=run.status, actor=actor,
                                 actor_name=(getattr(actor, "display_name", "") or actor.username)[:150],
                                 acting_for=policy.acting_for(run, step, actor)[:100], reason=reason)
    audit.record(actor=actor, action=f"allocation_{name}", obj=run, before={"status": source}, after={"status": run.status},
                 message=reason)


def _advance(run: AllocationRun, name: str, *, actor, reason: str = "", effect=None) -> AllocationRun:
    """Do transition ``name`` on the locked ``run``: check the state and the actor, run the side
    effect (ledger postings, certificates), change the state, write the history and audit."""
    method = getattr(run, name)
    meta = method._django_fsm
    transition = meta.get_transition(run.status)
    label = str(next(iter(meta.transitions.values())).custom.get("label", name))
    if transition is None:
        raise Conflict("invalid_transition", f"当前状态“{run.get_status_display()}”不能执行“{label}”",
                       f"Cannot {name} a run that is {run.status}", detail={"status": run.status, "action": name})
    step = transition.custom["step"]
    if name == "reject":
        if not policy.may_reject(run, actor):
            policy.check(run, actor, policy.REJECT_STEP[run.status])
    else:
        policy.check(run, actor, step)
    reason = (reason or "").strip()
    if transition.custom.get("needs_reason") and not reason:
        raise ValidationFailed("reason_required", "须填写理由", "A reason is required", detail={"fields": {"reason": ["须填写理由"]}})
    source = run.status
    if effect is not None:
        effect(run)
    method()
    run.save()
    _record(run, name, source, actor, step if name != "reject" else policy.REJECT_STEP.get(source, Step.REVIEW), reason)
    return run


@transaction.atomic
def create_run(*, actor, engine: str, parameters: dict, is_demo: bool = False) -> AllocationRun:
    """Prepare a draft run (nothing computed yet)."""
    resolved = _resolve(engine, parameters, actor)
    run = AllocationRun(
        engine=engine, title=resolved["title"], region=resolved["region"], permit=resolved["permit"],
        irrigation_district=resolved["district"], river_plan=resolved["plan"], first_year=resolved["first_year"],
        last_year=resolved["last_year"], parameters=resolved["parameters"], created_by=actor, is_demo=is_demo,
    )
    policy.check(run, actor, Step.PREPARE)
    if engine == Engine.PERMIT and ledger.right_for_permit(resolved["permit"]) is not None:
        raise Conflict("already_registered", f"取水许可证 {resolved['permit'].number} 已登记取水权",
                       f"Permit {resolved['permit'].number} already has a registered right")
    run.save()
    run.number = f"FP{timezone.localdate().year}-{run.pk:06d}"
    run.save(update_fields=["number"])
    audit.record(actor=actor, action="allocation_create", obj=run, after=audit.snapshot(run))
    return run


@transaction.atomic
def update_parameters(run, *, actor, parameters: dict) -> AllocationRun:
    """Change a draft's parameters (a computed run is sent back to draft first)."""
    run = _lock(run)
    policy.check(run, actor, Step.PREPARE)
    if run.status != RunStatus.DRAFT:
        raise Conflict("not_draft", "只有草稿可以修改", "Only a draft can be changed")
    resolved = _resolve(run.engine, parameters, actor)
    before = audit.snapshot(run)
    run.parameters = resolved["parameters"]
    run.title = resolved["title"]
    run.first_year, run.last_year = resolved["first_year"], resolved["last_year"]
    run.save()
    audit.record(actor=actor, action="allocation_update", obj=run, before=before, after=audit.snapshot(run))
    return run


def _store(run: AllocationRun, comp: engines.Computation) -> None:
    run.lines.all().delete()
    objs, index = [], {}
    for seq, spec in enumerate(comp.lines, start=1):
        index[id(spec)] = seq
        objs.append(AllocationLine(
            run=run, seq=seq, role=spec.role, label=spec.label[:200], region=spec.region, water_user=spec.water_user,
            irrigation_district=spec.irrigation_district, association=spec.association, household=spec.household,
            river=spec.river, use=spec.use, source_type=spec.source_type, year=spec.year, volume_m3=spec.volume_m3,
            exact=spec.exact[:40], detail=spec.detail,
        ))
    AllocationLine.objects.bulk_create(objs, batch_size=1000)
    pks = dict(AllocationLine.objects.filter(run=run).values_list("seq", "pk"))
    children = []
    for spec in comp.lines:
        if spec.parent is not None:
            line = AllocationLine(pk=pks[index[id(spec)]])
            line.parent_line_id = pks[index[id(spec.parent)]]
            children.append(line)
    if children:
        AllocationLine.objects.bulk_update(children, ["parent_line"], batch_size=1000)
    run.inputs = comp.inputs
    run.formula = comp.formula
    run.formula_en = comp.formula_en
    run.result = comp.totals
    run.total_m3 = comp.total_m3
    run.legal_basis = comp.legal_basis[:300]
    run.computed_at = timezone.now()


@transaction.atomic
def compute_run(run, *, actor) -> AllocationRun:
    """Run the engine on a draft: store inputs, formula, lines and totals (draft → computed).
    Refusals of the engine (A1–A5) leave the draft as it was."""
    run = _lock(run)
    resolved = _resolve(run.engine, run.parameters, actor) if run.status == RunStatus.DRAFT else {}

    def effect(r):
        _store(r, _compute(r, resolved))

    return _advance(run, "compute", actor=actor, effect=effect)


@transaction.atomic
def prepare_and_compute(*, actor, engine: str, parameters: dict, is_demo: bool = False) -> AllocationRun:
    """Create and compute a run in one transaction: a refusal writes nothing at all."""
    run = create_run(actor=actor, engine=engine, parameters=parameters, is_demo=is_demo)
    return compute_run(run, actor=actor)


@transaction.atomic
def review_run(run, *, actor, reason: str = "") -> AllocationRun:
    """The reviewing bureau checks the computation and submits it (computed → reviewed)."""
    return _advance(_lock(run), "review", actor=actor, reason=reason)


@transaction.atomic
def approve_run(run, *, actor, reason: str = "") -> AllocationRun:
    """The approving authority approves (reviewed → approved)."""
    return _advance(_lock(run), "approve", actor=actor, reason=reason)


@transaction.atomic
def reject_run(run, *, actor, reason: str) -> AllocationRun:
    """Send a run back to draft with a reason (from computed, reviewed or approved)."""
    run = _lock(run)

    def effect(r):
        r.computed_at = None

    return _advance(run, "reject", actor=actor, reason=reason, effect=effect)


@transaction.atomic
def register_run(run, *, actor, reason: str = "") -> AllocationRun:
    """Write the approved allocation into the ledger (approved → registered): open the rights and
    post the entries, all in this one transaction. The rules are checked again under the ledger's
    locks; a refusal leaves the ledger unchanged."""
    run = _lock(run)

    def effect(r):
        POSTERS[r.engine](r, actor)
        r.registered_at = timezone.now()

    return _advance(run, "register", actor=actor, reason=reason, effect=effect)


@transaction.atomic
def issue_certificates(run, *, actor, reason: str = "") -> AllocationRun:
    """Issue the numbered certificates of a registered run (registered → issued)."""
    from .certificates import issue_for_run

    run = _lock(run)
    return _advance(run, "issue", actor=actor, reason=reason, effect=lambda r: issue_for_run(r, actor))


@transaction.atomic
def revoke_run(run, *, actor, reason: str) -> AllocationRun:
    """Correct a registered allocation: reverse its entries (never edit them), cancel its rights and
    certificates. Refused while rights allocated from these rights still hold volume."""
    run = _lock(run)

    def effect(r):
        entries = list(JournalEntry.objects.filter(reference_type=REFERENCE, reference_id=str(r.pk), reversed_by__isnull=True)
                       .exclude(kind=EntryKind.REVERSAL).order_by("-pk"))
        for entry in entries:
            try:
                ledger.reverse_entry(entry, actor=actor, reason=f"撤销 {r.number}：{reason}")
            except InsufficientVolume as exc:
                raise Conflict("children_hold_volume",
                               "由这些用水权分配出去的下级用水权仍持有水量，须先撤销下级分配",
                               "Rights allocated from these rights still hold volume; revoke those allocations first",
                               detail=exc.detail) from None
        for line in r.lines.filter(right__isnull=False).select_related("right"):
            if line.right.status != RightStatus.CANCELLED:
                ledger.set_right_status(line.right, RightStatus.CANCELLED, actor=actor, reason=f"撤销 {r.number}：{reason}")
        now = timezone.now()
        Certificate.objects.filter(run=r, status=CertificateStatus.VALID).update(
            status=CertificateStatus.REVOKED, revoked_at=now, revoked_reason=reason[:300])

    return _advance(run, "revoke", actor=actor, reason=reason, effect=effect)


ACTIONS = {
    "compute": lambda run, actor, reason: compute_run(run, actor=actor),
    "review": lambda run, actor, reason: review_run(run, actor=actor, reason=reason),
    "approve": lambda run, actor, reason: approve_run(run, actor=actor, reason=reason),
    "register": lambda run, actor, reason: register_run(run, actor=actor, reason=reason),
    "issue": lambda run, actor, reason: issue_certificates(run, actor=actor, reason=reason),
    "reject": lambda run, actor, reason: reject_run(run, actor=actor, reason=reason),
    "revoke": lambda run, actor, reason: revoke_run(run, actor=actor, reason=reason),
}


def perform(run, action: str, *, actor, reason: str = "") -> AllocationRun:
    """Dispatch a workflow action by name (pages and API)."""
    if action not in ACTIONS:
        raise ValidationFailed("invalid_action", f"未知操作：{action}", f"Unknown action: {action}")
    return ACTIONS[action](run, actor, reason)


def available_actions(run: AllocationRun, user) -> list[dict]:
    """The transitions ``user`` may do now (buttons shown on the page)."""
    out = []
    for t in run.get_available_user_status_transitions(user):
        out.append({"name": t.name, "label": str(t.custom.get("label", t.name)), "needs_reason": bool(t.custom.get("needs_reason")),
                    "target": t.target})
    return out


# ---------------------------------------------------------------------------------------------
# Registration: opening rights and posting entries, per engine
# ---------------------------------------------------------------------------------------------


def _dates(first: int, last: int) -> tuple[dt.date, dt.date]:
    return dt.date(first, 1, 1), dt.date(last, 12, 31)


def _lines(run, *roles) -> list[AllocationLine]:
    qs = run.lines.select_related("region", "water_user", "irrigation_district", "association", "household", "river", "parent_line")
    if roles:
        qs = qs.filter(role__in=roles)
    return list(qs.order_by("seq"))


def _post(run, actor, *, kind, memo, source: WaterRight, targets: list[tuple[WaterRight, int]], years, rule=None):
    """One entry: ``source`` → each target right, for each year (skips zero volumes)."""
    from shuiquan.ledger.services import Line

    lines = []
    for year in years:
        total = sum(v for _r, v in targets if v)
        if not total:
            continue
        lines.append(Line(source, year, -total))
        lines += [Line(r, year, v) for r, v in targets if v]
    if not lines:
        return None
    return ledger.post_entry(actor=actor, kind=kind, memo=memo[:300], lines=lines, reference=(REFERENCE, str(run.pk)),
                             shortfall_rule=rule, is_demo=run.is_demo)


def _open(run, actor, line: AllocationLine | None, **kwargs) -> WaterRight:
    kwargs.setdefault("is_demo", run.is_demo)
    kwargs.setdefault("legal_basis", run.legal_basis)
    right = ledger.open_right(actor=actor, message=f"{run.number} {run.title}"[:300], **kwargs)
    if line is not None:
        line.right = right
        line.save(update_fields=["right"])
    return right


def _active(qs):
    return qs.exclude(status=RightStatus.CANCELLED)


def _post_regional(run, actor):
    nanyang = engines.city()
    if _active(WaterRight.objects.filter(kind=RightKind.REGIONAL, holder_region=nanyang)).exists():
        raise Conflict("already_registered", "南阳市区域用水权已登记；更正须先撤销原登记（冲正）",
                       "The city's regional rights are already registered; revoke them first to correct")
    lines = _lines(run, LineRole.RIGHT)
    city_line = next(line for line in lines if line.region_id == nanyang.pk)
    start, end = _dates(run.first_year, run.last_year)
    years = run.years()
    issuance = _open(run, actor, None, kind=RightKind.ISSUANCE, name="河南省下达南阳市用水总量控制指标", holder_name="河南省人民政府",
                     region=nanyang, valid_from=start, valid_to=end)
    city_right = _open(run, actor, city_line, kind=RightKind.REGIONAL, name="南阳市区域用水权", holder=nanyang,
                       annual_volume_m3=city_line.volume_m3, parent=issuance, valid_from=start, valid_to=end)
    _post(run, actor, kind=EntryKind.ISSUANCE, memo=f"{run.number} 河南省下达南阳市用水总量控制指标（表2-1）", source=issuance,
          targets=[(city_right, city_line.volume_m3)], years=years)
    targets = []
    for line in lines:
        if line is city_line:
            continue
        right = _open(run, actor, line, kind=RightKind.REGIONAL, name=f"{line.region.name}区域用水权", holder=line.region,
                      annual_volume_m3=line.volume_m3, parent=city_right, valid_from=start, valid_to=end)
        targets.append((right, line.volume_m3))
    _post(run, actor, kind=EntryKind.ALLOCATION, memo=f"{run.number} 区域用水权分配到县（市、区）（A1）", source=city_right,
          targets=targets, years=years, rule="A1")


def _post_snwd(run, actor):
    source = reg.WaterSource.objects.filter(kind="snwd").first()
    lines = _lines(run, LineRole.RIGHT)
    for line in lines:
        holder = line.region or line.irrigation_district
        qs = WaterRight.objects.filter(kind=RightKind.SNWD)
        qs = qs.filter(holder_region=line.region) if line.region_id else qs.filter(irrigation_district=line.irrigation_district)
        if _active(qs).exists():
            raise Conflict("already_registered", f"{holder} 的南水北调用水权已登记；更正须先撤销原登记",
                           f"{holder} already holds a registered SNWD right")
    start, end = _dates(run.first_year, run.last_year)
    years = run.years()
    nanyang = engines.city()
    groups = [
        ("urban", "南水北调中线工程分配南阳市城镇水量指标", "mixed", "南水北调城镇水量指标（表2-2）分配到受水区（A5）"),
        ("agricultural", "南水北调中线工程分配引丹灌区农业灌溉用水指标", "agricultural", "南水北调引丹灌区农业灌溉用水指标（§2.3，A5）"),
    ]
    for key, name, _use, memo in groups:
        group = [line for line in lines if line.detail.get("issuance") == key]
        if not group:
            continue
        issuance = _open(run, actor, None, kind=RightKind.ISSUANCE, name=name, holder_name="南水北调中线工程", region=nanyang,
                         source=source, valid_from=start, valid_to=end)
        targets = []
        for line in group:
            holder = line.region or line.irrigation_district
            right = _open(run, actor, line, kind=RightKind.SNWD, name=f"{holder.name}南水北调用水权", holder=holder,
                          region=line.region if line.region_id else nanyang, source=source, use=line.use,
                          annual_volume_m3=line.volume_m3, parent=issuance, valid_from=start, valid_to=end)
            targets.append((right, line.volume_m3))
        _post(run, actor, kind=EntryKind.ISSUANCE, memo=f"{run.number} {memo}", source=issuance, targets=targets, years=years, rule="A5")


def _post_river(run, actor):
    plan = run.river_plan
    clash = AllocationRun.objects.filter(engine=Engine.RIVER, river_plan__river=plan.river, first_year=run.first_year,
                                         status__in=[RunStatus.REGISTERED, RunStatus.ISSUED]).exclude(pk=run.pk)
    if clash.exists():
        raise Conflict("already_registered", f"{plan.river.name}{run.first_year}年度水量分配已登记；调整须先撤销原登记",
                       f"The {run.first_year} allocation of {plan.river.name} is already registered")
    start, end = _dates(run.first_year, run.last_year)
    nanyang = engines.city()
    source = reg.WaterSource.objects.filter(kind="river", river=plan.river).first()
    frequency = run.parameters.get("frequency")
    issuance = _open(run, actor, None, kind=RightKind.ISSUANCE, name=f"{plan.river.name}{run.first_year}年来水（P={frequency}%）",
                     holder_name=plan.river.name, region=nanyang, river=plan.river, source=source, valid_from=start, valid_to=end)
    targets = []
    for line in _lines(run, LineRole.ECOLOGICAL, LineRole.RIGHT):
        if line.role == LineRole.ECOLOGICAL:
            right = _open(run, actor, line, kind=RightKind.ECOLOGICAL, name=f"{plan.river.name}{run.first_year}年河道基本生态水量",
                          holder=plan.river, region=nanyang, river=plan.river, source=source, use="ecological",
                          annual_volume_m3=line.volume_m3, parent=issuance, valid_from=start, valid_to=end, is_tradable=False)
        else:
            right = _open(run, actor, line, kind=RightKind.RIVER, name=f"{line.region.name}{plan.river.name}{run.first_year}年分配水量",
                          holder=line.region, river=plan.river, source=source, annual_volume_m3=line.volume_m3, parent=issuance,
                          valid_from=start, valid_to=end)
        targets.append((right, line.volume_m3))
    _post(run, actor, kind=EntryKind.ALLOCATION, memo=f"{run.number} {plan.river.name}{run.first_year}年度水量分配（生态水量先行预留，A2）",
          source=issuance, targets=targets, years=run.years(), rule="A2")


def _post_groundwater(run, actor):
    start, end = _dates(run.first_year, run.last_year)
    lines = _lines(run, LineRole.RIGHT)
    for line in lines:
        qs = _active(WaterRight.objects.filter(kind=RightKind.GROUNDWATER, holder_region=line.region,
                                               valid_from__lte=end, valid_to__gte=start))
        if qs.exists():
            raise Conflict("already_registered", f"{line.region.name}在所选年度已有地下水取水指标", f"{line.region.name} already has groundwater rights")
    nanyang = engines.city()
    issuance = _open(run, actor, None, kind=RightKind.ISSUANCE, name="河南省下达南阳市地下水管控指标", holder_name="河南省人民政府",
                     region=nanyang, source_type="groundwater", valid_from=start, valid_to=end)
    targets = []
    for line in lines:
        source = reg.WaterSource.objects.filter(kind="groundwater", region=line.region, is_overdraft_area=False).first()
        right = _open(run, actor, line, kind=RightKind.GROUNDWATER, name=f"{line.region.name}地下水取水指标", holder=line.region,
                      source=source, source_type="groundwater", annual_volume_m3=line.volume_m3, parent=issuance,
                      valid_from=start, valid_to=end)
        targets.append((right, line.volume_m3))
    _post(run, actor, kind=EntryKind.ISSUANCE, memo=f"{run.number} 地下水管控指标分配到县（市、区）（A1）", source=issuance,
          targets=targets, years=run.years())


def _post_permit(run, actor):
    permit = run.permit
    if ledger.right_for_permit(permit) is not None:
        raise Conflict("already_registered", f"取水许可证 {permit.number} 已登记取水权", f"Permit {permit.number} already has a right")
    parent = engines.county_right(permit.region)
    line = _lines(run, LineRole.RIGHT)[0]
    start = max(permit.valid_from, dt.date(run.first_year, 1, 1))
    end = min(permit.valid_to, dt.date(run.last_year, 12, 31))
    right = _open(run, actor, line, kind=RightKind.WITHDRAWAL, name=f"{permit.holder.name}取水权", holder=permit.holder,
                  region=permit.region, source=permit.source, use=permit.use, permit=permit, annual_volume_m3=line.volume_m3,
                  parent=parent, valid_from=start, valid_to=end, legal_basis=f"取水许可证 {permit.number}")
    _post(run, actor, kind=EntryKind.ALLOCATION, memo=f"{run.number} {permit.holder.name}取水权（{permit.number}，A3）",
          source=parent, targets=[(right, line.volume_m3)], years=run.years(), rule="A3")


def _post_irrigation(run, actor):
    district = run.irrigation_district
    years = run.years()
    parent = engines.irrigation_parent(district, years)
    # Lock the parent right before summing what it has already given to associations (A4).
    WaterRight.objects.select_for_update().filter(pk=parent["right"].pk).first()
    parent = engines.irrigation_parent(district, years)
    lines = _lines(run, LineRole.RIGHT)
    assoc_lines = [line for line in lines if line.household_id is None]
    this = sum(line.volume_m3 for line in assoc_lines)
    if parent["already"] + this > parent["limit"]:
        raise RuleViolation(
            "A4", "over_district_permit" if parent["permit"] else "over_agricultural_cap",
            f"协会水权之和 {parent['already'] + this:,} 立方米超过 {parent['limit']:,} 立方米（{parent['basis']}）（A4）",
            f"Association rights would sum to {parent['already'] + this:,} m³, over {parent['limit']:,} m³ (A4)",
            detail={"limit_m3": parent["limit"], "already_m3": parent["already"], "this_m3": this},
        )
    taken = _active(WaterRight.objects.filter(association__in=[line.association_id for line in assoc_lines], kind=RightKind.IRRIGATION,
                                              valid_from__lte=dt.date(years[-1], 12, 31), valid_to__gte=dt.date(years[0], 1, 1)))
    if taken.exists():
        raise Conflict("already_allocated", "所选协会在这些年度已有灌溉用水权", "These associations already hold irrigation rights")
    start, end = _dates(run.first_year, run.last_year)
    source = parent["right"].source
    assoc_rights: dict[int, WaterRight] = {}
    targets = []
    for line in assoc_lines:
        right = _open(run, actor, line, kind=RightKind.IRRIGATION, name=f"{line.association.name}灌溉用水权", holder=line.association,
                      source=source, use="agricultural", annual_volume_m3=line.volume_m3, parent=parent["right"],
                      valid_from=start, valid_to=end)
        assoc_rights[line.pk] = right
        targets.append((right, line.volume_m3))
    _post(run, actor, kind=EntryKind.ALLOCATION, memo=f"{run.number} {district.name}协会灌溉用水权（A4）", source=parent["right"],
          targets=targets, years=years, rule="A4")
    # Household rights (thousands in a real district): opened in bulk — the same checks, fields and
    # numbers as one at a time, one audit record per batch.
    household_lines = [line for line in lines if line.household_id is not None and line.volume_m3]
    specs = [dict(kind=RightKind.HOUSEHOLD, name=f"{line.household.code}灌溉用水户水权", holder=line.household,
                  region=assoc_rights[line.parent_line_id].region, source=source, use="agricultural", annual_volume_m3=line.volume_m3,
                  parent=assoc_rights[line.parent_line_id], valid_from=start, valid_to=end, is_demo=run.is_demo,
                  legal_basis=run.legal_basis) for line in household_lines]
    household_rights = ledger.open_rights(actor=actor, specs=specs, message=f"{run.number} {run.title}"[:300])
    by_parent: dict[int, list] = {}
    for line, right in zip(household_lines, household_rights, strict=True):
        line.right = right
        by_parent.setdefault(line.parent_line_id, []).append((right, line.volume_m3))
    AllocationLine.objects.bulk_update(household_lines, ["right"], batch_size=1000)
    for parent_line_id, household_targets in by_parent.items():
        _post(run, actor, kind=EntryKind.ALLOCATION, memo=f"{run.number} {assoc_rights[parent_line_id].holder_name}用水户水权（按种植面积，A4）",
              source=assoc_rights[parent_line_id], targets=household_targets, years=years, rule="A4")


POSTERS = {
    Engine.REGIONAL: _post_regional, Engine.SNWD: _post_snwd, Engine.RIVER: _post_river, Engine.GROUNDWATER: _post_groundwater,
    Engine.PERMIT: _post_permit, Engine.IRRIGATION: _post_irrigation,
}


# ---------------------------------------------------------------------------------------------
# River plans
# ---------------------------------------------------------------------------------------------


def _plan_points(points: list[dict]) -> list[dict]:
    clean = []
    for i, pt in enumerate(points):
        try:
            shares = {int(k): _int(v, "shares") for k, v in (pt.get("shares") or {}).items()}
        except (TypeError, ValueError, AttributeError):
            raise ValidationFailed("invalid", f"第{i + 1}个频率年的分配水量格式错误", f"Frequency {i + 1}: invalid shares") from None
        clean.append({"frequency": _decimal(pt.get("frequency"), "frequency"), "total_m3": _int(pt.get("total_m3"), "total_m3"),
                      "ecological_m3": _int(pt.get("ecological_m3"), "ecological_m3"), "shares": shares})
    engines.validate_plan_points(clean)
    regions = {r.pk: r for r in reg.Region.objects.filter(pk__in={k for pt in clean for k in pt["shares"]})}
    missing = {k for pt in clean for k in pt["shares"]} - set(regions)
    if missing:
        raise ValidationFailed("invalid", f"行政区不存在：{sorted(missing)}", f"Unknown regions: {sorted(missing)}")
    return clean


@transaction.atomic
def save_river_plan(plan: RiverPlan | None = None, *, actor, river, name: str, legal_basis: str = "", points: list[dict],
                    is_demo: bool = False, comments: str = "") -> RiverPlan:
    """Create or replace a plan's table (only while it is being compiled). The table is checked
    before saving: every frequency keeps its ecological reserve and allocates the rest (A2)."""
    require_role(actor, message="河流水量分配方案由市水利局编制", message_en="River plans are compiled by the city water bureau")
    clean = _plan_points(points)
    if not name.strip():
        raise ValidationFailed("invalid", "方案名称必填", "A name is required", detail={"fields": {"name": ["必填"]}})
    if plan is None:
        if RiverPlan.objects.filter(name=name).exists():
            raise ValidationFailed("invalid", "方案名称已存在", "A plan with this name exists", detail={"fields": {"name": ["已存在"]}})
        plan = RiverPlan.objects.create(river=river, name=name, legal_basis=legal_basis, is_demo=is_demo, comments=comments)
        before = None
    else:
        plan = RiverPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != PlanStatus.DRAFT:
            raise Conflict("plan_not_draft", "已批复的方案不能修改；须另编新方案", "An approved plan cannot be changed; compile a new one")
        before = plan_table(plan)
        plan.river, plan.name, plan.legal_basis, plan.comments = river, name, legal_basis, comments
        plan.save()
        plan.points.all().delete()
    for pt in clean:
        point = RiverPlanPoint.objects.create(plan=plan, frequency=pt["frequency"], total_m3=pt["total_m3"], ecological_m3=pt["ecological_m3"])
        RiverPlanShare.objects.bulk_create([RiverPlanShare(point=point, region_id=k, volume_m3=v) for k, v in pt["shares"].items()])
    audit.record(actor=actor, action="river_plan_save", obj=plan, before=before, after=plan_table(plan), message=name, region_code="")
    return plan


def plan_table(plan: RiverPlan) -> dict:
    return {
        "river": plan.river.name, "name": plan.name, "status": plan.status,
        "points": [{"frequency": engines.dec(p.frequency), "total_m3": p.total_m3, "ecological_m3": p.ecological_m3,
                    "shares": {s.region.name: s.volume_m3 for s in p.shares.select_related("region")}} for p in plan.points.order_by("frequency")],
    }


@transaction.atomic
def approve_river_plan(plan: RiverPlan, *, actor, legal_basis: str = "") -> RiverPlan:
    """The city approves a plan (for the city government); annual allocations then follow it."""
    require_role(actor, message="河流水量分配方案由市水利局报市政府批复", message_en="Only the city water bureau may approve river plans")
    plan = RiverPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise Conflict("plan_not_draft", "该方案不是编制中状态", "The plan is not in draft")
    engines.validate_plan_points([{"frequency": p.frequency, "total_m3": p.total_m3, "ecological_m3": p.ecological_m3,
                                   "shares": {s.region_id: s.volume_m3 for s in p.shares.all()}} for p in plan.points.all()])
    RiverPlan.objects.filter(river=plan.river, status=PlanStatus.APPROVED).update(status=PlanStatus.SUPERSEDED)
    plan.status = PlanStatus.APPROVED
    plan.approved_by = actor
    plan.approved_at = timezone.now()
    if legal_basis:
        plan.legal_basis = legal_basis
    plan.save()
    audit.record(actor=actor, action="river_plan_approve", obj=plan, after={"status": plan.status, "legal_basis": plan.legal_basis}, region_code="")
    return plan


# ---------------------------------------------------------------------------------------------
# Reading: allocation tables and the county map
# ---------------------------------------------------------------------------------------------


def county_volumes(kind: str = RightKind.REGIONAL, year: int | None = None) -> list[dict]:
    """Per county: the volume of its active rights of ``kind`` held for ``year`` (ledger balances)."""
    from shuiquan.ledger.models import RightBalance

    year = year or params.REGIONAL_FIRST_YEAR
    out = []
    for county in engines.counties():
        rights = _active(WaterRight.objects.filter(kind=kind, region=county))
        if kind in (RightKind.REGIONAL, RightKind.GROUNDWATER, RightKind.RIVER):
            rights = rights.filter(holder_region=county)
        ids = list(rights.values_list("pk", flat=True))
        bal = sum(RightBalance.objects.filter(right_id__in=ids, year=year).values_list("balance", flat=True))
        nominal = sum(rights.filter(valid_from__year__lte=year, valid_to__year__gte=year).values_list("annual_volume_m3", flat=True))
        out.append({"region": county, "name": county.name, "nominal_m3": nominal, "balance_m3": bal})
    return out


def latest_run(engine: str) -> AllocationRun | None:
    return (AllocationRun.objects.filter(engine=engine, status__in=[RunStatus.REGISTERED, RunStatus.ISSUED]).order_by("-registered_at", "-pk").first())
