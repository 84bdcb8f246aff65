"""Filters of the ledger's list pages and API."""

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuiquan.registry.choices import SourceType, WaterUse
from shuiquan.registry.models import Region

from .choices import EntryKind, LockKind, LockStatus, RightKind, RightStatus
from .models import JournalEntry, VolumeLock, WaterRight


class RightFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/名称/权利人"), method="search")
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=RightKind.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RightStatus.choices)
    region = django_filters.ModelChoiceFilter(label=_("所属行政区"), queryset=Region.objects.filter(kind__in=["city", "district", "county", "county_city", "functional_zone", "receiving_area"]))
    source_type = django_filters.ChoiceFilter(label=_("水源类型"), choices=SourceType.choices)
    use = django_filters.ChoiceFilter(label=_("用途"), choices=WaterUse.choices)
    year = django_filters.NumberFilter(label=_("有效年度"), method="valid_in")

    class Meta:
        model = WaterRight
        fields = ["q", "kind", "status", "region", "source_type", "use", "year"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(name__icontains=value) | Q(holder_name__icontains=value)
                               | Q(certificate_number__icontains=value))

    def valid_in(self, queryset, name, value):
        year = int(value)
        if not 1900 <= year <= 2200:
            return queryset.none()
        return queryset.filter(valid_from__lte=dt.date(year, 12, 31), valid_to__gte=dt.date(year, 1, 1))


class EntryFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("摘要"), field_name="memo", lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=EntryKind.choices)
    right = django_filters.NumberFilter(label=_("用水权ID"), field_name="postings__right", distinct=True)

    class Meta:
        model = JournalEntry
        fields = ["q", "kind", "right"]


class LockFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=LockKind.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=LockStatus.choices)

    class Meta:
        model = VolumeLock
        fields = ["kind", "status", "right", "year"]
