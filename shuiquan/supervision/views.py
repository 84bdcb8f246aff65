"""Supervision pages: the dual-control assessment (all roles that sign in may read it; the city
bureau enters the figures), complaints and disputes (the city bureau handles them)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shuiquan.core.errors import DomainError, Forbidden, NotFound
from shuiquan.core.generic import ObjectListView, apply_domain_error, audit_trail, render_forbidden
from shuiquan.core.roles import Role
from shuiquan.core.scoping import VIEW, get_scoped
from shuiquan.core.xlsx import xlsx_response
from shuiquan.registry.choices import StatisticKind
from shuiquan.registry.models import Region, WaterUseStatistic

from . import assessment, reports, services
from .choices import ComplaintStatus, Status
from .filtersets import ComplaintFilterSet
from .forms import ComplaintActionForm, ComplaintForm, FiguresForm, ReportedUseForm, StaffComplaintForm
from .models import AssessmentFigures, Complaint


def is_city(user) -> bool:
    return user.is_superuser or user.role == Role.CITY_ADMIN


def _year(request, default: int) -> int:
    try:
        year = int(request.GET.get("year") or default)
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


def default_year(book: assessment.Book) -> int:
    """The latest year with reported use (or metering), not later than this year."""
    this = timezone.localdate().year
    years = [y for y in book.stat_years if y <= this]
    return max(years) if years else this


# ---------------------------------------------------------------------------------------------
# Dual-control assessment
# ---------------------------------------------------------------------------------------------


@login_required
def dashboard(request):
    book = assessment.Book()
    year = _year(request, default_year(book))
    rows = assessment.assess_year(year, book)
    years = book.years()
    city = book.city
    city_series = assessment.series(city, years, book) if city else []
    map_data = []
    for ry in rows:
        if ry.region.kind != "city":
            ratio = ry.measure("total_use").ratio
            map_data.append({"name": ry.region.name, "value": float(ratio * 100) if ratio is not None else None})
    chart = {
        "years": years,
        "measured": [_yi(r.measured_m3) for r in city_series],
        "assessed": [_yi(r.assessed_m3) for r in city_series],
        "cap": [_yi(r.cap_m3) for r in city_series],
        "counties": [{"name": c.name, "values": [_yi(book.reported_use(c, y)[0]) for y in years]} for c in book.counties],
    }
    counts = {s: sum(1 for r in rows if r.status == s) for s in Status.values}
    return render(request, "supervision/dashboard.html", {
        "title": _("用水总量和强度双控考核"), "year": year, "rows": rows, "years": years, "chart": chart, "map_data": map_data,
        "counts": counts, "is_city": is_city(request.user), "margin": book.margin, "basis": book.basis,
    })


def _yi(m3):
    return None if m3 is None else round(m3 / 100_000_000, 4)


@login_required
def assessment_detail(request, pk):
    region = get_object_or_404(Region, pk=pk, kind__in=["city", "district", "county", "county_city"])
    book = assessment.Book()
    year = _year(request, default_year(book))
    ry = book.assess(region, year)
    years = book.years()
    history = assessment.series(region, years, book)
    sectors = sorted({u for r in history for u in r.by_use})
    chart = {
        "years": years,
        "measured": [_yi(r.measured_m3) for r in history],
        "assessed": [_yi(r.assessed_m3) for r in history],
        "cap": [_yi(r.cap_m3) for r in history],
        "sold": [_yi(r.sold_m3) for r in history],
        "bought": [_yi(r.bought_m3) for r in history],
        "gdp_intensity": [_num(r.measure("per_10k_gdp").value) for r in history],
        "gdp_target": [_num(r.measure("per_10k_gdp").target) for r in history],
        "sectors": [{"name": str(dict(assessment.WaterUse.choices)[u]), "values": [_yi(r.by_use.get(u)) for r in history]} for u in sectors],
    }
    return render(request, "supervision/assessment_detail.html", {
        "title": _("%(region)s %(year)s年双控考核") % {"region": region.name, "year": year}, "ry": ry, "region": region, "year": year,
        "history": history, "chart": chart, "is_city": is_city(request.user),
        "figures": book.figures.get((region.pk, year)),
    })


def _num(value):
    return None if value is None else float(value)


@login_required
def assessment_export(request):
    book = assessment.Book()
    year = _year(request, default_year(book))
    return xlsx_response(f"双控考核-{year}.xlsx", reports.workbook(year))


@login_required
def figures_list(request):
    rows = AssessmentFigures.objects.restrict(request.user).select_related("region", "entered_by")
    stats = (WaterUseStatistic.objects.filter(kind=StatisticKind.ROW).exclude(source_section="表1-2")
             .select_related("region").order_by("-year", "region__sort_order", "use"))
    return render(request, "supervision/figures_list.html", {"title": _("考核基础数据"), "rows": rows, "stats": stats[:300],
                                                             "is_city": is_city(request.user)})


@login_required
def figures_edit(request, pk=None):
    if not is_city(request.user):
        return render_forbidden(request, Forbidden(message=_("考核基础数据由市水利局录入")))
    row = get_object_or_404(AssessmentFigures, pk=pk) if pk else None
    initial = {}
    if row:
        initial = {f: getattr(row, f) for f in services.FIGURE_FIELDS} | {"region": row.region, "year": row.year}
    elif request.GET.get("region"):
        initial = {"region": request.GET.get("region"), "year": request.GET.get("year")}
    form = FiguresForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        region, year = data.pop("region"), data.pop("year")
        try:
            saved = services.record_figures(actor=request.user, region=region, year=year, **data)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已保存"))
            return redirect(f"{reverse('supervision:assessment_detail', args=[saved.region_id])}?year={saved.year}")
    return render(request, "supervision/form.html", {"title": _("录入考核基础数据"), "form": form,
                                                     "intro": _("经济指标用于计算万元GDP用水量和万元工业增加值用水量；数据来源请注明统计年鉴或水资源公报。")},
                  status=400 if form.errors else 200)


@login_required
def reported_use(request):
    if not is_city(request.user):
        return render_forbidden(request, Forbidden(message=_("统计用水量由市水利局录入")))
    form = ReportedUseForm(request.POST or None, initial={"region": request.GET.get("region"), "year": request.GET.get("year")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        region, year = data.pop("region"), data.pop("year")
        try:
            services.record_reported_use(actor=request.user, region=region, year=year, **data)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已保存"))
            return redirect(f"{reverse('supervision:assessment_detail', args=[region.pk])}?year={year}")
    return render(request, "supervision/form.html", {"title": _("录入统计用水量"), "form": form,
                                                     "intro": _("2017–2021年各县总用水量来自种子文件表1-2，不可修改；可补录分行业数据及2022年以后的统计数据。")},
                  status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------------------
# Complaints and disputes
# ---------------------------------------------------------------------------------------------


class ComplaintListView(ObjectListView):
    queryset = Complaint.objects.select_related("region", "handler")
    filterset_class = ComplaintFilterSet
    title = _("争议和投诉")
    columns = [("number", _("编号")), ("kind", _("类别")), ("topic", _("事项")), ("subject", _("标题")), ("region", _("涉及行政区")),
               ("channel", _("渠道")), ("status", _("状态")), ("submitted_at", _("提交时间")), ("handler", _("承办人"))]
    template_name = "supervision/complaint_list.html"


@login_required
def complaint_detail(request, pk):
    try:
        row = get_scoped(Complaint.objects.select_related("region", "handler", "complainant_user"), request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    actions = services.available_actions(row, request.user)
    form = ComplaintActionForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if form.is_valid():
            try:
                services.act_on_complaint(row, action, actor=request.user, note=form.cleaned_data["note"],
                                          resolution=form.cleaned_data["resolution"], public_reply=form.cleaned_data["public_reply"])
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
            else:
                messages.success(request, _("已处理"))
                return redirect(row.get_absolute_url())
    labels = {name: label for name, (label, _en) in services.ACTIONS.items()}
    return render(request, "supervision/complaint_detail.html", {
        "title": str(row), "c": row, "actions": [(a, labels[a]) for a in actions], "form": form,
        "events": row.events.all(), "audit_events": audit_trail(row)[:30], "show_personal": is_city(request.user) or request.user.role == Role.AUDITOR,
    }, status=400 if form.errors else 200)


@login_required
def complaint_new(request):
    staff = is_city(request.user)
    form_class = StaffComplaintForm if staff else ComplaintForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            row = services.submit_complaint(actor=request.user, **data)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已提交：%(n)s，查询码 %(c)s") % {"n": row.number, "c": row.receipt_code})
            return redirect(row.get_absolute_url())
    return render(request, "supervision/form.html", {"title": _("提交争议或投诉"), "form": form}, status=400 if form.errors else 200)


@login_required
def index(request):
    return HttpResponseRedirect(reverse("supervision:dashboard"))


__all__ = ["ComplaintStatus"]


# ---------------------------------------------------------------------------------------------
# S6 enforcement
# ---------------------------------------------------------------------------------------------

from shuiquan.core.scoping import can  # noqa: E402

from . import monitoring  # noqa: E402
from .forms import AttachForm, EnforcementForm, EvaluationForm, InspectionForm, LiftForm  # noqa: E402
from .models import Enforcement, SiteInspection, TradeEvaluation  # noqa: E402


@login_required
def enforcement_list(request):
    """Every S6 restriction in force or lifted — those decided here with their finding, and those
    made directly on trading's restriction page (no assessment record)."""
    from shuiquan.trading.models import TradingRestriction

    rows = TradingRestriction.objects.select_related("region", "water_user", "association", "imposed_by", "enforcement")
    book = assessment.Book()
    year = _year(request, default_year(book))
    candidates = services.enforcement_candidates(year) if is_city(request.user) else []
    return render(request, "supervision/enforcement_list.html", {"title": _("交易约束（S6）"), "rows": rows[:300], "is_city": is_city(request.user),
                                                                 "candidates": candidates, "year": year})


