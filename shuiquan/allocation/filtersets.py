"""Filters shared by the list pages and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuiquan.registry.models import Region

from .choices import CertificateKind, CertificateStatus, Crop, Engine, QuotaStandard, RunStatus
from .models import AllocationRun, Certificate, CropQuota, GroundwaterIndicator, RiverPlan, WaterQuota


def _search(fields):
    def method(queryset, name, value):
        q = Q()
        for f in fields:
            q |= Q(**{f"{f}__icontains": value.strip()})
        return queryset.filter(q) if value.strip() else queryset

    return method


class RunFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/名称"), method=lambda qs, n, v: _search(["number", "title"])(qs, n, v))
    engine = django_filters.ChoiceFilter(label=_("分配类型"), choices=Engine.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RunStatus.choices)
    region = django_filters.ModelChoiceFilter(label=_("行政区"), queryset=Region.objects.filter(kind__in=["city", "district", "county", "county_city"]))

    class Meta:
        model = AllocationRun
        fields = ["q", "engine", "status", "region"]


class CertificateFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/权利人"), method=lambda qs, n, v: _search(["number", "machine_number", "holder_public"])(qs, n, v))
    kind = django_filters.ChoiceFilter(label=_("凭证类型"), choices=CertificateKind.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CertificateStatus.choices)
    region = django_filters.ModelChoiceFilter(label=_("行政区"), queryset=Region.objects.filter(kind__in=["city", "district", "county", "county_city"]))

    class Meta:
        model = Certificate
        fields = ["q", "kind", "status", "region"]


class WaterQuotaFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("产品/用水类别"), method=lambda qs, n, v: _search(["product", "sector__name", "sector__code"])(qs, n, v))
    standard = django_filters.ChoiceFilter(label=_("标准"), choices=QuotaStandard.choices)

    class Meta:
        model = WaterQuota
        fields = ["q", "standard", "is_active"]


class CropQuotaFilterSet(django_filters.FilterSet):
    crop = django_filters.ChoiceFilter(label=_("作物"), choices=Crop.choices)

    class Meta:
        model = CropQuota
        fields = ["crop", "frequency"]


class GroundwaterIndicatorFilterSet(django_filters.FilterSet):
    class Meta:
        model = GroundwaterIndicator
        fields = ["year"]


class RiverPlanFilterSet(django_filters.FilterSet):
    class Meta:
        model = RiverPlan
        fields = ["river", "status"]
