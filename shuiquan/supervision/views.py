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
