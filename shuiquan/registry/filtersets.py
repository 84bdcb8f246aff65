"""One FilterSet per registry model, shared by the list pages and the API (``?q=`` searches the
model's names and codes; ``region``, ``kind``, ``status``, ``is_demo`` and the like filter)."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuiquan.core.scoping import VIEW

from . import models as m
from .choices import (
    COUNTY_LEVEL,
    AssociationKind,
    DeviceStatus,
    DistrictKind,
    IntakeKind,
    MeterProtocol,
    PermitStatus,
    QuotaKind,
    RegionKind,
    SourceKind,
    SourceType,
    StatisticKind,
    WaterUse,
    WaterUserKind,
    WithdrawalMethod,
)


def _counties(request):
    return m.Region.objects.filter(kind__in=COUNTY_LEVEL).order_by("sort_order")


def _scoped(model):
    def queryset(request):
        qs = model.objects.all()
        user = getattr(request, "user", None)
        return qs.restrict(user, VIEW) if user is not None else qs.none()

    return queryset


def _by_id(model, label):
    """A filter on a large table (permits, their holders, intakes): the value is the record's id,
    entered or linked (``?holder=12``), not chosen from a drop-down listing every record — with
    10,000 permits that list made the permit page 850 KiB and 5 s (bench/bench_pages.py). The id is
    still checked against what the user may see; ``q`` searches by name or number."""
    return df.ModelChoiceFilter(queryset=_scoped(model), label=label, widget=forms.NumberInput(attrs={"placeholder": "ID", "min": 1}))


class SearchFilterSet(df.FilterSet):
    """Adds ``q``: a case-insensitive search over ``search_fields``."""

    search_fields: tuple[str, ...] = ("name",)
    q = df.CharFilter(method="search", label=_("搜索"))

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        cond = Q()
        for f in self.search_fields:
            cond |= Q(**{f"{f}__icontains": value})
        return queryset.filter(cond)


def _demo_filter():
    return df.BooleanFilter(field_name="is_demo", label=_("演示数据"))


class RegionFilterSet(SearchFilterSet):
    search_fields = ("name", "code", "name_en")
    kind = df.ChoiceFilter(choices=RegionKind.choices, label=_("类型"))

    class Meta:
        model = m.Region
        fields = ["q", "kind"]


class BasinFilterSet(SearchFilterSet):
    class Meta:
        model = m.Basin
        fields = ["q"]


class RiverFilterSet(SearchFilterSet):
    basin = df.ModelChoiceFilter(queryset=m.Basin.objects.all(), label=_("流域"))

    class Meta:
        model = m.River
        fields = ["q", "basin"]


class ReservoirFilterSet(SearchFilterSet):
    region = df.ModelChoiceFilter(queryset=_counties, label=_("行政区"))

    class Meta:
        model = m.Reservoir
        fields = ["q", "region"]


class WaterResourceZoneFilterSet(SearchFilterSet):
    class Meta:
        model = m.WaterResourceZone
        fields = ["q"]


class WaterSourceFilterSet(SearchFilterSet):
    kind = df.ChoiceFilter(choices=SourceKind.choices, label=_("类型"))
    region = df.ModelChoiceFilter(queryset=_counties, label=_("行政区"))
    is_overdraft_area = df.BooleanFilter(label=_("地下水超采区"))

    class Meta:
        model = m.WaterSource
        fields = ["q", "kind", "region", "is_overdraft_area"]


class AuthorityFilterSet(SearchFilterSet):
    class Meta:
        model = m.Authority
        fields = ["q", "level"]


class SectorFilterSet(SearchFilterSet):
    search_fields = ("code", "name")

    class Meta:
        model = m.Sector
        fields = ["q", "default_use"]


class WaterUserFilterSet(SearchFilterSet):
    search_fields = ("name", "credit_code", "contact_name", "address")
    region = df.ModelChoiceFilter(queryset=_counties, label=_("行政区"))
    kind = df.ChoiceFilter(choices=WaterUserKind.choices, label=_("类型"))
    is_public_supply = df.BooleanFilter(label=_("公共供水"))
    is_demo = _demo_filter()

    class Meta:
        model = m.WaterUser
        fields = ["q", "region", "kind", "sector", "is_public_supply", "is_demo"]


class WithdrawalPermitFilterSet(SearchFilterSet):
    search_fields = ("number", "holder__name", "holder__credit_code")
    region = df.ModelChoiceFilter(queryset=_counties, label=_("行政区"))
    status = df.ChoiceFilter(choices=PermitStatus.choices, label=_("状态"))
    source_type = df.ChoiceFilter(choices=SourceType.choices, label=_("水源类型"))
    use = df.ChoiceFilter(choices=WaterUse.choices, label=_("取水用途"))
    withdrawal_method = df.ChoiceFilter(choices=WithdrawalMethod.choices, label=_("取水方式"))
    holder = _by_id(m.WaterUser, _("取水权人"))
    valid_to_before = df.DateFilter(field_name="valid_to", lookup_expr="lte", label=_("有效期止不晚于"))
    valid_to_after = df.DateFilter(field_name="valid_to", lookup_expr="gte", label=_("有效期止不早于"))
    min_volume = df.NumberFilter(field_name="annual_volume_m3", lookup_expr="gte", label=_("年许可水量不少于（立方米）"))
    irrigation_district = df.ModelChoiceFilter(queryset=_scoped(m.IrrigationDistrict), label=_("灌区"))
    is_demo = _demo_filter()

    class Meta:
        model = m.WithdrawalPermit
        fields = ["q", "region", "status", "source_type", "use", "withdrawal_method", "holder", "irrigation_district", "is_demo"]


class AnnualWithdrawalPlanFilterSet(SearchFilterSet):
    search_fields = ("permit__number", "permit__holder__name")
    region = df.ModelChoiceFilter(field_name="permit__region", queryset=_counties, label=_("行政区"))
    permit = _by_id(m.WithdrawalPermit, _("取水许可证"))
    year = df.NumberFilter(label=_("年度"))
    is_demo = _demo_filter()

    class Meta:
        model = m.AnnualWithdrawalPlan
        fields = ["q", "region", "permit", "year", "is_demo"]


class IntakePointFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "water_user__name", "permit__number")
    region = df.ModelChoiceFilter(queryset=_counties, label=_("行政区"))
    kind = df.ChoiceFilter(choices=IntakeKind.choices, label=_("类型"))
    permit = _by_id(m.WithdrawalPermit, _("取水许可证"))
    is_demo = _demo_filter()

    class Meta:
        model = m.IntakePoint
        fields = ["q", "region", "kind", "permit", "is_demo"]


class MeteringDeviceFilterSet(SearchFilterSet):
    search_fields = ("serial", "model", "manufacturer", "station_address", "intake_point__code", "intake_point__name")
    region = df.ModelChoiceFilter(queryset=_counties, label=_("行政区"))
    protocol = df.ChoiceFilter(choices=MeterProtocol.choices, label=_("通信协议"))
    status = df.ChoiceFilter(choices=DeviceStatus.choices, label=_("状态"))
    is_online = df.BooleanFilter(label=_("在线监测"))
    intake_point = _by_id(m.IntakePoint, _("取水口"))
    is_demo = _demo_filter()

    class Meta:
        model = m.MeteringDevice
        fields = ["q", "region", "protocol", "status", "is_online", "intake_point", "is_demo"]


class IrrigationDistrictFilterSet(SearchFilterSet):
    region = df.ModelChoiceFilter(queryset=_counties, label=_("行政区"))
    kind = df.ChoiceFilter(choices=DistrictKind.choices, label=_("类型"))
    is_pilot = df.BooleanFilter(label=_("试点灌区"))

    class Meta:
        model = m.IrrigationDistrict
        fields = ["q", "region", "kind", "is_pilot"]


class AssociationFilterSet(SearchFilterSet):
    search_fields = ("name", "town", "villages", "legal_representative")
    region = df.ModelChoiceFilter(queryset=_counties, label=_("行政区"))
    district = df.ModelChoiceFilter(queryset=_scoped(m.IrrigationDistrict), label=_("灌区"))
    kind = df.ChoiceFilter(choices=AssociationKind.choices, label=_("类型"))
    is_demo = _demo_filter()

    class Meta:
        model = m.Association
        fields = ["q", "region", "district", "kind", "is_demo"]


class VillagerGroupFilterSet(SearchFilterSet):
    search_fields = ("name", "village", "association__name")
    association = df.ModelChoiceFilter(queryset=_scoped(m.Association), label=_("协会"))
    is_demo = _demo_filter()

    class Meta:
        model = m.VillagerGroup
        fields = ["q", "association", "is_demo"]


class HouseholdFilterSet(SearchFilterSet):
    """Search by household code; by name only for the roles that may see names (see views)."""

    search_fields = ("code",)
    association = df.ModelChoiceFilter(queryset=_scoped(m.Association), label=_("协会"))
    group = df.ModelChoiceFilter(queryset=_scoped(m.VillagerGroup), label=_("村民小组"))
    is_demo = _demo_filter()

    class Meta:
        model = m.Household
        fields = ["q", "association", "group", "is_demo"]

    def search(self, queryset, name, value):
        from .personal import can_see_personal

        value = (value or "").strip()
        if not value:
            return queryset
        cond = Q(code__icontains=value)
        if can_see_personal(getattr(self.request, "user", None)):
            cond |= Q(name__icontains=value)
        return queryset.filter(cond)


# --- the seed's tables (read-only) ---------------------------------------------------------------


class RegionYearFilterSet(df.FilterSet):
    region = df.ModelChoiceFilter(queryset=m.Region.objects.all(), label=_("行政区"))
    year = df.NumberFilter(label=_("年份"))


class DualControlTargetFilterSet(RegionYearFilterSet):
    class Meta:
        model = m.DualControlTarget
        fields = ["region", "year"]


class NonConventionalMinimumFilterSet(RegionYearFilterSet):
    class Meta:
        model = m.NonConventionalMinimum
        fields = ["region", "year"]


class WaterUseStatisticFilterSet(RegionYearFilterSet):
    kind = df.ChoiceFilter(choices=StatisticKind.choices, label=_("类型"))

    class Meta:
        model = m.WaterUseStatistic
        fields = ["region", "year", "kind", "use"]


class SnwdQuotaFilterSet(df.FilterSet):
    kind = df.ChoiceFilter(choices=QuotaKind.choices, label=_("类别"))

    class Meta:
        model = m.SnwdQuota
        fields = ["kind", "receiving_area", "irrigation_district"]


class RegionWaterResourcesFilterSet(df.FilterSet):
    class Meta:
        model = m.RegionWaterResources
        fields = ["region", "is_printed_total"]


class IndicatorFilterSet(df.FilterSet):
    class Meta:
        model = m.Indicator
        fields = ["key", "year", "source_section"]
