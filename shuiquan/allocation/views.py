"""Pages of the allocation capability. Views parse input, call a service and render; the rules
are in ``services``/``engines``/``policy``."""

from __future__ import annotations

import json
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuiquan.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from shuiquan.core.generic import (
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    apply_domain_error,
    audit_trail,
    render_forbidden,
)
from shuiquan.core.scoping import CHANGE, VIEW, can, can_add, get_scoped
from shuiquan.core.units import to_m3, wan
from shuiquan.ledger.choices import RightKind
from shuiquan.ledger.models import JournalEntry
from shuiquan.registry import models as reg

from . import certificates, engines, filtersets, forms, policy, services
from .choices import CITY_ENGINES, STEPS, Engine, LineRole, PlanStatus, RunStatus, Step
from .models import (
    AllocationRun,
    Certificate,
    CropQuota,
    GroundwaterIndicator,
    IrrigationProfile,
    PlantingShare,
    RiverPlan,
    WaterQuota,
)

# ---------------------------------------------------------------------------------------------
# Overview: the allocation tables and the county map
# ---------------------------------------------------------------------------------------------

MAP_METRICS = {
    "regional": (RightKind.REGIONAL, "区域用水权"),
    "snwd": (RightKind.SNWD, "南水北调用水权"),
    "groundwater": (RightKind.GROUNDWATER, "地下水取水指标"),
    "river": (RightKind.RIVER, "河流分配水量"),
    "withdrawal": (RightKind.WITHDRAWAL, "已确权取水权"),
}


def _int_param(request, name, default):
    try:
        return int(request.GET.get(name, default))
    except (TypeError, ValueError):
        return default


@login_required
def overview(request):
    metric = request.GET.get("metric", "regional")
    if metric not in MAP_METRICS:
        metric = "regional"
    year = _int_param(request, "year", services.horizon()[0])
    kind, metric_label = MAP_METRICS[metric]
    by_county = services.county_volumes(kind, year)
    # ECharts needs numbers; the float is only for colouring the map (tables show exact integers).
    map_data = [{"name": row["name"], "value": float(Decimal(row["nominal_m3"]) / 10000)} for row in by_county]
    runs = {engine: services.latest_run(engine) for engine in (Engine.REGIONAL, Engine.SNWD, Engine.GROUNDWATER)}
    regional = runs[Engine.REGIONAL]
    regional_rows, obligations = [], {}
    if regional:
        lines = list(regional.lines.select_related("region", "right").order_by("seq"))
        regional_rows = [line for line in lines if line.role == LineRole.RIGHT]
        sectors = [line for line in lines if line.role == LineRole.SECTOR]
        for line in lines:
            if line.role == LineRole.OBLIGATION:
                obligations.setdefault(line.region.name, {})[line.year] = line.volume_m3
    else:
        sectors = []
    obligation_years = sorted({y for row in obligations.values() for y in row})
    obligation_totals = {y: sum(row.get(y, 0) for row in obligations.values()) for y in obligation_years}
    order = {r.name: i for i, r in enumerate(engines.counties())}
    river_runs = (AllocationRun.objects.filter(engine=Engine.RIVER, status__in=[RunStatus.REGISTERED, RunStatus.ISSUED])
                  .select_related("river_plan__river").order_by("-first_year", "river_plan__river__name"))
    context = {
        "title": _("初始水权分配总览"),
        "metric": metric, "metric_label": metric_label, "metrics": [(k, v[1]) for k, v in MAP_METRICS.items()], "year": year,
        "map_data": map_data, "by_county": by_county, "map_total": sum(r["nominal_m3"] for r in by_county), "balance_total": sum(r["balance_m3"] for r in by_county),
        "runs": runs, "regional_rows": regional_rows, "sectors": sectors,
        "obligations": sorted(obligations.items(), key=lambda kv: order.get(kv[0], 99)),
        "obligation_years": obligation_years, "obligation_totals": obligation_totals,
        "snwd_lines": list(runs[Engine.SNWD].lines.select_related("region", "irrigation_district", "right").order_by("seq")) if runs[Engine.SNWD] else [],
        "gw_lines": list(runs[Engine.GROUNDWATER].lines.select_related("region", "right").order_by("seq")) if runs[Engine.GROUNDWATER] else [],
        "river_runs": river_runs[:12],
        "engines": _creatable(request.user),
    }
    return render(request, "allocation/overview.html", context)


def _creatable(user) -> list[tuple[str, str]]:
    """Engines the user may start a run of (city engines: the city bureau; A3/A4: county bureaus)."""
    out = []
    for engine in Engine:
        if engine in CITY_ENGINES:
            ok = policy._is_city(user)
        else:
            ok = policy._is_city(user) or (user.role == "county_officer" and bool(user.region_id))
        if ok:
            out.append((engine.value, engine.label))
    return out


