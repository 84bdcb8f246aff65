import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shuiquan.registry.choices import COUNTY_LEVEL
from shuiquan.registry.models import Region

from .choices import ComplaintChannel, ComplaintKind, ComplaintStatus, ComplaintTopic
from .models import Complaint


class ComplaintFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("编号/标题"), method="search")
    kind = django_filters.ChoiceFilter(label=_("类别"), choices=ComplaintKind.choices)
    topic = django_filters.ChoiceFilter(label=_("事项"), choices=ComplaintTopic.choices)
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=ComplaintChannel.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ComplaintStatus.choices)
    region = django_filters.ModelChoiceFilter(label=_("涉及行政区"), queryset=Region.objects.filter(kind__in=["city", *COUNTY_LEVEL]))

    class Meta:
        model = Complaint
        fields = ["q", "kind", "topic", "channel", "status", "region"]

    def search(self, qs, name, value):
        return qs.filter(Q(number__icontains=value) | Q(subject__icontains=value) | Q(trade_number__icontains=value))
