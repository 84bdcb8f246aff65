"""Registry pages: lists (search, filters, pagination, XLSX export), details with related records
and the audit trail, create/edit/delete forms through the services, permit status changes, the
renewal-due list, XLSX import of water users and permits, and the city overview with the county map.

Views only parse input, call a service or a scoped query, and render.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from shuiquan.core import units
from shuiquan.core.errors import DomainError, Forbidden, NotFound
from shuiquan.core.generic import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    apply_domain_error,
    render_forbidden,
    resolve,
)
from shuiquan.core.scoping import CHANGE, can, can_add, get_scoped
from shuiquan.core.xlsx import xlsx_response

from . import filtersets as fs
from . import forms as f
from . import importing, services
from . import models as m
from .choices import ACTIVE_PERMIT_STATUSES, COUNTY_LEVEL, StatisticKind
from .display import volume
from .personal import can_see_personal, mask_phone

DEMO_NOTE = "is_demo（演示数据）为 TRUE 的行为平台生成的演示数据，并非真实登记。水量单位：立方米（整数）。"


# ---------------------------------------------------------------------------------------------
# Generic pieces
# ---------------------------------------------------------------------------------------------


def shown(value, is_volume: bool = False, unit: str = "wan"):
    """A value as a page shows it: volumes in 万立方米 (exact m³ in the tooltip), booleans as 是/否."""
    if is_volume:
        return volume(value, unit)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return value


def _has_demo_field(model) -> bool:
    return any(fld.name == "is_demo" for fld in model._meta.get_fields())


class ListView(ObjectListView):
    volume_fields: tuple[str, ...] = ()
    template_name = "registry/list.html"

    def cell(self, obj, path):
        return shown(resolve(obj, path), path in self.volume_fields)

    import_kind: str | None = None

    def extra_context(self, request) -> dict:
        model = self.queryset.model
        ctx: dict[str, Any] = {}
        if self.import_kind and can_add(request.user, model):
            ctx["import_url"] = _url("import", self.import_kind)
        if model is m.WithdrawalPermit:
            ctx["renewal_due_url"] = _url("withdrawalpermit_renewal_due")
        return ctx

    def export_columns(self):
        cols = [(p, f"{label}（{_('立方米')}）" if p in self.volume_fields else label) for p, label in self.columns]
        if _has_demo_field(self.queryset.model):
            cols.append(("is_demo", _("演示数据")))
        return cols

    export_note = DEMO_NOTE


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[tuple[Any, list[Any]]]
    add_url: str | None = None
    more_url: str | None = None
    more: bool = False
    note: str = ""
    anchor: str = ""


def section(title, qs, columns, *, volume_fields=(), add_url=None, more_url=None, limit=30, note="", anchor="", unit="wan"):
    objs = list(qs[: limit + 1])
    rows = [
        (o, [shown(resolve(o, p), p in volume_fields, unit) for p, _label in columns])
        for o in objs[:limit]
    ]
    return Section(str(title), [str(label) for _p, label in columns], rows, add_url, more_url, len(objs) > limit, note, anchor)


class DetailView(ObjectDetailView):
    template_name = "registry/detail.html"
    volume_fields: tuple[str, ...] = ()

    def display(self, obj, path):
        return shown(resolve(obj, path), path in self.volume_fields)

    def sections(self, request, obj) -> list[Section]:
        return []

    def extra_context(self, request, obj) -> dict:
        ctx: dict[str, Any] = {"sections": self.sections(request, obj), "seeded": services.is_read_only(obj)}
        if ctx["seeded"]:
            ctx.update(edit_url=None, delete_url=None)
        return ctx


class EditView(ObjectEditView):
    def get_object(self, request, pk):
        obj = super().get_object(request, pk)
        if obj is not None and services.is_read_only(obj):
            services._refuse_seeded(obj)
        return obj

    def form_kwargs(self, request) -> dict:
        kwargs = super().form_kwargs(request)
        if request.method == "GET":
            fields = set(getattr(self.form_class.Meta, "fields", []))
            kwargs["initial"] = {k: v for k, v in request.GET.items() if k in fields}
        return kwargs

    def save(self, request, form, obj):
        data = {name: form.cleaned_data[name] for name in form.cleaned_data if name in form.Meta.fields}
        model = self.queryset.model
        if obj is None:
            return services.create_record(model, actor=request.user, data=data)
        return services.update_record(model, obj.pk, actor=request.user, data=data)


class DeleteView(ObjectDeleteView):
    def get(self, request, pk):
        try:
            obj = get_scoped(self.queryset, request.user, pk, "delete")
            services._refuse_seeded(obj)
        except NotFound:
            raise Http404 from None
        except Forbidden as exc:
            return render_forbidden(request, exc)
        return render(request, "core/object_delete.html", {"obj": obj, "title": _("删除") + f" {obj}"})

    def post(self, request, pk):
        try:
            services.delete_record(self.queryset.model, pk, actor=request.user)
        except NotFound:
            raise Http404 from None
        except Forbidden as exc:
            return render_forbidden(request, exc)
        except DomainError as exc:
            messages.error(request, exc.localized(request.LANGUAGE_CODE))
            return HttpResponseRedirect(request.path)
        messages.success(request, _("已删除"))
        return HttpResponseRedirect(reverse(self.success_url_name))


def _url(name, *args, query: str = "") -> str:
    return reverse(f"registry:{name}", args=args) + (f"?{query}" if query else "")


def _add_url(request, model, name, query="") -> str | None:
    return _url(name, query=query) if can_add(request.user, model) else None


# ---------------------------------------------------------------------------------------------
# Regions and the seed's figures
# ---------------------------------------------------------------------------------------------


class RegionList(ListView):
    queryset = m.Region.objects.select_related("parent")
    filterset_class = fs.RegionFilterSet
    columns = [("name", _("名称")), ("code", _("行政区划代码")), ("kind", _("类型")), ("parent", _("上级")), ("name_en", _("英文名"))]
    add_url_name = "registry:region_add"
    paginate_by = 100


class RegionDetail(DetailView):
    queryset = m.Region.objects.select_related("parent")
    fields = [("name", _("名称")), ("name_en", _("英文名")), ("code", _("行政区划代码")), ("kind", _("类型")),
              ("parent", _("上级")), ("comments", _("备注"))]
    edit_url_name = "registry:region_edit"
    delete_url_name = "registry:region_delete"

    def sections(self, request, obj):
        out = []
        stats = m.WaterUseStatistic.objects.filter(region=obj, use="").order_by("year")
        if stats.exists():
            out.append(section(_("年度用水量（表1-2）"), stats, [("year", _("年份")), ("volume_m3", _("用水量")), ("kind", _("类型")),
                                                            ("source_section", _("出处"))], volume_fields=("volume_m3",), unit="yi"))
        targets = m.DualControlTarget.objects.filter(region=obj)
        if targets.exists():
            out.append(section(_("用水总量控制目标（表2-1）"), targets, [("year", _("目标年")), ("total_m3", _("用水总量控制目标")),
                                                                ("source_section", _("出处"))], volume_fields=("total_m3",), unit="yi"))
        mins = m.NonConventionalMinimum.objects.filter(region=obj)
        if mins.exists():
            out.append(section(_("非常规水最低利用量（表2-1）"), mins, [("year", _("年份")), ("volume_m3", _("最低利用量"))],
                               volume_fields=("volume_m3",), unit="yi"))
        res = m.RegionWaterResources.objects.filter(region=obj)
        if res.exists():
            out.append(section(_("多年平均水资源量（表1-1）"), res, [("mean_precip_mm", _("多年平均降雨量（mm）")),
                                                              ("mean_runoff_depth_mm", _("多年平均径流深（mm）")),
                                                              ("water_resources_m3", _("多年平均水资源量"))],
                               volume_fields=("water_resources_m3",)))
        quotas = m.SnwdQuota.objects.filter(receiving_area=obj)
        if quotas.exists():
            out.append(section(_("南水北调城镇水量指标（表2-2）"), quotas, [("printed_name", _("原表名称")), ("volume_m3", _("水量指标"))],
                               volume_fields=("volume_m3",)))
        if obj.members.exists():
            out.append(section(_("组成行政区"), obj.members.all(), [("name", _("名称")), ("code", _("行政区划代码"))]))
        if obj.is_county_level:
            permits = m.WithdrawalPermit.objects.restrict(request.user).filter(region=obj).select_related("holder")
            out.append(section(_("取水许可证"), permits, [("number", _("许可证编号")), ("holder", _("取水权人")),
                                                     ("annual_volume_m3", _("年许可水量")), ("status", _("状态"))],
                               volume_fields=("annual_volume_m3",), more_url=_url("withdrawalpermit_list", query=f"region={obj.pk}")))
        return out


# ---------------------------------------------------------------------------------------------
# Water bodies and sources
# ---------------------------------------------------------------------------------------------


class BasinList(ListView):
    queryset = m.Basin.objects.select_related("parent")
    filterset_class = fs.BasinFilterSet
    columns = [("name", _("流域")), ("parent", _("上级流域")), ("area_km2", _("面积（km²）")), ("facts", _("概况"))]
    add_url_name = "registry:basin_add"


class BasinDetail(DetailView):
    queryset = m.Basin.objects.select_related("parent")
    fields = [("name", _("流域")), ("parent", _("上级流域")), ("area_km2", _("面积（km²）")), ("facts", _("概况")), ("comments", _("备注"))]
    edit_url_name = "registry:basin_edit"
    delete_url_name = "registry:basin_delete"

    def sections(self, request, obj):
        return [
            section(_("下级流域"), obj.children.all(), [("name", _("流域")), ("area_km2", _("面积（km²）"))]),
            section(_("河流"), obj.rivers.all(), [("name", _("河流")), ("length_km", _("干流长度（km）")), ("area_km2", _("集水面积（km²）"))]),
        ]


class RiverList(ListView):
    queryset = m.River.objects.select_related("basin")
    filterset_class = fs.RiverFilterSet
    columns = [("name", _("河流")), ("basin", _("流域")), ("length_km", _("干流长度（km）")), ("area_km2", _("集水面积（km²）"))]
    add_url_name = "registry:river_add"


class RiverDetail(DetailView):
    queryset = m.River.objects.select_related("basin")
    fields = [("name", _("河流")), ("basin", _("流域")), ("length_km", _("干流长度（km）")), ("area_km2", _("集水面积（km²）")),
              ("facts", _("概况")), ("comments", _("备注"))]
    edit_url_name = "registry:river_edit"
    delete_url_name = "registry:river_delete"

    def sections(self, request, obj):
        return [
            section(_("水库"), obj.reservoirs.all(), [("name", _("水库")), ("total_capacity_m3", _("总库容"))], volume_fields=("total_capacity_m3",)),
            section(_("水源"), obj.sources.all(), [("name", _("水源")), ("kind", _("类型"))]),
            section(_("流经行政区"), obj.regions.all(), [("name", _("名称"))]),
        ]


class ReservoirList(ListView):
    queryset = m.Reservoir.objects.select_related("region", "river")
    filterset_class = fs.ReservoirFilterSet
    columns = [("name", _("水库")), ("region", _("所在行政区")), ("river", _("所在河流")), ("total_capacity_m3", _("总库容")),
               ("beneficial_capacity_m3", _("兴利库容")), ("purposes", _("功能"))]
    volume_fields = ("total_capacity_m3", "beneficial_capacity_m3")
    add_url_name = "registry:reservoir_add"


class ReservoirDetail(DetailView):
    queryset = m.Reservoir.objects.select_related("region", "river")
    fields = [("name", _("水库")), ("region", _("所在行政区")), ("river", _("所在河流")), ("catchment_km2", _("控制流域面积（km²）")),
              ("total_capacity_m3", _("总库容")), ("beneficial_capacity_m3", _("兴利库容")), ("dead_capacity_m3", _("死库容")),
              ("purposes", _("功能")), ("facts", _("概况")), ("comments", _("备注"))]
    volume_fields = ("total_capacity_m3", "beneficial_capacity_m3", "dead_capacity_m3")
    edit_url_name = "registry:reservoir_edit"
    delete_url_name = "registry:reservoir_delete"

    def sections(self, request, obj):
        return [
            section(_("水源"), obj.sources.all(), [("name", _("水源")), ("kind", _("类型"))]),
            section(_("灌区"), m.IrrigationDistrict.objects.restrict(request.user).filter(reservoir=obj), [("name", _("灌区")), ("region", _("所在行政区"))]),
        ]


class WaterSourceList(ListView):
    queryset = m.WaterSource.objects.select_related("river", "reservoir", "region", "zone")
    filterset_class = fs.WaterSourceFilterSet
    columns = [("name", _("水源")), ("kind", _("类型")), ("region", _("所在行政区")), ("river", _("河流")), ("reservoir", _("水库")),
               ("zone", _("水资源分区")), ("is_overdraft_area", _("地下水超采区"))]
    add_url_name = "registry:watersource_add"
    paginate_by = 100


class WaterSourceDetail(DetailView):
    queryset = m.WaterSource.objects.select_related("river", "reservoir", "region", "zone")
    fields = [("name", _("水源")), ("kind", _("类型")), ("source_type", _("水源类型")), ("region", _("所在行政区")), ("river", _("河流")),
              ("reservoir", _("水库")), ("zone", _("水资源分区")), ("is_overdraft_area", _("地下水超采区")),
              ("is_overloaded", _("地表水超载地区")), ("comments", _("备注"))]
    edit_url_name = "registry:watersource_edit"
    delete_url_name = "registry:watersource_delete"

    def sections(self, request, obj):
        permits = m.WithdrawalPermit.objects.restrict(request.user).filter(source=obj).select_related("holder", "region")
        return [section(_("取水许可证"), permits, [("number", _("许可证编号")), ("holder", _("取水权人")), ("region", _("行政区")),
                                                  ("annual_volume_m3", _("年许可水量")), ("status", _("状态"))],
                        volume_fields=("annual_volume_m3",))]


class ZoneList(ListView):
    queryset = m.WaterResourceZone.objects.all()
    filterset_class = fs.WaterResourceZoneFilterSet
    columns = [("name", _("水资源分区")), ("level", _("级别"))]


# ---------------------------------------------------------------------------------------------
# Water users and permits
# ---------------------------------------------------------------------------------------------

PERMIT_COLUMNS = [("number", _("许可证编号")), ("holder", _("取水权人")), ("region", _("取水地行政区")), ("source", _("水源")),
                  ("use", _("取水用途")), ("annual_volume_m3", _("年许可水量")), ("valid_to", _("有效期止")), ("status", _("状态"))]


class WaterUserList(ListView):
    queryset = m.WaterUser.objects.select_related("region", "sector")
    filterset_class = fs.WaterUserFilterSet
    columns = [("name", _("名称")), ("credit_code", _("统一社会信用代码")), ("kind", _("类型")), ("sector", _("行业")),
               ("region", _("所在行政区")), ("is_public_supply", _("公共供水")), ("contact_name", _("联系人")), ("contact_phone", _("联系电话"))]
    add_url_name = "registry:wateruser_add"
    import_kind = "water_users"


class WaterUserDetail(DetailView):
    queryset = m.WaterUser.objects.select_related("region", "sector")
    fields = [("name", _("名称")), ("kind", _("类型")), ("credit_code", _("统一社会信用代码")), ("sector", _("行业（GB/T 4754）")),
              ("region", _("所在行政区")), ("address", _("地址")), ("is_public_supply", _("公共供水")),
              ("legal_representative", _("法定代表人")), ("contact_name", _("联系人")), ("contact_phone", _("联系电话")),
              ("contact_email", _("电子邮箱")), ("comments", _("备注"))]
    edit_url_name = "registry:wateruser_edit"
    delete_url_name = "registry:wateruser_delete"

    def sections(self, request, obj):
        permits = m.WithdrawalPermit.objects.restrict(request.user).filter(holder=obj).select_related("holder", "region", "source")
        intakes = m.IntakePoint.objects.restrict(request.user).filter(water_user=obj).select_related("region")
        return [
            section(_("取水许可证"), permits, PERMIT_COLUMNS, volume_fields=("annual_volume_m3",),
                    add_url=_add_url(request, m.WithdrawalPermit, "withdrawalpermit_add", f"holder={obj.pk}&region={obj.region_id}")),
            section(_("取水口"), intakes, [("code", _("取水口编码")), ("name", _("名称")), ("kind", _("类型")), ("region", _("所在行政区"))]),
        ]


class PermitList(ListView):
    queryset = m.WithdrawalPermit.objects.select_related("holder", "region", "source")
    filterset_class = fs.WithdrawalPermitFilterSet
    columns = PERMIT_COLUMNS
    volume_fields = ("annual_volume_m3",)
    add_url_name = "registry:withdrawalpermit_add"
    import_kind = "permits"

    def export_columns(self):
        cols = super().export_columns()
        extra = [("approving_authority", _("审批机关")), ("withdrawal_method", _("取水方式")), ("max_daily_volume_m3", f"{_('最大日取水量')}（{_('立方米')}）"),
                 ("issued_on", _("发证日期")), ("valid_from", _("有效期起"))]
        return cols[:-1] + extra + cols[-1:]


class RenewalDueList(PermitList):
    """Permits whose renewal is due (valid_to − 45 days ≤ today), soonest first."""

    columns = [("number", _("许可证编号")), ("holder", _("取水权人")), ("region", _("取水地行政区")), ("annual_volume_m3", _("年许可水量")),
               ("valid_to", _("有效期止")), ("renewal_due", _("延续申请截止")), ("status", _("状态"))]
    add_url_name = None
    import_kind = None

    def get_title(self):
        return _("待延续的取水许可证")

    def get_queryset(self, request):
        return services.renewal_due(request.user)


class PermitDetail(DetailView):
    queryset = m.WithdrawalPermit.objects.select_related(
        "holder", "region", "approving_authority", "supervising_authority", "source", "sector", "irrigation_district"
    )
    template_name = "registry/permit_detail.html"
    fields = [("number", _("许可证编号")), ("holder", _("取水权人")), ("region", _("取水地行政区")),
              ("approving_authority", _("审批机关")), ("supervising_authority", _("监管机关")), ("source", _("水源")),
              ("source_type", _("水源类型")), ("withdrawal_method", _("取水方式")), ("use", _("取水用途")), ("sector", _("行业")),
              ("annual_volume_m3", _("年许可水量")), ("max_daily_volume_m3", _("最大日取水量")),
              ("return_water_location", _("退水地点")), ("return_water_volume_m3", _("年退水量")), ("issued_on", _("发证日期")),
              ("valid_from", _("有效期起")), ("valid_to", _("有效期止")), ("status", _("状态")),
              ("irrigation_district", _("灌区")), ("comments", _("备注"))]
    volume_fields = ("annual_volume_m3", "max_daily_volume_m3", "return_water_volume_m3")
    edit_url_name = "registry:withdrawalpermit_edit"
    delete_url_name = "registry:withdrawalpermit_delete"

    def sections(self, request, obj):
        user = request.user
        intakes = m.IntakePoint.objects.restrict(user).filter(permit=obj).select_related("region", "source")
        devices = m.MeteringDevice.objects.restrict(user).filter(intake_point__permit=obj).select_related("intake_point")
        plans = m.AnnualWithdrawalPlan.objects.restrict(user).filter(permit=obj)
        can_edit = can(user, obj, CHANGE)
        return [
            section(_("取水口"), intakes, [("code", _("取水口编码")), ("name", _("名称")), ("kind", _("类型")), ("source", _("水源")),
                                           ("longitude", _("经度")), ("latitude", _("纬度"))],
                    add_url=_url("intakepoint_add", query=f"permit={obj.pk}&water_user={obj.holder_id}&region={obj.region_id}&source={obj.source_id}")
                    if can_edit else None, anchor="intakes"),
            section(_("计量设施"), devices, [("serial", _("设备编号")), ("model", _("型号")), ("protocol", _("通信协议")),
                                            ("intake_point", _("取水口")), ("is_online", _("在线监测")), ("status", _("状态"))], anchor="devices"),
            section(_("年度取水计划"), plans, [("year", _("年度")), ("volume_m3", _("计划取水量")), ("note", _("说明"))],
                    volume_fields=("volume_m3",),
                    add_url=_url("annualwithdrawalplan_add", query=f"permit={obj.pk}") if can_edit else None, anchor="plans"),
        ]

    def extra_context(self, request, obj):
        ctx = super().extra_context(request, obj)
        today = timezone.localdate()
        ctx["is_active"] = obj.status in ACTIVE_PERMIT_STATUSES
        ctx["renewal_due_on"] = obj.renewal_due
        ctx["renewal_due_now"] = ctx["is_active"] and obj.renewal_due <= today
        ctx["lapsed"] = ctx["is_active"] and obj.valid_to < today
        ctx["status_url"] = _url("withdrawalpermit_status", obj.pk) if ctx["is_active"] and can(request.user, obj, CHANGE) else None
        ctx["rights"] = self.rights(request, obj)
        return ctx

    def rights(self, request, obj):
        """The water rights the ledger holds on this permit (opened by initial allocation, A3)."""
        out = []
        for right in obj.rights.restrict(request.user).order_by("pk"):
            try:
                url = right.get_absolute_url()
            except NoReverseMatch:
                url = ""
            out.append({"right": right, "url": url, "volume": volume(right.annual_volume_m3)})
        return out


class PermitCreate(EditView):
    queryset = m.WithdrawalPermit.objects.all()
    form_class = f.PermitCreateForm


class PermitEdit(EditView):
    queryset = m.WithdrawalPermit.objects.all()
    form_class = f.PermitEditForm


class PermitStatusView(LoginRequiredMixin, View):
    """Change, renew, cancel or revoke a permit, with a reason (services.TRANSITIONS)."""

    template_name = "registry/permit_status.html"

    def get_permit(self, request, pk):
        try:
            return get_scoped(m.WithdrawalPermit.objects.select_related("holder"), request.user, pk, CHANGE)
        except NotFound:
            raise Http404 from None

    def render_form(self, request, permit, form, status=200):
        return render(request, self.template_name, {"permit": permit, "form": form, "obj": permit,
                                                    "title": _("办理许可证状态变化") + f" {permit}"}, status=status)

    def get(self, request, pk):
        try:
            permit = self.get_permit(request, pk)
        except Forbidden as exc:
            return render_forbidden(request, exc)
        initial = {"action": request.GET.get("action")} if request.GET.get("action") in dict(f.PermitStatusForm.ACTIONS) else {}
        return self.render_form(request, permit, f.PermitStatusForm(user=request.user, permit=permit, initial=initial))

    def post(self, request, pk):
        try:
            permit = self.get_permit(request, pk)
        except Forbidden as exc:
            return render_forbidden(request, exc)
        form = f.PermitStatusForm(request.POST, user=request.user, permit=permit)
        if form.is_valid():
            action = form.cleaned_data["action"]
            reason = form.cleaned_data["reason"]
            try:
                if action == "change":
                    services.change_permit(permit.pk, actor=request.user, reason=reason, changes=form.changes())
                elif action == "renew":
                    services.renew_permit(permit.pk, actor=request.user, reason=reason, valid_to=form.cleaned_data.get("valid_to"),
                                          annual_volume_m3=form.cleaned_data.get("annual_volume_m3"))
                else:
                    services.TRANSITIONS[action](permit.pk, actor=request.user, reason=reason)
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
            else:
                messages.success(request, _("已办理"))
                return HttpResponseRedirect(permit.get_absolute_url())
        return self.render_form(request, permit, form, status=400)


class AnnualPlanList(ListView):
    queryset = m.AnnualWithdrawalPlan.objects.select_related("permit", "permit__holder", "permit__region")
    filterset_class = fs.AnnualWithdrawalPlanFilterSet
    columns = [("permit", _("取水许可证")), ("permit.holder", _("取水权人")), ("permit.region", _("行政区")), ("year", _("年度")),
               ("volume_m3", _("计划取水量")), ("note", _("说明"))]
    volume_fields = ("volume_m3",)
    add_url_name = "registry:annualwithdrawalplan_add"
    link_column = "permit"


class AnnualPlanDetail(DetailView):
    queryset = m.AnnualWithdrawalPlan.objects.select_related("permit", "permit__holder")
    fields = [("permit", _("取水许可证")), ("permit.holder", _("取水权人")), ("year", _("年度")), ("volume_m3", _("计划取水量")),
              ("permit.annual_volume_m3", _("年许可水量")), ("note", _("说明"))]
    volume_fields = ("volume_m3", "permit.annual_volume_m3")
    edit_url_name = "registry:annualwithdrawalplan_edit"
    delete_url_name = "registry:annualwithdrawalplan_delete"


# ---------------------------------------------------------------------------------------------
# Intakes and meters
# ---------------------------------------------------------------------------------------------


class IntakePointList(ListView):
    queryset = m.IntakePoint.objects.select_related("region", "water_user", "permit", "source")
    filterset_class = fs.IntakePointFilterSet
    columns = [("code", _("取水口编码")), ("name", _("名称")), ("kind", _("类型")), ("region", _("所在行政区")),
               ("water_user", _("取用水户")), ("permit", _("取水许可证")), ("longitude", _("经度")), ("latitude", _("纬度"))]
    add_url_name = "registry:intakepoint_add"


class IntakePointDetail(DetailView):
    queryset = m.IntakePoint.objects.select_related("region", "water_user", "permit", "source", "association")
    fields = [("code", _("取水口编码")), ("name", _("名称")), ("kind", _("类型")), ("region", _("所在行政区")), ("water_user", _("取用水户")),
              ("permit", _("取水许可证")), ("association", _("用水者协会")), ("source", _("水源")), ("longitude", _("经度")),
              ("latitude", _("纬度")), ("comments", _("备注"))]
    edit_url_name = "registry:intakepoint_edit"
    delete_url_name = "registry:intakepoint_delete"

    def sections(self, request, obj):
        devices = m.MeteringDevice.objects.restrict(request.user).filter(intake_point=obj)
        return [section(_("计量设施"), devices, [("serial", _("设备编号")), ("model", _("型号")), ("protocol", _("通信协议")),
                                                ("is_online", _("在线监测")), ("calibration_due", _("下次检定日期")), ("status", _("状态"))],
                        add_url=_url("meteringdevice_add", query=f"intake_point={obj.pk}") if can(request.user, obj, CHANGE) else None)]


class MeteringDeviceList(ListView):
    queryset = m.MeteringDevice.objects.select_related("intake_point", "region")
    filterset_class = fs.MeteringDeviceFilterSet
    columns = [("serial", _("设备编号")), ("model", _("型号")), ("protocol", _("通信协议")), ("station_address", _("遥测站地址")),
               ("intake_point", _("取水口")), ("region", _("所在行政区")), ("is_online", _("在线监测")), ("calibration_due", _("下次检定日期")),
               ("status", _("状态"))]
    add_url_name = "registry:meteringdevice_add"


class MeteringDeviceDetail(DetailView):
    queryset = m.MeteringDevice.objects.select_related("intake_point", "region")
    fields = [("serial", _("设备编号")), ("model", _("型号")), ("manufacturer", _("生产厂家")), ("protocol", _("通信协议")),
              ("station_address", _("遥测站地址")), ("intake_point", _("取水口")), ("region", _("所在行政区")), ("is_online", _("在线监测")),
              ("meets_standard", _("符合国家技术标准")), ("is_irrigation", _("灌溉计量设施")), ("installed_on", _("安装日期")),
              ("calibrated_on", _("检定日期")), ("calibration_due", _("下次检定日期")), ("register_max_m3", _("累计量程上限（立方米）")),
              ("status", _("状态")), ("comments", _("备注"))]
    edit_url_name = "registry:meteringdevice_edit"
    delete_url_name = "registry:meteringdevice_delete"


# ---------------------------------------------------------------------------------------------
# Irrigation districts, associations, groups, households
# ---------------------------------------------------------------------------------------------

FACT_LABELS = {
    "towns": _("乡镇"), "administrative_villages": _("行政村（个）"), "natural_villages": _("自然村（个）"),
    "main_pipes_km": _("干管（km）"), "branch_pipes_km": _("支管（km）"), "lateral_pipes_km": _("斗农管（km）"),
    "mobile_hoses_km": _("移动软管和微喷带（km）"), "valve_houses": _("闸阀房（座）"), "outlets": _("出水口（个）"), "since": _("建设年代"),
    "main_canal_km": _("干渠（km，引水流量）"), "gravity_branch_canals_km": _("自流支渠（km）"), "lift_branch_canals_km": _("提灌支渠（km）"),
    "drains_km": _("干支排水沟（km）"), "farm_canals_km": _("斗农渠（km）"), "structures": _("建筑物（座）"),
    "remote_metering_sites": _("无线远程量水设施（处）"), "gate_automation": _("闸门自动化控制（处）"), "monitoring_points": _("监控（处）"),
    "cooperatives": _("用水合作社（个）"), "cooperatives_since": _("合作社成立年份"), "lift_area_note": _("提灌面积说明"),
}


class IrrigationDistrictList(ListView):
    queryset = m.IrrigationDistrict.objects.select_related("region", "reservoir")
    filterset_class = fs.IrrigationDistrictFilterSet
    columns = [("name", _("灌区")), ("region", _("所在行政区")), ("kind", _("类型")), ("scale", _("规模")), ("water_source", _("水源")),
               ("design_area_mu", _("设计灌溉面积（亩）")), ("effective_area_mu", _("有效（现状）灌溉面积（亩）")), ("is_pilot", _("试点灌区"))]
    add_url_name = "registry:irrigationdistrict_add"


class IrrigationDistrictDetail(DetailView):
    queryset = m.IrrigationDistrict.objects.select_related("region", "reservoir")
    template_name = "registry/district_detail.html"
    fields = [("name", _("灌区")), ("region", _("所在行政区")), ("kind", _("类型")), ("scale", _("规模")), ("water_source", _("水源")),
              ("reservoir", _("水源水库")), ("design_area_mu", _("设计灌溉面积（亩）")), ("effective_area_mu", _("有效（现状）灌溉面积（亩）")),
              ("farmland_mu", _("耕地面积（亩）")), ("gravity_area_mu", _("自流灌溉面积（亩）")), ("lift_area_mu", _("提灌面积（亩）")),
              ("metering_sets", _("计量设备（套）")), ("metering_sets_to_upgrade", _("待完善计量设施（套）")), ("is_pilot", _("试点灌区")),
              ("facts_text", _("概况说明")), ("comments", _("备注"))]
    edit_url_name = "registry:irrigationdistrict_edit"
    delete_url_name = "registry:irrigationdistrict_delete"

    def sections(self, request, obj):
        user = request.user
        assocs = m.Association.objects.restrict(user).filter(district=obj)
        permits = m.WithdrawalPermit.objects.restrict(user).filter(irrigation_district=obj).select_related("holder", "region", "source")
        out = [
            section(_("农民用水者协会 / 用水合作社"), assocs, [("name", _("名称")), ("kind", _("类型")), ("town", _("乡镇")),
                                                       ("effective_area_mu", _("有效灌溉面积（亩）")), ("legal_representative", _("负责人"))],
                    add_url=_url("association_add", query=f"district={obj.pk}&region={obj.region_id or ''}") if can_add(user, m.Association) else None),
            section(_("取水许可证"), permits, PERMIT_COLUMNS, volume_fields=("annual_volume_m3",)),
        ]
        quotas = m.SnwdQuota.objects.filter(irrigation_district=obj)
        if quotas.exists():
            out.append(section(_("南水北调水量指标"), quotas, [("printed_name", _("原表名称")), ("kind", _("类别")), ("volume_m3", _("水量指标")),
                                                        ("source_section", _("出处"))], volume_fields=("volume_m3",)))
        return out

    def extra_context(self, request, obj):
        ctx = super().extra_context(request, obj)
        facts = []
        for key, value in (obj.facts or {}).items():
            if isinstance(value, list):
                value = "、".join(str(v) for v in value)
            facts.append((FACT_LABELS.get(key, key), value))
        ctx["facts"] = facts
        return ctx


class AssociationList(ListView):
    queryset = m.Association.objects.select_related("district", "region")
    filterset_class = fs.AssociationFilterSet
    columns = [("name", _("名称")), ("kind", _("类型")), ("district", _("灌区")), ("region", _("所在行政区")), ("town", _("乡镇")),
               ("effective_area_mu", _("有效灌溉面积（亩）")), ("legal_representative", _("负责人"))]
    add_url_name = "registry:association_add"


def _household_columns(user):
    if can_see_personal(user):
        return [("code", _("用水户编码")), ("name", _("户主姓名")), ("association", _("协会")), ("group", _("村民小组")),
                ("planted_area_mu", _("种植面积（亩）"))]
    return [("code", _("用水户编码")), ("masked_name", _("户主姓名（脱敏）")), ("association", _("协会")), ("group", _("村民小组")),
            ("planted_area_mu", _("种植面积（亩）"))]


class AssociationDetail(DetailView):
    queryset = m.Association.objects.select_related("district", "region")
    fields = [("name", _("名称")), ("kind", _("类型")), ("district", _("灌区")), ("region", _("所在行政区")), ("town", _("乡镇")),
              ("villages", _("行政村")), ("effective_area_mu", _("有效灌溉面积（亩）")), ("legal_representative", _("负责人")),
              ("registered_on", _("成立日期")), ("comments", _("备注"))]
    edit_url_name = "registry:association_edit"
    delete_url_name = "registry:association_delete"

    def sections(self, request, obj):
        user = request.user
        groups = m.VillagerGroup.objects.restrict(user).filter(association=obj)
        households = m.Household.objects.restrict(user).filter(association=obj).select_related("group", "association")
        intakes = m.IntakePoint.objects.restrict(user).filter(association=obj)
        from django.db.models import Sum

        total = households.aggregate(s=Sum("planted_area_mu"))["s"]
        return [
            section(_("村民小组"), groups, [("village", _("行政村")), ("name", _("村民小组"))],
                    add_url=_url("villagergroup_add", query=f"association={obj.pk}") if can_add(user, m.VillagerGroup) and can(user, obj) else None),
            section(_("灌溉用水户"), households, _household_columns(user), limit=100,
                    add_url=_url("household_add", query=f"association={obj.pk}") if can_add(user, m.Household) else None,
                    more_url=_url("household_list", query=f"association={obj.pk}"),
                    note=_("种植面积合计：%(total)s 亩") % {"total": total if total is not None else 0}),
            section(_("取水口"), intakes, [("code", _("取水口编码")), ("name", _("名称")), ("kind", _("类型"))]),
        ]


class VillagerGroupList(ListView):
    queryset = m.VillagerGroup.objects.select_related("association")
    filterset_class = fs.VillagerGroupFilterSet
    columns = [("name", _("村民小组")), ("village", _("行政村")), ("association", _("协会"))]
    add_url_name = "registry:villagergroup_add"


class VillagerGroupDetail(DetailView):
    queryset = m.VillagerGroup.objects.select_related("association")
    fields = [("association", _("协会")), ("village", _("行政村")), ("name", _("村民小组")), ("comments", _("备注"))]
    edit_url_name = "registry:villagergroup_edit"
    delete_url_name = "registry:villagergroup_delete"

    def sections(self, request, obj):
        households = m.Household.objects.restrict(request.user).filter(group=obj).select_related("group", "association")
        return [section(_("灌溉用水户"), households, _household_columns(request.user), limit=100)]


class HouseholdList(ListView):
    queryset = m.Household.objects.select_related("association", "group")
    filterset_class = fs.HouseholdFilterSet
    add_url_name = "registry:household_add"
    columns = _household_columns(None)

    def get(self, request):
        self.columns = _household_columns(request.user)
        return super().get(request)


class HouseholdDetail(DetailView):
    queryset = m.Household.objects.select_related("association", "group", "association__region")

    edit_url_name = "registry:household_edit"
    delete_url_name = "registry:household_delete"

    def get(self, request, pk):
        if can_see_personal(request.user):
            self.fields = [("code", _("用水户编码")), ("name", _("户主姓名")), ("id_number", _("身份证号")), ("phone", _("联系电话")),
                           ("association", _("协会")), ("group", _("村民小组")), ("planted_area_mu", _("种植面积（亩）")), ("comments", _("备注"))]
        else:
            self.fields = [("code", _("用水户编码")), ("masked_name", _("户主姓名（脱敏）")), ("masked_id_number", _("身份证号（脱敏）")),
                           ("masked_phone", _("联系电话（脱敏）")), ("association", _("协会")), ("group", _("村民小组")),
                           ("planted_area_mu", _("种植面积（亩）"))]
        return super().get(request, pk)

    def display(self, obj, path):
        if path == "masked_phone":
            return mask_phone(obj.phone)
        return super().display(obj, path)


# ---------------------------------------------------------------------------------------------
# Create / edit / delete for every model
# ---------------------------------------------------------------------------------------------


def _edit(model, form):
    return type(f"{model.__name__}Edit", (EditView,), {"queryset": model.objects.all(), "form_class": form})


def _delete(model):
    return type(f"{model.__name__}Delete", (DeleteView,), {
        "queryset": model.objects.all(), "success_url_name": f"registry:{model._meta.model_name}_list",
    })


EDIT_FORMS = {
    m.Region: f.RegionForm, m.Basin: f.BasinForm, m.River: f.RiverForm, m.Reservoir: f.ReservoirForm,
    m.WaterSource: f.WaterSourceForm, m.WaterUser: f.WaterUserForm, m.IntakePoint: f.IntakePointForm,
    m.MeteringDevice: f.MeteringDeviceForm, m.IrrigationDistrict: f.IrrigationDistrictForm, m.Association: f.AssociationForm,
    m.VillagerGroup: f.VillagerGroupForm, m.Household: f.HouseholdForm, m.AnnualWithdrawalPlan: f.AnnualWithdrawalPlanForm,
}


# ---------------------------------------------------------------------------------------------
# XLSX import
# ---------------------------------------------------------------------------------------------


class ImportView(LoginRequiredMixin, View):
    """Upload → preview (dry run: every row parsed and validated, nothing kept) → confirm → execute
    in one transaction (all rows or none)."""

    template_name = "registry/import.html"

    def spec(self, kind):
        try:
            return importing.spec_for(kind)
        except DomainError:
            raise Http404 from None

    def context(self, request, spec, **extra):
        ctx = {"spec": spec, "kind": spec.kind, "title": _(spec.title), "form": f.ImportForm(), "can_import": can_add(request.user, spec.model),
               "columns": spec.columns, "list_url": _url(f"{spec.model._meta.model_name}_list")}
        ctx.update(extra)
        return ctx

    def get(self, request, kind):
        spec = self.spec(kind)
        if not can_add(request.user, spec.model):
            return render_forbidden(request, Forbidden(code="role_required", message="您的角色不能导入此类记录",
                                                       message_en="Your role cannot import these records"))
        return render(request, self.template_name, self.context(request, spec))

    def _stored_name(self, request, token: str) -> str:
        try:
            token = str(uuid.UUID(token))
        except (ValueError, TypeError):
            raise Http404 from None
        return f"imports/{request.user.pk}/{token}.xlsx"

    def _forget_old_previews(self, request, max_age=dt.timedelta(days=1)):
        """Previews never confirmed are removed after a day (a new preview of the same user tidies up)."""
        folder = f"imports/{request.user.pk}"
        try:
            _dirs, files = default_storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError):
            return
        cutoff = timezone.now() - max_age
        for name in files:
            path = f"{folder}/{name}"
            try:
                if default_storage.get_modified_time(path) < cutoff:
                    default_storage.delete(path)
            except (FileNotFoundError, NotImplementedError):
                continue

    def post(self, request, kind):
        spec = self.spec(kind)
        action = request.POST.get("action", "preview")
        try:
            if action == "execute":
                name = self._stored_name(request, request.POST.get("token", ""))
                if not default_storage.exists(name):
                    raise DomainError("import_expired", "预览文件已失效，请重新上传", "The previewed file is gone; upload it again")
                with default_storage.open(name, "rb") as fh:
                    report = importing.run_import(kind, fh, actor=request.user, dry_run=False)
                if report.executed:
                    default_storage.delete(name)
                    messages.success(request, _("导入完成：%(n)s 条") % {"n": len(report.created)})
                return render(request, self.template_name, self.context(request, spec, report=report, token=None if report.executed else request.POST.get("token")),
                              status=200 if report.executed else 400)
            form = f.ImportForm(request.POST, request.FILES)
            if not form.is_valid():
                return render(request, self.template_name, self.context(request, spec, form=form), status=400)
            upload = form.cleaned_data["file"]
            report = importing.run_import(kind, upload, actor=request.user, dry_run=True)
            token = None
            if report.ok:
                self._forget_old_previews(request)
                token = str(uuid.uuid4())
                upload.seek(0)
                default_storage.save(self._stored_name(request, token), upload)
            return render(request, self.template_name, self.context(request, spec, report=report, token=token),
                          status=200 if report.ok else 400)
        except Forbidden as exc:
            return render_forbidden(request, exc)
        except DomainError as exc:
            return render(request, self.template_name, self.context(request, spec, error=exc.localized(request.LANGUAGE_CODE)), status=400)


@login_required
def import_template(request, kind):
    try:
        spec = importing.spec_for(kind)
    except DomainError:
        raise Http404 from None
    return xlsx_response(f"{spec.title}模板.xlsx", importing.template(kind))


# ---------------------------------------------------------------------------------------------
# City overview: the county map coloured by 2021 water use, and the seed's tables
# ---------------------------------------------------------------------------------------------


def _wan_int(m3: int) -> int:
    """Whole 万立方米 for the charts (Table 1-2 figures are multiples of 0.01亿 = 100万)."""
    return m3 // units.WAN


def yi(m3, places=4):
    """亿立方米 with the printed precision (Table 1-2: 2 places; Table 2-1: 4), unit in the header."""
    return volume(m3, "yi", places, bare=True)


def wan(m3):
    """Whole 万立方米 (Tables 1-1 and 2-2 print whole 万), unit in the header."""
    return volume(m3, "wan", 0, bare=True)


@login_required
def overview(request):
    counties = list(m.Region.objects.filter(kind__in=COUNTY_LEVEL).order_by("sort_order"))
    city = m.Region.objects.get(code="411300")
    years = list(range(2017, 2022))
    stats = {(s.region_id, s.year): s.volume_m3 for s in m.WaterUseStatistic.objects.filter(use="", kind=StatisticKind.ROW, year__in=years)}
    printed = {s.year: s.volume_m3 for s in m.WaterUseStatistic.objects.filter(use="", kind=StatisticKind.PRINTED_TOTAL, region=city)}
    rows_2021 = [(c, stats.get((c.pk, 2021))) for c in counties]
    sum_by_year = {y: sum(stats.get((c.pk, y), 0) for c in counties) for y in years}
    use_table = [{"region": c, "values": [yi(stats.get((c.pk, y)), 2) for y in years]} for c in counties]
    year_totals = [{"year": y, "sum": yi(sum_by_year[y], 2), "printed": yi(printed.get(y), 2),
                    "differs": printed.get(y) is not None and printed.get(y) != sum_by_year[y]} for y in years]

    targets = list(m.DualControlTarget.objects.filter(year=2025).select_related("region").order_by("region__sort_order"))
    city_target = next((t for t in targets if t.region_id == city.pk), None)
    county_targets = [t for t in targets if t.region_id != city.pk]
    minimums = {(n.region_id, n.year): n.volume_m3 for n in m.NonConventionalMinimum.objects.all()}
    min_years = list(range(2021, 2026))
    target_rows = [{"region": t.region, "total": yi(t.total_m3),
                    "minimums": [yi(minimums.get((t.region_id, y))) for y in min_years]} for t in county_targets]
    sectors = []
    if city_target:
        for label, value in ((_("生活"), city_target.domestic_m3), (_("工业"), city_target.industrial_m3),
                             (_("农业"), city_target.agricultural_m3), (_("生态环境"), city_target.ecological_m3)):
            sectors.append((label, yi(value)))
    sector_sum = sum(v for v in (city_target.domestic_m3, city_target.industrial_m3, city_target.agricultural_m3,
                                 city_target.ecological_m3) if v is not None) if city_target else None

    resources = list(m.RegionWaterResources.objects.select_related("region").order_by("region__sort_order"))
    res_rows = [r for r in resources if not r.is_printed_total]
    res_printed = next((r for r in resources if r.is_printed_total), None)
    quotas = list(m.SnwdQuota.objects.select_related("receiving_area", "irrigation_district").order_by("kind", "pk"))
    urban_quotas = [q for q in quotas if q.kind == "urban"]

    map_data = [{"name": c.name, "value": _wan_int(v) if v is not None else None} for c, v in rows_2021]
    chart = {
        "years": [str(y) for y in years],
        "series": [{"name": c.name, "data": [_wan_int(stats.get((c.pk, y), 0)) for y in years]} for c in counties],
    }
    context = {
        "title": _("全市概览"),
        "rows_2021": [(c, yi(v, 2)) for c, v in rows_2021],
        "sum_2021": yi(sum_by_year[2021], 2),
        "printed_2021": yi(printed.get(2021), 2),
        "years": years,
        "use_table": use_table,
        "year_totals": year_totals,
        "target_rows": target_rows,
        "min_years": min_years,
        "targets_sum": yi(sum(t.total_m3 for t in county_targets)),
        "city_target": yi(city_target.total_m3) if city_target else None,
        "city_minimums": [yi(minimums.get((city.pk, y))) for y in min_years],
        "sectors": sectors,
        "sector_sum": yi(sector_sum) if sector_sum is not None else None,
        "city_target_obj": city_target,
        "resources": [(r.region, r.mean_precip_mm, r.mean_runoff_depth_mm, wan(r.water_resources_m3)) for r in res_rows],
        "resources_sum": wan(sum(r.water_resources_m3 for r in res_rows)),
        "resources_printed": res_printed and (res_printed.mean_precip_mm, res_printed.mean_runoff_depth_mm, wan(res_printed.water_resources_m3)),
        "urban_quotas": [(q.receiving_area, q.printed_name, wan(q.volume_m3)) for q in urban_quotas],
        "urban_quota_sum": wan(sum(q.volume_m3 for q in urban_quotas)),
        "other_quotas": [(q.irrigation_district or q.receiving_area, q.printed_name, q.get_kind_display(), volume(q.volume_m3, "yi"), q.source_section)
                         for q in quotas if q.kind != "urban"],
        "map_data": map_data,
        "chart_data": chart,
    }
    return render(request, "registry/overview.html", context)
