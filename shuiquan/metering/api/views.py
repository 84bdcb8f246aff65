"""Metering API: the machine batch endpoint, readings, batches, use, use against rights, alarms."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from shuiquan.core.api.viewsets import ScopedReadOnlyViewSet
from shuiquan.core.errors import ValidationFailed
from shuiquan.registry.models import WithdrawalPermit

from .. import services, usage
from ..accounting import flag_names
from ..choices import Period, Source, Subject
from ..filtersets import AlarmFilterSet, BatchFilterSet, ReadingFilterSet
from ..ingestion import parse_json_payload
from ..models import Alarm, DeviceUse, IngestionBatch, Reading
from . import serializers as s


class DecimalJSONParser(JSONParser):
    """JSON whose numbers with a fraction become Decimal (a volume is never a binary float)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return parse_json_payload(stream.read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class ReadingBatchView(APIView):
    """Submit readings (machines: ``Authorization: Bearer <token>``)."""

    parser_classes = [DecimalJSONParser]

    @extend_schema(
        operation_id="metering_readings_batch",
        request=s.BatchInSerializer,
        responses={201: s.BatchReportSerializer, 200: s.BatchReportSerializer},
        description=(
            "Store a batch of readings. Idempotent: a reading already stored for the same device and observation time is "
            "a `duplicate` (same values) or a `conflict` (different values; the stored one is kept) and is not stored "
            "again. Invalid rows are `rejected` with a reason; valid rows of the same call are still stored. The response "
            "is the batch with its counts and every row that was not accepted. `dry_run: true` reports without storing "
            "(HTTP 200). At most 10 000 readings per call."
        ),
    )
    def post(self, request):
        body = request.data
        if isinstance(body, list):
            body = {"readings": body}
        if not isinstance(body, dict) or not isinstance(body.get("readings"), list):
            raise ValidationFailed("invalid", "请求体须为 {\"readings\": [...]}", 'The body must be {"readings": [...]}',
                                   detail={"fields": {"readings": ["须为数组 / must be an array"]}})
        dry_run = body.get("dry_run") in (True, "true", "1", 1)
        label = str(body.get("label") or "")[:200]
        batch = services.ingest_readings(body["readings"], actor=request.user, source=Source.API, label=label, dry_run=dry_run)
        return Response(s.BatchReportSerializer(batch).data, status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED)


class ReadingPagination(CursorPagination):
    ordering = "-observed_at"
    page_size = 200
    page_size_query_param = "page_size"
    max_page_size = 5000


class ReadingViewSet(ScopedReadOnlyViewSet):
    """Stored readings (scoped to the devices you can see), newest first."""

    queryset = Reading.objects.select_related("device")
    serializer_class = s.ReadingSerializer
    filterset_class = ReadingFilterSet
    pagination_class = ReadingPagination


class BatchViewSet(ScopedReadOnlyViewSet):
    """Ingestion batches with their counts; the detail has the per-row report."""

    queryset = IngestionBatch.objects.select_related("created_by", "region")
    serializer_class = s.BatchSerializer
    filterset_class = BatchFilterSet

    def get_serializer_class(self):
        return s.BatchReportSerializer if self.action == "retrieve" else s.BatchSerializer


def _int(request, name: str, default: int | None = None, *, low: int = 1, high: int = 9999) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ValidationFailed("invalid", f"参数 {name} 无效：{raw}", f"Invalid parameter {name}: {raw}",
                               detail={"fields": {name: [f"{low}–{high}"]}})
    return value


def _choice(request, name: str, choices, default: str) -> str:
    value = request.query_params.get(name) or default
    if value not in choices:
        raise ValidationFailed("invalid", f"参数 {name} 无效：{value}", f"Invalid parameter {name}: {value}",
                               detail={"fields": {name: list(choices)}})
    return value


YEAR_PARAM = OpenApiParameter("year", OpenApiTypes.INT, description="calendar year (default: this year)")


class UseView(APIView):
    @extend_schema(
        operation_id="metering_use",
        parameters=[
            OpenApiParameter("subject", OpenApiTypes.STR, enum=Subject.values, description="what to sum over (default permit)"),
            OpenApiParameter("period", OpenApiTypes.STR, enum=Period.values, description="day, month or year (default month)"),
            YEAR_PARAM,
            OpenApiParameter("month", OpenApiTypes.INT, description="restrict days/months to one month"),
            OpenApiParameter("id", OpenApiTypes.INT, description="one subject only"),
        ],
        responses=s.UseFigureSerializer(many=True),
        description="Withdrawal per device, intake point, permit, holder, region or source, computed from the accumulated "
        "readings (docs/metering.md: rollover vs reset, gaps, interpolated boundaries). Sums only the devices you can see.",
    )
    def get(self, request):
        subject = _choice(request, "subject", Subject.values, Subject.PERMIT)
        period = _choice(request, "period", Period.values, Period.MONTH)
        year = _int(request, "year", timezone.localdate().year, low=2000, high=2200)
        month = _int(request, "month", None, low=1, high=12)
        one = _int(request, "id", None, high=10**12)
        services.refresh_for_request()
        qs = DeviceUse.objects.restrict(request.user)
        if one is not None:
            qs = qs.filter(**{usage.SUBJECT_PATH[Subject(subject)]: one})
        figures = usage.aggregate(subject, period, year, month, qs)
        data = [{"subject": subject, "subject_id": f.subject_id, "period": period, "start": f.start, "volume_m3": f.volume_m3,
                 "estimated": f.estimated, "flags": flag_names(f.flags, "en"), "devices": f.devices} for f in figures]
        return Response(s.UseFigureSerializer(data, many=True).data)


def permit_use_row(st: usage.PermitUse) -> dict:
    th = st.thresholds()["right"]
    return {
        "permit_id": st.permit.pk, "permit": st.permit.number, "holder": str(st.permit.holder), "region": str(st.permit.region),
        "year": st.year, "used_m3": st.used_m3, "estimated": st.estimated,
        "right": st.right.number if st.right else None, "right_m3": st.right_m3, "right_ratio": st.right_ratio,
        "right_level": st.right_level, "right_thresholds_m3": list(th) if th else None,
        "plan_m3": st.plan_m3, "plan_ratio": st.plan_ratio, "plan_level": st.plan_level, "permit_m3": st.permit_m3,
    }


class PermitUseView(APIView):
    @extend_schema(
        operation_id="metering_permit_use",
        parameters=[YEAR_PARAM, OpenApiParameter("level", OpenApiTypes.STR, enum=["warning", "alarm", "any"],
                                                 description="only permits at this alarm level (alarm = over-users)")],
        responses=s.PermitUseSerializer(many=True),
        description="Each permit's use in the year against its right (the ledger balance of its withdrawal right for the "
        "year, trades included) and its annual withdrawal plan, with the alarm levels (parameters "
        "metering.alarm_warning_pct / metering.alarm_over_pct).",
    )
    def get(self, request):
        year = _int(request, "year", timezone.localdate().year, low=2000, high=2200)
        level = _choice(request, "level", ["", "warning", "alarm", "any"], "")
        services.refresh_for_request()
        statuses = usage.permits_use(usage.active_permits(year) & WithdrawalPermit.objects.restrict(request.user), year)
        if level == "any":
            statuses = [x for x in statuses if x.level]
        elif level:
            statuses = [x for x in statuses if x.level == level]
        return Response(s.PermitUseSerializer([permit_use_row(x) for x in statuses], many=True).data)


class AlarmViewSet(ScopedReadOnlyViewSet):
    """Alarms you are responsible for (county: your county; permit holder: your permits)."""

    queryset = Alarm.objects.select_related("permit", "device", "region")
    serializer_class = s.AlarmSerializer
    filterset_class = AlarmFilterSet

    @extend_schema(request=s.AcknowledgeSerializer, responses=s.AlarmSerializer, operation_id="metering_alarm_acknowledge")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        data = s.AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alarm = services.acknowledge_alarm(pk, actor=request.user, note=data.validated_data["note"])
        return Response(s.AlarmSerializer(alarm).data)


__all__ = ["AlarmViewSet", "BatchViewSet", "PermitUseView", "ReadingBatchView", "ReadingViewSet", "UseView"]
