import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import TradeMode, TradeStatus, TradeType
from .models import Trade


class TradeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search")
    trade_type = django_filters.ChoiceFilter(label=_("交易类型"), choices=TradeType.choices)
    mode = django_filters.ChoiceFilter(label=_("交易方式"), choices=TradeMode.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=TradeStatus.choices)
    start_year = django_filters.NumberFilter(label=_("起始年度"))

    class Meta:
        model = Trade
        fields = ["q", "trade_type", "mode", "status", "start_year"]

    def search(self, qs, name, value):
        return qs.filter(Q(number__icontains=value) | Q(seller_name__icontains=value) | Q(buyer_name__icontains=value))
