from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from shuiquan.core.api.viewsets import ScopedReadOnlyViewSet

from .. import kpis, services
from ..models import BudgetItem, PilotTask, Spending
from .serializers import BudgetItemSerializer, KPISerializer, PilotTaskSerializer, SpendingSerializer, TaskUpdateSerializer


class PilotTaskViewSet(ScopedReadOnlyViewSet):
    """Table 9-1 and the task list, with status and progress (updated by the city bureau)."""

    queryset = PilotTask.objects.all()
    serializer_class = PilotTaskSerializer
    filterset_fields = ["source", "status", "year_end"]

    @extend_schema(request=TaskUpdateSerializer, responses=PilotTaskSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        task = self.get_object()
        data = TaskUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = services.update_task(task, actor=request.user, **data.validated_data)
        return Response(PilotTaskSerializer(task).data)


class BudgetItemViewSet(ScopedReadOnlyViewSet):
    """The 651万元 budget by item, with what has been spent."""

    queryset = BudgetItem.objects.all()
    serializer_class = BudgetItemSerializer

    def get_queryset(self):
        if self.action != "list":
            # A queryset, not a list: ``get_object`` looks the item up in it (scoped).
            return super().get_queryset()
        items = list(super().get_queryset())
        for item in items:
            item.spent = services.spent(item)
            item.remaining = item.amount - item.spent
        return items

    def get_object(self):
        obj = super().get_object()
        obj.spent = services.spent(obj)
        obj.remaining = obj.amount - obj.spent
        return obj


class SpendingViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    queryset = Spending.objects.select_related("item")
    serializer_class = SpendingSerializer
    filterset_fields = ["item"]

    def create(self, request, *args, **kwargs):
        data = SpendingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        row = services.record_spending(v["item"], actor=request.user, date=v["date"], amount=v["amount"],
                                       description=v["description"], voucher=v.get("voucher", ""))
        return Response(SpendingSerializer(row).data, status=201)


class KPIView(APIView):
    """The pilot's KPIs, computed live (permit and irrigation trades, new SNWD volume, meters)."""

    @extend_schema(responses=KPISerializer(many=True))
    def get(self, request):
        return Response(KPISerializer(kpis.compute(), many=True).data)