@login_required
def run_new(request):
    return render(request, "allocation/run_new.html", {"title": _("编制分配"), "engines": _creatable(request.user)})


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


class RunListView(ObjectListView):
    queryset = AllocationRun.objects.select_related("region", "created_by")
    filterset_class = filtersets.RunFilterSet
    template_name = "allocation/run_list.html"
    columns = [("number", _("编号")), ("title", _("名称")), ("engine", _("分配类型")), ("region", _("行政区")),
               ("total_m3", _("确权水量合计（立方米/年）")), ("status", _("状态")), ("created_by", _("编制人")), ("created_at", _("创建时间"))]
    link_column = "number"


def _run_form(engine, user, data=None, initial=None, district=None):
    cls = forms.ENGINE_FORMS[engine]
    kwargs = {"user": user, "initial": initial or {}}
    if engine == Engine.IRRIGATION:
        kwargs["district"] = district
    return cls(data, **kwargs)


def _district_from(request, user):
    raw = request.POST.get("district") or request.GET.get("district")
    if not raw:
        return None
    try:
        return get_scoped(reg.IrrigationDistrict, user, raw, VIEW)
    except NotFound:
        return None


@login_required
def run_create(request, engine):
    if engine not in Engine.values:
        raise Http404
    user = request.user
    if engine not in [e for e, _l in _creatable(user)]:
        return render_forbidden(request, Forbidden(code="role_required", message="您的角色不能编制此类分配",
                                                   message_en="Your role cannot prepare this kind of allocation"))
    district = _district_from(request, user) if engine == Engine.IRRIGATION else None
    districts = reg.IrrigationDistrict.objects.restrict(user, VIEW).filter(region__isnull=False) if engine == Engine.IRRIGATION else None
    initial = {k: request.GET[k] for k in ("permit", "plan", "year", "frequency") if request.GET.get(k)}
    form = _run_form(engine, user, request.POST or None, initial, district)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.prepare_and_compute(actor=user, engine=engine, parameters=form.parameters())
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已完成计算，请核对计算过程后提交审核"))
            return redirect(run)
    return render(request, "allocation/run_form.html", {
        "title": _("编制分配：") + str(Engine(engine).label), "form": form, "engine": engine, "engine_label": Engine(engine).label,
        "district": district, "districts": districts,
    }, status=400 if request.method == "POST" else 200)


@login_required
def run_edit(request, pk):
    user = request.user
    try:
        run = get_scoped(AllocationRun, user, pk, CHANGE)
    except NotFound:
        raise Http404 from None
    except Forbidden as exc:
        return render_forbidden(request, exc)
    if run.status != RunStatus.DRAFT:
        messages.error(request, _("只有草稿可以修改参数"))
        return redirect(run)
    district = run.irrigation_district if run.engine == Engine.IRRIGATION else None
    form = _run_form(run.engine, user, request.POST or None, forms.initial_from(run), district)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.update_parameters(run, actor=user, parameters=form.parameters())
                run = services.compute_run(run, actor=user)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已重新计算"))
            return redirect(run)
    return render(request, "allocation/run_form.html", {
        "title": _("修改并重新计算：") + run.title, "form": form, "engine": run.engine, "engine_label": run.get_engine_display(),
        "district": district, "run": run,
    }, status=400 if request.method == "POST" else 200)


def _line_groups(run):
    lines = list(run.lines.select_related("region", "water_user", "association", "household", "irrigation_district", "river", "right")
                 .order_by("seq"))
    top = [line for line in lines if line.parent_line_id is None]
    children: dict[int, list] = {}
    for line in lines:
        if line.parent_line_id:
            children.setdefault(line.parent_line_id, []).append(line)
    groups = []
    for role in (LineRole.ECOLOGICAL, LineRole.RIGHT, LineRole.DETAIL, LineRole.SECTOR, LineRole.OBLIGATION):
        rows = [line for line in top if line.role == role]
        if rows:
            groups.append({"role": role, "label": LineRole(role).label, "rows": rows,
                           "total": sum(r.volume_m3 for r in rows) if role != LineRole.OBLIGATION else None})
    return groups, children