@login_required
def enforcement_new(request):
    if not is_city(request.user):
        return render_forbidden(request, Forbidden(message=_("交易约束由市水利局决定")))
    initial = {"party_kind": "region", "region": request.GET.get("region"), "assessment_year": request.GET.get("year"),
               "ground": request.GET.get("ground", "strict_assessment"), "kind": "halt"}
    form = EnforcementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        party = {d["party_kind"]: d[d["party_kind"]]}
        try:
            row = services.impose_enforcement(actor=request.user, ground=d["ground"], kind=d["kind"], reason=d["reason"],
                                              cut_pct=d["cut_pct"], assessment_year=d["assessment_year"], finding=d["finding"], **party)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已作出交易约束决定 %(n)s") % {"n": row.number})
            return redirect(row.get_absolute_url())
    return render(request, "supervision/form.html", {"title": _("作出交易约束决定（S6）"), "form": form,
                                                     "intro": _("转让方地下水压采未达标，或交易方最严格水资源管理制度考核不合格的，核减交易水量或责令停止交易，直至达标、考核合格（§7.5.5）。交易规则引擎据此拒绝或核减交易，并显示事由。")},
                  status=400 if form.errors else 200)


@login_required
def enforcement_detail(request, pk):
    row = get_object_or_404(Enforcement.objects.select_related("restriction", "decided_by"), pk=pk)
    form = LiftForm(request.POST or None)
    if request.method == "POST":
        if not is_city(request.user):
            return render_forbidden(request, Forbidden(message=_("交易约束由市水利局解除")))
        if form.is_valid():
            try:
                services.lift_enforcement(row, actor=request.user, reason=form.cleaned_data["reason"], evidence=form.cleaned_data["evidence"])
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
            else:
                messages.success(request, _("已解除"))
                return redirect(row.get_absolute_url())
    return render(request, "supervision/enforcement_detail.html", {"title": str(row), "e": row, "r": row.restriction, "form": form,
                                                                   "can_lift": is_city(request.user) and row.restriction.is_active,
                                                                   "audit_events": audit_trail(row)[:20]},
                  status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------------------
# S3 inspections, post-trade evaluations, monitoring
# ---------------------------------------------------------------------------------------------


#: Who may see a trade is wider than who may inspect or evaluate it (S3): the forms refuse the others.
_SUPERVISE_REFUSAL = Forbidden(code="out_of_scope", message="现场核查和交易后评估由市水利局或交易双方所在地县级水利局组织",
                               message_en="Site inspections and post-trade evaluations are made by the city bureau or a party's county bureau")


def _trade(request, pk):
    from shuiquan.trading.services import trade_for_actor

    try:
        return trade_for_actor(request.user, pk)
    except NotFound:
        raise Http404 from None


def _trade_by_number(request, target: str):
    """A "start a record for trade <number>" box on the list pages: redirect to the form."""
    from shuiquan.trading.services import visible_trades

    number = request.GET.get("trade", "").strip()
    if not number:
        return None
    trade = visible_trades(request.user).filter(number=number).first()
    if trade is None:
        messages.error(request, _("未找到交易 %(n)s") % {"n": number})
        return None
    return redirect(target, trade_pk=trade.pk)


@login_required
def inspection_list(request):
    found = _trade_by_number(request, "supervision:inspection_new")
    if found:
        return found
    rows = SiteInspection.objects.restrict(request.user).select_related("trade", "recorded_by")
    return render(request, "supervision/inspection_list.html", {"title": _("现场核查（S3）"), "rows": rows[:300]})


@login_required
def inspection_new(request, trade_pk):
    trade = _trade(request, trade_pk)
    if not services.may_supervise(request.user, trade):
        return render_forbidden(request, _SUPERVISE_REFUSAL)
    form = InspectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        upload = d.pop("file")
        try:
            from django.db import transaction

            with transaction.atomic():
                row = services.record_inspection(actor=request.user, trade=trade, **d)
                if upload:
                    services.attach(actor=request.user, obj=row, upload=upload)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已记录现场核查"))
            return redirect(row.get_absolute_url())
    return render(request, "supervision/form.html", {"title": _("现场核查：%(n)s") % {"n": trade.number}, "form": form,
                                                     "intro": _("S3：对节水措施、计量设施的真实性和有效性进行现场检查（§7.5.3）。"),
                                                     "cancel_url": trade.get_absolute_url()}, status=400 if form.errors else 200)


@login_required
def inspection_detail(request, pk):
    try:
        row = get_scoped(SiteInspection.objects.select_related("trade", "recorded_by"), request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    form = AttachForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attach(actor=request.user, obj=row, upload=form.cleaned_data["file"])
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已上传"))
            return redirect(row.get_absolute_url())
    from shuiquan.core.scoping import CHANGE

    return render(request, "supervision/inspection_detail.html", {"title": str(row), "i": row, "form": form,
                                                                  "files": services.attachments(row), "can_attach": can(request.user, row, CHANGE),
                                                                  "audit_events": audit_trail(row)[:20]},
                  status=400 if form.errors else 200)


@login_required
def evaluation_list(request):
    found = _trade_by_number(request, "supervision:evaluation_new")
    if found:
        return found
    rows = TradeEvaluation.objects.restrict(request.user).select_related("trade", "recorded_by")
    return render(request, "supervision/evaluation_list.html", {"title": _("交易后评估"), "rows": rows[:300]})


@login_required
def evaluation_new(request, trade_pk):
    trade = _trade(request, trade_pk)
    if not services.may_supervise(request.user, trade):
        return render_forbidden(request, _SUPERVISE_REFUSAL)
    form = EvaluationForm(request.POST or None, initial={"evaluated_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            row = services.record_evaluation(actor=request.user, trade=trade, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已记录交易后评估"))
            return redirect(row.get_absolute_url())
    return render(request, "supervision/form.html", {"title": _("交易后评估：%(n)s") % {"n": trade.number}, "form": form,
                                                     "intro": _("重点评估交易水量的真实性、交易程序的规范性、交易价格的合理性、交易资金的安全性（§7.5.4）。平台的计量、资金对账和市场价格数据将随评估保存。"),
                                                     "cancel_url": trade.get_absolute_url()}, status=400 if form.errors else 200)


@login_required
def evaluation_detail(request, pk):
    try:
        row = get_scoped(TradeEvaluation.objects.select_related("trade", "recorded_by"), request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        try:
            services.finalize_evaluation(row, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.localized(request.LANGUAGE_CODE))
        else:
            messages.success(request, _("已定稿"))
        return redirect(row.get_absolute_url())
    from shuiquan.core.scoping import CHANGE

    return render(request, "supervision/evaluation_detail.html", {"title": str(row), "ev": row, "can_finalize": row.status == "draft" and can(request.user, row, CHANGE),
                                                                  "audit_events": audit_trail(row)[:20]})


@login_required
def monitoring_view(request):
    from shuiquan.trading.services import visible_trades

    year = _year(request, timezone.localdate().year)
    qs = monitoring.in_performance(year).filter(pk__in=visible_trades(request.user).values("pk"))
    rows = monitoring.monitor(year, qs)
    return render(request, "supervision/monitoring.html", {"title": _("交易履约动态监管"), "rows": rows, "year": year})


# ---------------------------------------------------------------------------------------------
# National water-rights trading system interface
# ---------------------------------------------------------------------------------------------

import json  # noqa: E402

from django.http import HttpResponse, JsonResponse  # noqa: E402

from . import national  # noqa: E402
from .models import NationalExport  # noqa: E402


@login_required
def national_list(request):
    if not (is_city(request.user) or request.user.role == Role.AUDITOR):
        return render_forbidden(request, Forbidden(message=_("国家系统数据报送由市水利局办理")))
    if request.method == "POST":
        try:
            row = national.export(actor=request.user, only_changes=request.POST.get("all") != "1")
        except DomainError as exc:
            messages.error(request, exc.localized(request.LANGUAGE_CODE))
            return redirect("supervision:national_list")
        messages.success(request, _("已生成报送批次 %(b)s") % {"b": row.batch_id})
        return redirect(row.get_absolute_url())
    rows = NationalExport.objects.select_related("created_by").defer("payload")[:100]
    return render(request, "supervision/national_list.html", {"title": _("国家水权交易系统数据报送"), "rows": rows, "version": national.SCHEMA_VERSION,
                                                              "is_city": is_city(request.user)})


@login_required
def national_detail(request, pk):
    if not (is_city(request.user) or request.user.role == Role.AUDITOR):
        return render_forbidden(request, Forbidden(message=_("国家系统数据报送由市水利局办理")))
    row = get_object_or_404(NationalExport, pk=pk)
    if request.GET.get("download") == "json":
        response = HttpResponse(json.dumps(row.payload, ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{row.batch_id}.json"'
        return response
    error = None
    if request.method == "POST" and is_city(request.user):
        raw = request.FILES.get("file")
        text = raw.read(5 * 1024 * 1024 + 1).decode("utf-8", errors="replace") if raw else request.POST.get("text", "")
        try:
            if len(text) > 5 * 1024 * 1024:
                raise national.ValidationFailed("too_large", "回执文件过大（上限5MB）", "Acknowledgement too large (5 MB)")
            try:
                document = json.loads(text)
            except ValueError:
                raise national.ValidationFailed("bad_json", "回执不是有效的JSON", "The acknowledgement is not valid JSON") from None
            if isinstance(document, dict) and document.get("batch_id") not in (None, row.batch_id):
                raise national.ValidationFailed("other_batch", "回执属于另一批次", "The acknowledgement is for another batch")
            ack, created = national.import_acknowledgement(document, actor=request.user)
        except DomainError as exc:
            error = exc.localized(request.LANGUAGE_CODE)
        else:
            messages.success(request, (_("已导入回执 %(a)s：接收 %(ok)s，退回 %(no)s") if created else _("回执 %(a)s 已导入过，未作改动"))
                             % {"a": ack.ack_id, "ok": ack.accepted, "no": ack.rejected})
            return redirect(row.get_absolute_url())
    items = row.items.all()
    status = request.GET.get("status", "")
    if status:
        items = items.filter(status=status)
    return render(request, "supervision/national_detail.html", {"title": row.batch_id, "x": row, "items": items[:1000], "error": error,
                                                                "acks": row.acknowledgements.all(), "is_city": is_city(request.user),
                                                                "status": status},
                  status=400 if error else 200)


@login_required
def national_schema(request, kind="export"):
    if kind not in ("export", "ack"):
        raise Http404
    return JsonResponse(national.schema(kind), json_dumps_params={"ensure_ascii": False, "indent": 1})
