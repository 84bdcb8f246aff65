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
    q = s.YearQuerySerializer(data=request.query_params)
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

    @extend_schema(request=s.ReportedUseSerializer, responses={201: s.StatisticSerializer(many=True)})
    def post(self, request):
        data = s.ReportedUseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        rows = services.record_reported_use(actor=request.user, region=v.pop("region"), year=v.pop("year"), **v)
        return Response(s.StatisticSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


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

