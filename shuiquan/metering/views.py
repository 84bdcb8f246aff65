"""Metering pages: overview map, devices (readings and use curve), permits (use against rights by
month), alarms, M1, ingestion batches with their reports, CSV/XLSX upload with preview and
progress. Views parse input, call services/usage, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuiquan.core.errors import DomainError, NotFound
from shuiquan.core.generic import ObjectEditView, ObjectListView, ScopedModelForm, render_forbidden
from shuiquan.core.roles import Role
from shuiquan.core.scoping import CHANGE, get_scoped
from shuiquan.core.xlsx import export_rows, xlsx_response
from shuiquan.registry.choices import COUNTY_LEVEL, MeterProtocol
from shuiquan.registry.models import MeteringDevice, Region, WithdrawalPermit

from . import files, jobs, params, services, usage
from .accounting import flag_names
from .choices import ACTIVE_STATUSES, AlarmKind, AlarmLevel, BatchStatus, Period
from .filtersets import AlarmFilterSet, BatchFilterSet
from .forms import UploadForm
from .ingestion import actor_may_ingest
from .models import Alarm, BatchIssue, DeviceModelProfile, DeviceState, DeviceUse, IngestionBatch, Reading

MAX_CHART_POINTS = 3000


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    return min(max(year, 2000), 2200)


def _years() -> list[int]:
    this = timezone.localdate().year
    return list(range(this, this - 5, -1))


def _lang(request) -> str:
    return getattr(request, "LANGUAGE_CODE", "zh-hans") or "zh-hans"


def _flags(flags: int, request) -> list[str]:
    return flag_names(flags, _lang(request))


# ---------------------------------------------------------------------------------------------
# Overview and map
# ---------------------------------------------------------------------------------------------


@login_required
def overview(request):
    year = _year(request)
    basis = request.GET.get("basis") if request.GET.get("basis") in ("right", "permit") else "right"
    pending = services.refresh_for_request()
    permits = usage.active_permits(year) & WithdrawalPermit.objects.restrict(request.user)
    statuses = usage.permits_use(permits, year)
    shares = {s.region_id: s for s in usage.region_shares(statuses, basis)}
    counties = list(Region.objects.filter(kind__in=COUNTY_LEVEL).order_by("sort_order"))
    rows = [shares.get(c.pk) or usage.RegionShare(c.pk, c.name) for c in counties]
    map_data = [{"name": r.name, "value": float(r.share * 100) if r.share is not None else None,
                 "used": r.used_m3, "limit": r.limit_m3} for r in rows]
    devices = MeteringDevice.objects.restrict(request.user)
    alarms = Alarm.objects.restrict(request.user).filter(closed_at__isnull=True)
    today = timezone.localdate()
    context = {
        "title": _("监测计量"), "year": year, "years": _years(), "basis": basis, "rows": rows, "map_data": map_data,
        "has_rights": any(s.right is not None for s in statuses),
        "device_count": devices.count(), "online_count": devices.filter(is_online=True).count(),
        "alarm_counts": {k: alarms.filter(kind=k).count() for k in AlarmKind.values},
        "alarm_labels": dict(AlarmKind.choices),
        "over_users": sum(1 for s in statuses if s.level == AlarmLevel.ALARM),
        "accepted_today": IngestionBatch.objects.restrict(request.user).filter(created_at__date=today).aggregate(n=Sum("accepted"))["n"] or 0,
        "used_total": sum(s.used_m3 for s in statuses),
        "pending": pending,
    }
    return render(request, "metering/overview.html", context)


# ---------------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------------


@login_required
def device_list(request):
    qs = MeteringDevice.objects.restrict(request.user).select_related("intake_point__permit", "intake_point__water_user", "region")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(serial__icontains=q) | Q(intake_point__name__icontains=q) | Q(intake_point__water_user__name__icontains=q))
    region = request.GET.get("region")
    if region and region.isdigit():
        qs = qs.filter(region_id=int(region))
    protocol = request.GET.get("protocol")
    if protocol in MeterProtocol.values:
        qs = qs.filter(protocol=protocol)
    silent_ids = usage.silent_device_ids(devices=qs)
    if request.GET.get("state") == "silent":
        qs = qs.filter(pk__in=silent_ids)
    page = Paginator(qs.order_by("serial"), 50).get_page(request.GET.get("page"))
    states = {s.device_id: s for s in DeviceState.objects.filter(device__in=[d.pk for d in page.object_list])}
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "metering/device_list.html", {
        "title": _("计量设施"), "page": page, "states": states, "silent_ids": silent_ids, "q": q, "querystring": query.urlencode(),
        "regions": Region.objects.filter(kind__in=COUNTY_LEVEL).order_by("sort_order"), "protocols": MeterProtocol.choices,
        "region": region, "protocol": protocol, "state": request.GET.get("state", ""),
    })


def _downsample(rows: list, limit: int) -> tuple[list, bool]:
    if len(rows) <= limit:
        return rows, False
    step = -(-len(rows) // limit)
    return rows[::step] + ([rows[-1]] if (len(rows) - 1) % step else []), True


@login_required
def device_detail(request, pk):
    try:
        device = get_scoped(MeteringDevice.objects.select_related("intake_point__permit", "intake_point__water_user",
                                                                  "intake_point__source", "region"), request.user, pk)
    except NotFound:
        raise Http404 from None
    year = _year(request)
    services.refresh_usage(device_ids=[device.pk])
    first = dt.datetime(year, 1, 1, tzinfo=timezone.get_current_timezone())
    last = dt.datetime(year + 1, 1, 1, tzinfo=timezone.get_current_timezone())
    days = list(DeviceUse.objects.filter(device=device, period=Period.DAY, start__year=year).order_by("start"))
    months = list(DeviceUse.objects.filter(device=device, period=Period.MONTH, start__year=year).order_by("start"))
    total = DeviceUse.objects.filter(device=device, period=Period.YEAR, start=dt.date(year, 1, 1)).first()
    register = list(Reading.objects.filter(device=device, observed_at__gte=first, observed_at__lt=last, volume_m3__isnull=False)
                    .order_by("observed_at").values_list("observed_at", "volume_m3", "quality"))
    register, sampled = _downsample(register, MAX_CHART_POINTS)
    chart = {
        "days": [d.start.isoformat() for d in days],
        "use": [{"value": d.volume_m3, "estimated": d.estimated, "flags": _flags(d.flags, request)} for d in days],
        "register": [[timezone.localtime(t).strftime("%Y-%m-%d %H:%M"), v] for t, v, _q in register],
        "labels": {"use": _("日用水量（立方米）"), "register": _("累计水量读数（立方米）"), "estimated": _("含估算")},
    }
    readings = Reading.objects.filter(device=device).order_by("-observed_at")
    page = Paginator(readings, 50).get_page(request.GET.get("page"))
    state = DeviceState.objects.filter(device=device).first()
    return render(request, "metering/device_detail.html", {
        "title": f"{device.serial} {device.model}", "device": device, "year": year, "years": _years(), "chart": chart,
        "sampled": sampled, "months": [(m, _flags(m.flags, request)) for m in months], "total": total,
        "total_flags": _flags(total.flags, request) if total else [], "page": page, "state": state,
        "alarms": Alarm.objects.filter(device=device, closed_at__isnull=True),
        "silent": device.pk in usage.silent_device_ids(devices=MeteringDevice.objects.filter(pk=device.pk)),
    })


# ---------------------------------------------------------------------------------------------
# Permits: use against rights
# ---------------------------------------------------------------------------------------------


@login_required
def permit_list(request):
    year = _year(request)
    pending = services.refresh_for_request()
    permits = usage.active_permits(year) & WithdrawalPermit.objects.restrict(request.user)
    region = request.GET.get("region")
    if region and region.isdigit():
        permits = permits.filter(region_id=int(region))
    statuses = usage.permits_use(permits, year)
    level = request.GET.get("level", "")
    if level == "alarm":
        statuses = [s for s in statuses if s.level == AlarmLevel.ALARM]
    elif level == "warning":
        statuses = [s for s in statuses if s.level]
    statuses.sort(key=lambda s: (-(max(s.right_ratio or 0, s.plan_ratio or 0)), s.permit.number))
    if request.GET.get("export") == "xlsx":
        return export_rows(f"用水与用水权对照{year}", ["许可证编号", "取水权人", "行政区", "年用水量（立方米）", "用水权余额（立方米）",
                                                  "占用水权", "年度计划（立方米）", "占计划", "许可水量（立方米）", "预警/报警"],
                           ([s.permit.number, str(s.permit.holder), str(s.permit.region), s.used_m3, s.right_m3 if s.right else "无用水权记录",
                             s.right_ratio, s.plan_m3, s.plan_ratio, s.permit_m3, s.level or ""] for s in statuses),
                           note="用水量由累计读数计算（含估算标记的见页面）；用水权余额取自用水权台账（含交易）。")
    return render(request, "metering/permit_list.html", {
        "title": _("用水与用水权对照"), "year": year, "years": _years(), "statuses": statuses, "level": level,
        "regions": Region.objects.filter(kind__in=COUNTY_LEVEL).order_by("sort_order"), "region": region,
        "warn_pct": params.WARNING_PCT.value, "alarm_pct": params.ALARM_PCT.value, "pending": pending,
    })


@login_required
def permit_detail(request, pk):
    try:
        permit = get_scoped(WithdrawalPermit.objects.select_related("holder", "region", "source"), request.user, pk)
    except NotFound:
        raise Http404 from None
    year = _year(request)
    device_ids = list(MeteringDevice.objects.filter(intake_point__permit=permit).values_list("pk", flat=True))
    services.refresh_usage(device_ids=device_ids)
    status = usage.permit_use(permit, year)
    months = usage.permit_months(permit, year)
    rows, cumulative = [], 0
    for m in months:
        cumulative += m.volume_m3
        rows.append({"month": m.start, "used": m.volume_m3, "cumulative": cumulative, "flags": _flags(m.flags, request),
                     "estimated": m.estimated, "has_data": m.devices > 0})
    th = status.thresholds()
    chart = {
        "months": [f"{m.start.month}月" if not _lang(request).startswith("en") else m.start.strftime("%b") for m in months],
        "used": [r["used"] if r["has_data"] else None for r in rows],
        "cumulative": [r["cumulative"] if r["has_data"] else None for r in rows],
        "lines": [x for x in [
            {"name": _("用水权（含交易）"), "value": status.right_m3} if status.right_m3 is not None else None,
            {"name": _("预警线"), "value": th["right"][0]} if th["right"] else None,
            {"name": _("年度计划"), "value": status.plan_m3} if status.plan_m3 is not None else None,
            {"name": _("许可水量"), "value": status.permit_m3},
        ] if x],
        "labels": {"used": _("月用水量"), "cumulative": _("累计用水量")},
    }
    devices = MeteringDevice.objects.filter(pk__in=device_ids).select_related("intake_point")
    return render(request, "metering/permit_detail.html", {
        "title": f"{permit.number} {permit.holder}", "permit": permit, "status": status, "rows": rows, "chart": chart,
        "year": year, "years": _years(), "thresholds": th, "devices": devices,
        "alarms": Alarm.objects.filter(permit=permit, closed_at__isnull=True),
        "m1_missing": _m1_missing(permit),
    })


def _m1_missing(permit) -> bool:
    threshold = usage.m1_threshold(permit)
    if threshold is None or permit.annual_volume_m3 < threshold:
        return False
    lacking, no_intake = usage.metering_gaps(permit)
    return bool(lacking or no_intake)


# ---------------------------------------------------------------------------------------------
# Alarms and M1
# ---------------------------------------------------------------------------------------------


@login_required
def alarm_list(request):
    qs = Alarm.objects.restrict(request.user).select_related("permit__holder", "device", "region", "acknowledged_by")
    data = request.GET.copy()
    if "state" not in data:
        data["state"] = "open"
    filterset = AlarmFilterSet(data, queryset=qs, request=request)
    qs = filterset.qs if filterset.is_valid() else qs.none()
    if request.GET.get("export") == "xlsx":
        return export_rows("告警", ["类型", "级别", "行政区", "许可证", "设备", "说明", "发生时间", "关闭时间", "确认时间"],
                           ([a.get_kind_display(), a.get_level_display(), str(a.region), a.permit.number if a.permit else "",
                             a.device.serial if a.device else "", a.message, a.opened_at, a.closed_at, a.acknowledged_at] for a in qs))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    changeable = set(Alarm.objects.restrict(request.user, CHANGE).filter(pk__in=[a.pk for a in page.object_list]).values_list("pk", flat=True))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "metering/alarm_list.html", {
        "title": _("告警"), "page": page, "filterset": filterset, "changeable": changeable, "querystring": query.urlencode(),
        "can_evaluate": request.user.is_superuser or request.user.role == Role.CITY_ADMIN,
    })


@login_required
@require_POST
def alarm_acknowledge(request, pk):
    try:
        services.acknowledge_alarm(pk, actor=request.user, note=request.POST.get("note", ""))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.localized(_lang(request)))
    else:
        messages.success(request, _("告警已确认"))
    return redirect(request.POST.get("next") or reverse("metering:alarm_list"))


@login_required
@require_POST
def alarm_evaluate(request):
    if not (request.user.is_superuser or request.user.role == Role.CITY_ADMIN):
        return render_forbidden(request, DomainError("forbidden", "只有市水利局可以重新评估告警", "Only the city bureau may re-evaluate alarms", status=403))
    counts = services.evaluate_alarms(actor=request.user)
    messages.success(request, _("已重新评估：新增 %(opened)s 条，关闭 %(closed)s 条") % counts)
    return redirect("metering:alarm_list")


@login_required
def m1_list(request):
    findings = usage.m1_findings(WithdrawalPermit.objects.restrict(request.user))
    return render(request, "metering/m1_list.html", {
        "title": _("应装未装在线计量（M1）"), "findings": findings, "surface": params.M1_SURFACE.value,
        "groundwater": params.M1_GROUNDWATER.value,
    })


# ---------------------------------------------------------------------------------------------
# Batches and uploads
# ---------------------------------------------------------------------------------------------


@login_required
def batch_list(request):
    qs = IngestionBatch.objects.restrict(request.user).select_related("created_by", "region")
    filterset = BatchFilterSet(request.GET or None, queryset=qs, request=request)
    if filterset.is_bound:
        qs = filterset.qs if filterset.is_valid() else qs.none()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "metering/batch_list.html", {"title": _("数据接收批次"), "page": page, "filterset": filterset,
                                                        "querystring": query.urlencode(),
                                                        "can_upload": actor_may_ingest(request.user)})


def _batch(request, pk) -> IngestionBatch:
    try:
        return get_scoped(IngestionBatch.objects.select_related("created_by", "region"), request.user, pk)
    except NotFound:
        raise Http404 from None


@login_required
def batch_detail(request, pk):
    batch = _batch(request, pk)
    issues = BatchIssue.objects.filter(batch=batch).order_by("row", "id")
    outcome = request.GET.get("outcome")
    if outcome:
        issues = issues.filter(outcome=outcome)
    if request.GET.get("export") == "xlsx":
        return export_rows(f"批次{batch.number}问题行", ["行号", "结果", "代码", "说明", "Message", "设备", "观测时间"],
                           ([i.row, i.get_outcome_display(), i.code, i.message, i.message_en, i.device_ref, i.observed_at_text]
                            for i in issues.iterator()))
    page = Paginator(issues, 100).get_page(request.GET.get("page"))
    mine = request.user.is_superuser or request.user.role == Role.CITY_ADMIN or batch.created_by_id == request.user.pk
    return render(request, "metering/batch_detail.html", {
        "title": _("批次") + f" {batch.number}", "batch": batch, "page": page, "outcome": outcome or "",
        "active": batch.status in ACTIVE_STATUSES, "can_confirm": mine and batch.status == BatchStatus.PREVIEWED,
        "can_cancel": mine and batch.status in (BatchStatus.QUEUED_PREVIEW, BatchStatus.PREVIEWED, BatchStatus.QUEUED),
        "rejected_frames": batch.rejected_frames.all()[:50],
    })


@login_required
def batch_progress(request, pk):
    """The progress fragment polled by htmx; when the batch stops running, the page reloads."""
    batch = _batch(request, pk)
    response = render(request, "metering/batch_progress.html", {"batch": batch, "active": batch.status in ACTIVE_STATUSES})
    if batch.status not in ACTIVE_STATUSES and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def batch_confirm(request, pk):
    try:
        services.confirm_upload(pk, actor=request.user)
        jobs.start(pk)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.localized(_lang(request)))
    return redirect("metering:batch_detail", pk=pk)


@login_required
@require_POST
def batch_cancel(request, pk):
    try:
        services.cancel_batch(pk, actor=request.user)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.localized(_lang(request)))
    else:
        messages.success(request, _("已取消"))
    return redirect("metering:batch_detail", pk=pk)


@login_required
def upload(request):
    if not actor_may_ingest(request.user):
        return render_forbidden(request, DomainError("ingest_forbidden", "您的角色不能提交计量读数", "Your role may not submit meter readings", status=403))
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.create_upload(form.cleaned_data["file"], actor=request.user)
            jobs.start(batch.pk)
        except DomainError as exc:
            form.add_error("file", exc.localized(_lang(request)))
        else:
            return redirect("metering:batch_detail", pk=batch.pk)
    return render(request, "metering/upload.html", {"title": _("上传读数文件"), "form": form,
                                                    "headers": files.TEMPLATE_HEADERS},
                  status=400 if form.errors else 200)


@login_required
def upload_template(request, kind):
    if kind not in ("csv", "xlsx"):
        raise Http404
    if kind == "csv":
        response = HttpResponse(files.template("csv"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = "attachment; filename*=UTF-8''readings-template.csv"
        return response
    return xlsx_response("读数导入模板.xlsx", files.template("xlsx"))



# ---------------------------------------------------------------------------------------------
# Device-model profiles (rated flow, vendor element mapping): generic pages, audited CRUD
# ---------------------------------------------------------------------------------------------


class ProfileForm(ScopedModelForm):
    class Meta:
        model = DeviceModelProfile
        fields = ["model", "description", "max_flow_m3s", "element_map"]


class ProfileListView(ObjectListView):
    queryset = DeviceModelProfile.objects.all()
    columns = [("model", "设备型号"), ("description", "说明"), ("max_flow_m3s", "额定最大流量（立方米/秒）"), ("element_map", "自定义要素映射")]
    add_url_name = "metering:profile_add"
    title = "设备型号配置"


class ProfileEditView(ObjectEditView):
    queryset = DeviceModelProfile.objects.all()
    form_class = ProfileForm
