"""Filters shared by the metering pages and the API."""

import django_filters as df
from django.utils.translation import gettext_lazy as _

from shuiquan.registry.models import Region

from .choices import AlarmKind, AlarmLevel, BatchStatus, Quality, Source
from .models import Alarm, IngestionBatch, Reading


class ReadingFilterSet(df.FilterSet):
    device = df.CharFilter(field_name="device__serial", label=_("设备编号"))
    device_id = df.NumberFilter(field_name="device_id", label=_("设备ID"))
    observed_after = df.IsoDateTimeFilter(field_name="observed_at", lookup_expr="gte", label=_("观测时间起"))
    observed_before = df.IsoDateTimeFilter(field_name="observed_at", lookup_expr="lt", label=_("观测时间止"))
    quality = df.ChoiceFilter(choices=Quality.choices, label=_("质量"))
    batch = df.NumberFilter(field_name="batch_id", label=_("批次"))

    class Meta:
        model = Reading
        fields = ["device", "device_id", "observed_after", "observed_before", "quality", "batch"]


class AlarmFilterSet(df.FilterSet):
    kind = df.ChoiceFilter(choices=AlarmKind.choices, label=_("类型"))
    level = df.ChoiceFilter(choices=AlarmLevel.choices, label=_("级别"))
    state = df.ChoiceFilter(
        choices=[("open", _("未关闭")), ("closed", _("已关闭")), ("unacknowledged", _("未确认"))],
        method="filter_state", label=_("状态"),
    )
    region = df.ModelChoiceFilter(queryset=Region.objects.filter(kind__in=["district", "county", "county_city"]), label=_("行政区"))
    year = df.NumberFilter(label=_("年度"))
    id = df.NumberFilter(label="ID")

    class Meta:
        model = Alarm
        fields = ["kind", "level", "state", "region", "year", "id"]

    def filter_state(self, qs, name, value):
        if value == "open":
            return qs.filter(closed_at__isnull=True)
        if value == "closed":
            return qs.filter(closed_at__isnull=False)
        if value == "unacknowledged":
            return qs.filter(closed_at__isnull=True, acknowledged_at__isnull=True)
        return qs


class BatchFilterSet(df.FilterSet):
    source = df.ChoiceFilter(choices=Source.choices, label=_("来源"))
    status = df.ChoiceFilter(choices=BatchStatus.choices, label=_("状态"))
    with_issues = df.BooleanFilter(method="filter_issues", label=_("有问题行"))

    class Meta:
        model = IngestionBatch
        fields = ["source", "status", "with_issues"]

    def filter_issues(self, qs, name, value):
        from django.db.models import F

        if value is None:
            return qs
        has = qs.filter(accepted__lt=F("offered"))
        return has if value else qs.exclude(pk__in=has.values("pk"))
