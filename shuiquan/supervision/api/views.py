"""Supervision API (/api/v1/supervision/): the dual-control assessment (read), assessment
inputs (the city bureau writes them through the services), complaints and disputes with their
workflow actions. Errors are the core error JSON."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from shuiquan.core.api.viewsets import ScopedReadOnlyViewSet
from shuiquan.core.errors import NotFound

from .. import assessment, services
from ..filtersets import ComplaintFilterSet
from ..forms import assessed_regions
from ..models import AssessmentFigures, Complaint
from . import serializers as s

YEAR = OpenApiParameter("year", int, description="Assessment year (default: the latest year with reported use)")


def _year(request, book) -> int:
    q = s.AssessmentYearQuerySerializer(data=request.query_params)
    q.is_valid(raise_exception=True)
    if q.validated_data.get("year"):
        return q.validated_data["year"]
    from ..views import default_year

    return default_year(book)


class AssessmentListView(APIView):
    """The 13 counties and the city for a year: measured use, S2 trade adjustment, cap, indicators, status."""

    @extend_schema(parameters=[YEAR], responses=s.AssessmentSerializer(many=True))
    def get(self, request):
        book = assessment.Book()
        return Response([ry.as_dict() for ry in assessment.assess_year(_year(request, book), book)])


class AssessmentDetailView(APIView):
    """One region's assessment for a year, with the trade entries behind the S2 adjustment."""

    @extend_schema(parameters=[YEAR], responses=s.AssessmentSerializer)
    def get(self, request, region_id: int):
        region = assessed_regions().filter(pk=region_id).first()
        if region is None:
            raise NotFound()
        book = assessment.Book()
        return Response(book.assess(region, _year(request, book)).as_dict())


class FiguresViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Economic figures, irrigation coefficient, non-conventional use and groundwater withdrawal per
    region and year. POST creates or corrects the row for (region, year) — city bureau only."""

    queryset = AssessmentFigures.objects.select_related("region")
    serializer_class = s.FiguresSerializer
    filterset_fields = ["region", "year"]

    @extend_schema(request=s.FiguresWriteSerializer, responses={201: s.FiguresSerializer})
    def create(self, request, *args, **kwargs):
        data = s.FiguresWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        row = services.record_figures(actor=request.user, region=v.pop("region"), year=v.pop("year"), **v)
        return Response(s.FiguresSerializer(row).data, status=status.HTTP_201_CREATED)


class ReportedUseView(APIView):
    """Enter reported water use for a region and year (total and/or by sector) — city bureau only."""

    @extend_schema(request=s.ReportedUseSerializer, responses={201: s.ReportedStatisticSerializer(many=True)})
    def post(self, request):
        data = s.ReportedUseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        rows = services.record_reported_use(actor=request.user, region=v.pop("region"), year=v.pop("year"), **v)
        return Response(s.ReportedStatisticSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


class ComplaintViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Complaints and disputes: list/detail (scoped), create (signed-in users; the city bureau also
    registers letters, calls and visits), and the leading office's actions."""

    queryset = Complaint.objects.select_related("region", "handler")
    serializer_class = s.ComplaintSerializer
    filterset_class = ComplaintFilterSet

    @extend_schema(request=s.ComplaintCreateSerializer, responses={201: s.ComplaintSerializer})
    def create(self, request, *args, **kwargs):
        data = s.ComplaintCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.submit_complaint(actor=request.user, **data.validated_data)
        return Response(s.ComplaintSerializer(row, context={"request": request}).data, status=status.HTTP_201_CREATED)

    def _act(self, request, name):
        row = self.get_object()
        body = s.ComplaintActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.act_on_complaint(row, name, actor=request.user, **body.validated_data)
        return Response(s.ComplaintSerializer(row, context={"request": request}).data)

    @extend_schema(request=s.ComplaintActionSerializer, responses=s.ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._act(request, "accept")

    @extend_schema(request=s.ComplaintActionSerializer, responses=s.ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def investigate(self, request, pk=None):
        return self._act(request, "investigate")

    @extend_schema(request=s.ComplaintActionSerializer, responses=s.ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._act(request, "resolve")

    @extend_schema(request=s.ComplaintActionSerializer, responses=s.ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        return self._act(request, "dismiss")



# --- S6 enforcement, S3 inspections, evaluations, monitoring, national interface ------------------

from rest_framework.parsers import JSONParser, MultiPartParser  # noqa: E402

from shuiquan.core.errors import Forbidden  # noqa: E402
from shuiquan.core.roles import Role  # noqa: E402
from shuiquan.trading.services import trade_for_actor, visible_trades  # noqa: E402

from .. import monitoring, national  # noqa: E402
from ..models import Enforcement, NationalExport, SiteInspection, TradeEvaluation  # noqa: E402


class EnforcementViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """S6 decisions: halts and cuts with their assessment finding (they drive trading's restrictions)."""

    queryset = Enforcement.objects.select_related("restriction__region", "restriction__water_user", "restriction__association")
    serializer_class = s.EnforcementSerializer

    @extend_schema(request=s.EnforcementCreateSerializer, responses={201: s.EnforcementSerializer})
    def create(self, request, *args, **kwargs):
        data = s.EnforcementCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        party = {k: v.pop(k) for k in ("region", "water_user", "association") if v.get(k) is not None}
        for k in ("region", "water_user", "association"):
            v.pop(k, None)
        row = services.impose_enforcement(actor=request.user, **v, **party)
        return Response(s.EnforcementSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.EnforcementLiftSerializer, responses=s.EnforcementSerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        row = self.get_object()
        body = s.EnforcementLiftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.lift_enforcement(row, actor=request.user, **body.validated_data)
        return Response(s.EnforcementSerializer(Enforcement.objects.get(pk=row.pk)).data)


class InspectionViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """S3 on-site verification records, with attachments (POST .../attachments/, multipart ``file``)."""

    queryset = SiteInspection.objects.select_related("trade")
    serializer_class = s.InspectionSerializer
    filterset_fields = ["trade", "conclusion"]

    @extend_schema(request=s.InspectionCreateSerializer, responses={201: s.InspectionSerializer})
    def create(self, request, *args, **kwargs):
        data = s.InspectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        trade = trade_for_actor(request.user, v.pop("trade"))
        row = services.record_inspection(actor=request.user, trade=trade, **v)
        return Response(s.InspectionSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": s.InspectionAttachmentSerializer}, responses={201: s.InspectionSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        row = self.get_object()
        data = s.InspectionAttachmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.attach(actor=request.user, obj=row, upload=data.validated_data["file"])
        return Response(s.InspectionSerializer(row).data, status=status.HTTP_201_CREATED)


class EvaluationViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Post-trade evaluations (交易后评估) of registered or expired trades."""

    queryset = TradeEvaluation.objects.select_related("trade")
    serializer_class = s.EvaluationSerializer
    filterset_fields = ["trade", "status", "rating"]

    @extend_schema(request=s.EvaluationCreateSerializer, responses={201: s.EvaluationSerializer})
    def create(self, request, *args, **kwargs):
        data = s.EvaluationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        trade = trade_for_actor(request.user, v.pop("trade"))
        row = services.record_evaluation(actor=request.user, trade=trade, **v)
        return Response(s.EvaluationSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.EvaluationSerializer)
    @action(detail=True, methods=["post"])
    def finalize(self, request, pk=None):
        row = services.finalize_evaluation(self.get_object(), actor=request.user)
        return Response(s.EvaluationSerializer(row).data)


class MonitoringView(APIView):
    """Dynamic monitoring of trades in performance for a year (metered use against post-trade rights)."""

    @extend_schema(parameters=[OpenApiParameter("year", int)], responses=s.MonitoringSerializer(many=True))
    def get(self, request):
        q = s.AssessmentYearQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        from django.utils import timezone

        year = q.validated_data.get("year") or timezone.localdate().year
        qs = monitoring.in_performance(year).filter(pk__in=visible_trades(request.user).values("pk"))
        return Response([m.as_dict() for m in monitoring.monitor(year, qs)])


def _national_reader(user):
    if not (user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AUDITOR)):
        raise Forbidden(code="role_required", message="国家系统数据报送由市水利局办理", message_en="Only the city bureau handles national exports")


class NationalExportViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Export batches for the national water-rights trading system (format ``SCHEMA_VERSION``).
    POST creates a batch (only new, changed or rejected records unless ``all``); ``download/`` returns
    the JSON document itself."""

    queryset = NationalExport.objects.defer("payload")
    serializer_class = s.NationalExportSerializer

    def get_serializer_class(self):
        return s.NationalExportDetailSerializer if self.action == "retrieve" else s.NationalExportSerializer

    @extend_schema(request=s.NationalExportCreateSerializer, responses={201: s.NationalExportSerializer})
    def create(self, request, *args, **kwargs):
        data = s.NationalExportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = national.export(actor=request.user, only_changes=not data.validated_data["all"])
        return Response(s.NationalExportSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/json"): dict})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        row = NationalExport.objects.get(pk=self.get_object().pk)
        return Response(row.payload)


class NationalAckView(APIView):
    """Import the national system's acknowledgement (format ``national-ack``); idempotent by ``ack_id``."""

    parser_classes = [JSONParser]

    @extend_schema(request=dict, responses={200: s.AckResultSerializer, 201: s.AckResultSerializer})
    def post(self, request):
        ack, created = national.import_acknowledgement(request.data, actor=request.user)
        body = {"ack_id": ack.ack_id, "batch_id": ack.export.batch_id, "accepted": ack.accepted, "rejected": ack.rejected, "created": created}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class NationalSchemaView(APIView):
    """The JSON Schemas (draft 2020-12) of the export and the acknowledgement, current version."""

    @extend_schema(parameters=[OpenApiParameter("kind", str, enum=["export", "ack"])], responses={(200, "application/json"): dict})
    def get(self, request):
        kind = request.query_params.get("kind", "export")
        if kind not in ("export", "ack"):
            raise NotFound()
        return Response(national.schema(kind))