@login_required
def run_detail(request, pk):
    try:
        run = get_scoped(AllocationRun.objects.select_related("region", "permit", "irrigation_district", "river_plan", "created_by"),
                         request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    groups, children = _line_groups(run)
    regional_child = run.engine == Engine.REGIONAL
    entries = JournalEntry.objects.filter(reference_type=services.REFERENCE, reference_id=str(run.pk)).order_by("pk")
    step_index = STEPS.index(run.status) if run.status in STEPS else -1
    context = {
        "title": run.title, "run": run, "groups": groups, "children": children, "regional_child": regional_child,
        "actions": services.available_actions(run, request.user), "reason_form": forms.ReasonForm(),
        "steps": [(s, RunStatus(s).label, i < step_index, i == step_index) for i, s in enumerate(STEPS)],
        "transitions": run.transitions.select_related("actor").order_by("pk"), "entries": entries,
        "certificates": run.certificates.order_by("series", "serial")[:200], "certificate_count": run.certificates.count(),
        "can_edit": run.status == RunStatus.DRAFT and policy.may(run, request.user, Step.PREPARE),
        "who": {s: policy.who(run, s)[0] for s in (Step.PREPARE, Step.REVIEW, Step.APPROVE, Step.REGISTER, Step.ISSUE)},
        "audit_events": audit_trail(run)[:50],
        "inputs_json": json.dumps(run.inputs, ensure_ascii=False, indent=1),
    }
    return render(request, "allocation/run_detail.html", context)


@login_required
@require_POST
def run_action(request, pk, action):
    try:
        run = get_scoped(AllocationRun, request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    reason = request.POST.get("reason", "")[:2000]
    try:
        services.perform(run, action, actor=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.localized(request.LANGUAGE_CODE))
    else:
        messages.success(request, _("已办理：") + {"compute": _("计算"), "review": _("审核提交"), "approve": _("批准"), "register": _("登记入账"),
                                                  "issue": _("发放凭证"), "reject": _("退回"), "revoke": _("撤销（冲正）")}.get(action, action))
    return HttpResponseRedirect(reverse("allocation:run_detail", args=[run.pk]))


# ---------------------------------------------------------------------------------------------
# Certificates and public verification
# ---------------------------------------------------------------------------------------------


class CertificateListView(ObjectListView):
    queryset = Certificate.objects.select_related("right", "region")
    filterset_class = filtersets.CertificateFilterSet
    columns = [("number", _("凭证编号")), ("kind", _("凭证类型")), ("holder_public", _("权利人")), ("volume_m3", _("年度水量（立方米）")),
               ("valid_from", _("有效期起")), ("valid_to", _("有效期止")), ("issuer", _("发证单位")), ("status", _("状态"))]


@login_required
def certificate_detail(request, pk):
    try:
        cert = get_scoped(Certificate.objects.select_related("right", "run", "line", "right__household"), request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    return render(request, "allocation/certificate_detail.html", {
        "title": cert.number, "cert": cert, "households": certificates.household_rows(cert),
        "verify_url": certificates.verification_url(cert, request), "audit_events": audit_trail(cert)[:20],
    })


@login_required
def certificate_pdf(request, pk):
    try:
        cert = get_scoped(Certificate.objects.select_related("right", "run", "line"), request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    pdf = certificates.render_pdf(cert, certificates.verification_url(cert, request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cert.machine_number}.pdf"'
    return response


def verify_certificate(request, token):
    """Public (no login): what a QR code on a certificate opens. No personal data is shown."""
    cert = certificates.find_for_verification(token=token)
    context = {"title": _("水权凭证核验"), "public": certificates.public_view(cert) if cert else None, "token": token}
    return render(request, "allocation/verify.html", context, status=200 if cert else 404)


def verify_lookup(request):
    """Public: find a certificate by its number and the check code printed under the QR code."""
    number = request.GET.get("number", "").strip()
    code = request.GET.get("code", "").strip()
    cert = certificates.find_for_verification(number=number, check_code=code) if number and code else None
    if cert:
        return redirect("allocation:verify_certificate", token=cert.token)
    return render(request, "allocation/verify.html", {"title": _("水权凭证核验"), "public": None, "lookup": True, "number": number,
                                                      "searched": bool(number or code)}, status=404 if (number or code) else 200)


# ---------------------------------------------------------------------------------------------
# River plans
# ---------------------------------------------------------------------------------------------


class RiverPlanListView(ObjectListView):
    queryset = RiverPlan.objects.select_related("river")
    filterset_class = filtersets.RiverPlanFilterSet
    columns = [("name", _("方案名称")), ("river", _("河流")), ("status", _("状态")), ("legal_basis", _("批复文件")), ("approved_at", _("批复时间"))]
    add_url_name = "allocation:riverplan_create"


@login_required
def riverplan_detail(request, pk):
    try:
        plan = get_scoped(RiverPlan.objects.select_related("river"), request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    points = list(plan.points.prefetch_related("shares__region").order_by("frequency"))
    regions = [s.region for s in points[0].shares.all()] if points else []
    table = [{"point": p, "shares": [next((s.volume_m3 for s in p.shares.all() if s.region_id == r.pk), 0) for r in regions],
              "allocated": sum(s.volume_m3 for s in p.shares.all())} for p in points]
    chart = {"frequencies": [float(p.frequency) for p in points],
             "series": [{"name": r.name, "data": [float(Decimal(row["shares"][i]) / 10000) for row in table]} for i, r in enumerate(regions)]
             + [{"name": "生态水量", "data": [float(Decimal(p.ecological_m3) / 10000) for p in points]}]}
    runs = plan.runs.order_by("-first_year", "-pk")
    return render(request, "allocation/riverplan_detail.html", {
        "title": plan.name, "plan": plan, "regions": regions, "table": table, "chart": chart, "runs": runs,
        "can_change": can(request.user, plan, CHANGE) and plan.status == PlanStatus.DRAFT,
        "can_approve": can(request.user, plan, CHANGE) and plan.status == PlanStatus.DRAFT,
        "can_allocate": plan.status == PlanStatus.APPROVED and policy._is_city(request.user),
        "audit_events": audit_trail(plan)[:20],
    })


def _parse_grid(post, regions) -> list[dict]:
    points = []
    for i in range(1, 6):
        freq = post.get(f"p{i}_frequency", "").strip()
        if not freq:
            continue
        try:
            pt = {"frequency": freq, "total_m3": to_m3(post.get(f"p{i}_total", "0") or "0", "10k_m3"),
                  "ecological_m3": to_m3(post.get(f"p{i}_ecological", "0") or "0", "10k_m3"), "shares": {}}
            for r in regions:
                raw = post.get(f"p{i}_r{r.pk}", "").strip()
                if raw:
                    pt["shares"][r.pk] = to_m3(raw, "10k_m3")
        except ValueError as exc:
            raise ValidationFailed("invalid", f"第{i}行数值无效：{exc}", f"Row {i}: invalid number ({exc})") from None
        points.append(pt)
    used = {k for pt in points for k in pt["shares"]}
    for pt in points:
        for k in used:
            pt["shares"].setdefault(k, 0)
    return points


def _grid_initial(plan, regions) -> dict:
    data = {}
    if plan is None:
        return data
    for i, p in enumerate(plan.points.prefetch_related("shares").order_by("frequency"), start=1):
        data[f"p{i}_frequency"] = engines.dec(p.frequency)
        data[f"p{i}_total"] = wan(p.total_m3, 4).replace(",", "")
        data[f"p{i}_ecological"] = wan(p.ecological_m3, 4).replace(",", "")
        for s in p.shares.all():
            data[f"p{i}_r{s.region_id}"] = wan(s.volume_m3, 4).replace(",", "")
    return data


@login_required
def riverplan_edit(request, pk=None):
    user = request.user
    plan = None
    if pk is not None:
        try:
            plan = get_scoped(RiverPlan, user, pk, CHANGE)
        except NotFound:
            raise Http404 from None
        except Forbidden as exc:
            return render_forbidden(request, exc)
    elif not can_add(user, RiverPlan):
        return render_forbidden(request, Forbidden())
    regions = list(reg.Region.objects.filter(kind__in=["district", "county", "county_city"]).order_by("sort_order"))
    initial = {"river": plan.river_id, "name": plan.name, "legal_basis": plan.legal_basis, "comments": plan.comments} if plan else {}
    header = forms.RiverPlanHeaderForm(request.POST or None, initial=initial)
    header.fields.pop("regions")
    grid = request.POST if request.method == "POST" else _grid_initial(plan, regions)
    error = None
    if request.method == "POST" and header.is_valid():
        try:
            points = _parse_grid(request.POST, regions)
            plan = services.save_river_plan(plan, actor=user, river=header.cleaned_data["river"], name=header.cleaned_data["name"],
                                            legal_basis=header.cleaned_data["legal_basis"], comments=header.cleaned_data["comments"],
                                            points=points)
        except DomainError as exc:
            error = exc.localized(request.LANGUAGE_CODE)
        else:
            messages.success(request, _("方案已保存"))
            return redirect(plan)
    rows = [{"i": i, "frequency": grid.get(f"p{i}_frequency", ""), "total": grid.get(f"p{i}_total", ""),
             "ecological": grid.get(f"p{i}_ecological", ""),
             "cells": [(r, f"p{i}_r{r.pk}", grid.get(f"p{i}_r{r.pk}", "")) for r in regions]} for i in range(1, 6)]
    return render(request, "allocation/riverplan_form.html", {
        "title": (_("修改方案：") + plan.name) if plan else _("新建河流水量分配方案"), "header": header, "rows": rows, "regions": regions,
        "error": error, "plan": plan}, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def riverplan_approve(request, pk):
    try:
        plan = get_scoped(RiverPlan, request.user, pk, VIEW)
        services.approve_river_plan(plan, actor=request.user, legal_basis=request.POST.get("legal_basis", "").strip())
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.localized(request.LANGUAGE_CODE))
    else:
        messages.success(request, _("方案已批复"))
    return redirect("allocation:riverplan_detail", pk=pk)


# ---------------------------------------------------------------------------------------------
# Reference tables (generic pages; writes through core.crud, audited)
# ---------------------------------------------------------------------------------------------


class WaterQuotaListView(ObjectListView):
    queryset = WaterQuota.objects.select_related("sector")
    filterset_class = filtersets.WaterQuotaFilterSet
    columns = [("sector", _("行业（GB/T 4754）")), ("product", _("产品或用水类别")), ("unit", _("计量单位")), ("quota_m3", _("定额值（立方米/单位）")),
               ("level", _("定额等级")), ("edition", _("标准版本")), ("is_active", _("现行"))]
    link_column = "product"
    add_url_name = "allocation:waterquota_create"
    export_note = "用水定额表（演示数据标注者为示意值）"


class WaterQuotaDetailView(ObjectDetailView):
    queryset = WaterQuota.objects.select_related("sector")
    edit_url_name = "allocation:waterquota_edit"


class WaterQuotaEditView(ObjectEditView):
    queryset = WaterQuota.objects.all()
    form_class = forms.WaterQuotaForm


class CropQuotaListView(ObjectListView):
    queryset = CropQuota.objects.all()
    filterset_class = filtersets.CropQuotaFilterSet
    columns = [("crop", _("作物")), ("zone", _("灌溉分区")), ("frequency", _("水文频率（%）")), ("net_quota_m3_per_mu", _("净灌溉定额（立方米/亩）")),
               ("standard_ref", _("依据"))]
    add_url_name = "allocation:cropquota_create"


class CropQuotaDetailView(ObjectDetailView):
    queryset = CropQuota.objects.all()
    edit_url_name = "allocation:cropquota_edit"


class CropQuotaEditView(ObjectEditView):
    queryset = CropQuota.objects.all()
    form_class = forms.CropQuotaForm


class IrrigationProfileListView(ObjectListView):
    queryset = IrrigationProfile.objects.select_related("district")
    columns = [("district", _("灌区")), ("zone", _("灌溉分区")), ("design_frequency", _("设计保证率（%）")), ("coefficient", _("灌溉水有效利用系数 η")),
               ("basis", _("依据"))]
    add_url_name = "allocation:irrigationprofile_create"


class IrrigationProfileDetailView(ObjectDetailView):
    queryset = IrrigationProfile.objects.select_related("district")
    edit_url_name = "allocation:irrigationprofile_edit"
    template_name = "allocation/irrigationprofile_detail.html"

    def extra_context(self, request, obj):
        shares = PlantingShare.objects.filter(district=obj.district).order_by("-share")
        return {"shares": shares, "share_total": sum(s.share for s in shares),
                "can_add_share": can_add(request.user, PlantingShare)}


class IrrigationProfileEditView(ObjectEditView):
    queryset = IrrigationProfile.objects.all()
    form_class = forms.IrrigationProfileForm


class PlantingShareDetailView(ObjectDetailView):
    queryset = PlantingShare.objects.select_related("district")
    edit_url_name = "allocation:plantingshare_edit"


class PlantingShareEditView(ObjectEditView):
    queryset = PlantingShare.objects.all()
    form_class = forms.PlantingShareForm


class GroundwaterIndicatorListView(ObjectListView):
    queryset = GroundwaterIndicator.objects.select_related("region")
    filterset_class = filtersets.GroundwaterIndicatorFilterSet
    columns = [("region", _("行政区")), ("year", _("指标年")), ("volume_m3", _("地下水取水指标（立方米）")), ("basis", _("依据"))]
    add_url_name = "allocation:groundwaterindicator_create"


class GroundwaterIndicatorDetailView(ObjectDetailView):
    queryset = GroundwaterIndicator.objects.select_related("region")
    edit_url_name = "allocation:groundwaterindicator_edit"


class GroundwaterIndicatorEditView(ObjectEditView):
    queryset = GroundwaterIndicator.objects.all()
    form_class = forms.GroundwaterIndicatorForm
