"""The allocation API (/api/v1/allocation/): runs and their workflow actions, reference tables,
river plans, certificates (PDF) and the public certificate verification. Writes go through
``allocation.services`` or ``core.crud`` (audited); errors are the core error JSON."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from shuiquan.core.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet
from shuiquan.core.errors import NotFound
from shuiquan.core.scoping import CHANGE, get_scoped
from shuiquan.registry.models import River

from .. import certificates, filtersets, services
from ..models import (
    AllocationRun,
    Certificate,
    CropQuota,
    GroundwaterIndicator,
    IrrigationProfile,
    PlantingShare,
    RiverPlan,
    WaterQuota,
)
from . import serializers as s


class RunViewSet(ScopedReadOnlyViewSet):
    """Allocation runs (分配与登记): list, detail (inputs, formula, lines, history), create, and the
    workflow actions compute → review → approve → register → issue, reject and revoke."""

    queryset = AllocationRun.objects.select_related("region", "created_by").prefetch_related("lines__region", "lines__right",
                                                                                                "lines__parent_line", "lines__household",
                                                                                                "transitions")
    serializer_class = s.RunSerializer
    filterset_class = filtersets.RunFilterSet

    def get_serializer_class(self):
        return s.RunDetailSerializer if self.action != "list" else s.RunSerializer

    @extend_schema(request=s.RunCreateSerializer, responses={201: s.RunDetailSerializer})
    def create(self, request):
        data = s.RunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["compute"]:
            run = services.prepare_and_compute(actor=request.user, engine=v["engine"], parameters=v["parameters"])
        else:
            run = services.create_run(actor=request.user, engine=v["engine"], parameters=v["parameters"])
        return Response(s.RunDetailSerializer(run, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    def _act(self, request, pk, name):
        run = self.get_object()
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = services.perform(run, name, actor=request.user, reason=body.validated_data.get("reason", ""))
        run = AllocationRun.objects.get(pk=run.pk)
        return Response(s.RunDetailSerializer(run, context=self.get_serializer_context()).data)

    @extend_schema(request=s.ReasonSerializer, responses=s.RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def compute(self, request, pk=None):
        return self._act(request, pk, "compute")

    @extend_schema(request=s.ReasonSerializer, responses=s.RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        return self._act(request, pk, "review")

    @extend_schema(request=s.ReasonSerializer, responses=s.RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(request, pk, "approve")

    @extend_schema(request=s.ReasonSerializer, responses=s.RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        return self._act(request, pk, "register")

    @extend_schema(request=s.ReasonSerializer, responses=s.RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        return self._act(request, pk, "issue")

    @extend_schema(request=s.ReasonSerializer, responses=s.RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._act(request, pk, "reject")

    @extend_schema(request=s.ReasonSerializer, responses=s.RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return self._act(request, pk, "revoke")


class WaterQuotaViewSet(ScopedModelViewSet):
    """The water-use quota table (A3), editable by the city bureau (audited)."""

    queryset = WaterQuota.objects.select_related("sector")
    serializer_class = s.WaterQuotaSerializer
    filterset_class = filtersets.WaterQuotaFilterSet


class CropQuotaViewSet(ScopedModelViewSet):
    """Crop net irrigation quotas by frequency (A4)."""

    queryset = CropQuota.objects.all()
    serializer_class = s.CropQuotaSerializer
    filterset_class = filtersets.CropQuotaFilterSet


class IrrigationProfileViewSet(ScopedModelViewSet):
    """Districts' irrigation parameters (zone, design frequency, coefficient η)."""

    queryset = IrrigationProfile.objects.select_related("district")
    serializer_class = s.IrrigationProfileSerializer


class PlantingShareViewSet(ScopedModelViewSet):
    """Districts' planting structures (crop shares)."""

    queryset = PlantingShare.objects.select_related("district")
    serializer_class = s.PlantingShareSerializer


class GroundwaterIndicatorViewSet(ScopedModelViewSet):
    """Groundwater control indicators per region."""

    queryset = GroundwaterIndicator.objects.select_related("region")
    serializer_class = s.GroundwaterIndicatorSerializer
    filterset_class = filtersets.GroundwaterIndicatorFilterSet


class RiverPlanViewSet(ScopedReadOnlyViewSet):
    """River allocation plans: regions' shares by hydrological frequency after the ecological reserve (A2)."""

    queryset = RiverPlan.objects.select_related("river").prefetch_related("points__shares")
    serializer_class = s.RiverPlanSerializer
    filterset_class = filtersets.RiverPlanFilterSet

    def _save(self, request, plan=None):
        body = s.RiverPlanWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        try:
            river = River.objects.get(pk=v["river"])
        except River.DoesNotExist:
            raise NotFound("河流不存在", "No such river") from None
        return services.save_river_plan(plan, actor=request.user, river=river, name=v["name"], legal_basis=v["legal_basis"],
                                        comments=v["comments"], points=[dict(p) for p in v["points"]])

    @extend_schema(request=s.RiverPlanWriteSerializer, responses={201: s.RiverPlanSerializer})
    def create(self, request):
        plan = self._save(request)
        return Response(s.RiverPlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RiverPlanWriteSerializer, responses=s.RiverPlanSerializer)
    def update(self, request, pk=None):
        plan = get_scoped(RiverPlan, request.user, pk, CHANGE)
        plan = self._save(request, plan)
        return Response(s.RiverPlanSerializer(plan).data)

    @extend_schema(request=s.ReasonSerializer, responses=s.RiverPlanSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        plan = self.get_object()
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plan = services.approve_river_plan(plan, actor=request.user, legal_basis=body.validated_data.get("reason", ""))
        return Response(s.RiverPlanSerializer(plan).data)


class CertificateViewSet(ScopedReadOnlyViewSet):
    """Certificates (水权证 / 用水权属凭证) within the user's scope, and their PDFs."""

    queryset = Certificate.objects.select_related("right", "run")
    serializer_class = s.CertificateSerializer
    filterset_class = filtersets.CertificateFilterSet

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        cert = self.get_object()
        response = HttpResponse(certificates.render_pdf(cert, certificates.verification_url(cert, request)), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{cert.machine_number}.pdf"'
        return response


class VerifyCertificateView(APIView):
    """Public (no login): verify a certificate by the token in its QR code. No personal data."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(responses=s.PublicCertificateSerializer)
    def get(self, request, token):
        cert = certificates.find_for_verification(token=token)
        if cert is None:
            raise NotFound("未找到该凭证", "No such certificate")
        return Response(s.PublicCertificateSerializer(certificates.public_view(cert)).data)
