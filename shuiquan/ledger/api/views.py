"""The ledger API (/api/v1/ledger/): read-only. Volumes change only through the capabilities'
services (allocation, trading, finance), which post through ``ledger.services``."""

from shuiquan.core.api.viewsets import ScopedReadOnlyViewSet

from ..filtersets import EntryFilterSet, LockFilterSet, RightFilterSet
from ..models import JournalEntry, VolumeLock, WaterRight
from . import serializers as s


class RightViewSet(ScopedReadOnlyViewSet):
    """Water rights with their balances by year (balance, locked, available) and children."""

    queryset = WaterRight.objects.select_related("region").prefetch_related("balances")
    serializer_class = s.RightSerializer
    filterset_class = RightFilterSet

    def get_serializer_class(self):
        return s.RightDetailSerializer if self.action == "retrieve" else s.RightSerializer


class EntryViewSet(ScopedReadOnlyViewSet):
    """Journal entries with their postings (each entry sums to zero per year)."""

    queryset = JournalEntry.objects.prefetch_related("postings__right").distinct()
    serializer_class = s.EntrySerializer
    filterset_class = EntryFilterSet

    def get_serializer_class(self):
        return s.EntryDetailSerializer if self.action == "retrieve" else s.EntrySerializer


class LockViewSet(ScopedReadOnlyViewSet):
    """Volume locks (pledges, pending listings) that reserve volume without moving it."""

    queryset = VolumeLock.objects.all()
    serializer_class = s.LockSerializer
    filterset_class = LockFilterSet
