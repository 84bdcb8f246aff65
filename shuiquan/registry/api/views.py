"""Registry API (/api/v1/registry/): scoped lists with filters and pagination, details, and writes
through the registry services (scope, validation, audit). Reference data and the seed's tables are
read-only. Every error is JSON ``{code, rule, message, message_en, detail}``."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from shuiquan.core.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet
from shuiquan.core.errors import Forbidden
from shuiquan.core.scoping import CHANGE, can_add, get_scoped

from .. import filtersets as fs
from .. import importing, services
from .. import models as m
from . import serializers as s

ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="输入有误 / invalid input"),
    401: OpenApiResponse(s.ErrorSerializer, description="未登录 / not authenticated"),
    403: OpenApiResponse(s.ErrorSerializer, description="无权 / forbidden or out of scope"),
    404: OpenApiResponse(s.ErrorSerializer, description="不存在或不在管辖范围内 / not found"),
}
READ_ERRORS = {k: v for k, v in ERRORS.items() if k in (401, 404)}


def read_only_schema(tag: str, read):
    return extend_schema_view(
        list=extend_schema(tags=[tag], responses={200: read(many=True), 401: ERRORS[401]}),
        retrieve=extend_schema(tags=[tag], responses={200: read, **READ_ERRORS}),
    )


def write_schema(tag: str, read, write, update=None):
    """Document that writes accept ``write`` and return ``read`` (the services own the writes)."""
    update = update or write
    return extend_schema_view(
        list=extend_schema(tags=[tag], responses={200: read(many=True), 401: ERRORS[401]}),
        retrieve=extend_schema(tags=[tag], responses={200: read, **READ_ERRORS}),
        create=extend_schema(tags=[tag], request=write, responses={201: read, **ERRORS}),
        update=extend_schema(tags=[tag], request=update, responses={200: read, **ERRORS}),
        partial_update=extend_schema(tags=[tag], request=update, responses={200: read, **ERRORS}),
        destroy=extend_schema(tags=[tag], responses={204: None, **ERRORS, 409: OpenApiResponse(s.ErrorSerializer)}),
    )


class RegistryViewSet(ScopedModelViewSet):
    """Writes go through ``services.create_record`` / ``update_record`` / ``delete_record``."""

    update_serializer_class = None

    def get_serializer_class(self):
        if self.action in ("update", "partial_update") and self.update_serializer_class:
            return self.update_serializer_class
        return super().get_serializer_class()

    def create(self, request, *args, **kwargs):
        # Refuse a role that may not create before looking at the input (403, not 400).
        if not can_add(request.user, self.queryset.model):
            raise Forbidden(code="role_required", message="您的角色不能新增此类记录", message_en="Your role cannot create this kind of record")
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        # 404 when the record is not visible, 403 when visible but not changeable — before validation.
        get_scoped(self.get_queryset(), request.user, kwargs[self.lookup_url_kwarg or self.lookup_field], CHANGE)
        return super().update(request, *args, **kwargs)

    def perform_create_service(self, data):
        return services.create_record(self.queryset.model, actor=self.request.user, data=data)

    def perform_update_service(self, pk, data):
        return services.update_record(self.queryset.model, pk, actor=self.request.user, data=data)

    def destroy(self, request, *args, **kwargs):
        self.get_object()
        services.delete_record(self.queryset.model, kwargs[self.lookup_url_kwarg or self.lookup_field], actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PublicReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """The seed's tables: figures every signed-in user may read."""


# --- reference data -------------------------------------------------------------------------------


@read_only_schema("registry: reference", s.RegionSerializer)
class RegionViewSet(ScopedReadOnlyViewSet):
    queryset = m.Region.objects.select_related("parent").prefetch_related("members")
    serializer_class = s.RegionSerializer
    filterset_class = fs.RegionFilterSet


@read_only_schema("registry: reference", s.BasinSerializer)
class BasinViewSet(ScopedReadOnlyViewSet):
    queryset = m.Basin.objects.all()
    serializer_class = s.BasinSerializer
    filterset_class = fs.BasinFilterSet


@read_only_schema("registry: reference", s.RiverSerializer)
class RiverViewSet(ScopedReadOnlyViewSet):
    queryset = m.River.objects.select_related("basin").prefetch_related("regions")
    serializer_class = s.RiverSerializer
    filterset_class = fs.RiverFilterSet


@read_only_schema("registry: reference", s.ReservoirSerializer)
class ReservoirViewSet(ScopedReadOnlyViewSet):
    queryset = m.Reservoir.objects.select_related("region")
    serializer_class = s.ReservoirSerializer
    filterset_class = fs.ReservoirFilterSet


@read_only_schema("registry: reference", s.WaterResourceZoneSerializer)
class WaterResourceZoneViewSet(ScopedReadOnlyViewSet):
    queryset = m.WaterResourceZone.objects.all()
    serializer_class = s.WaterResourceZoneSerializer
    filterset_class = fs.WaterResourceZoneFilterSet


@read_only_schema("registry: reference", s.WaterSourceSerializer)
class WaterSourceViewSet(ScopedReadOnlyViewSet):
    queryset = m.WaterSource.objects.all()
    serializer_class = s.WaterSourceSerializer
    filterset_class = fs.WaterSourceFilterSet


@read_only_schema("registry: reference", s.AuthoritySerializer)
class AuthorityViewSet(ScopedReadOnlyViewSet):
    queryset = m.Authority.objects.select_related("region")
    serializer_class = s.AuthoritySerializer
    filterset_class = fs.AuthorityFilterSet


@read_only_schema("registry: reference", s.SectorSerializer)
class SectorViewSet(PublicReadOnlyViewSet):
    queryset = m.Sector.objects.all()
    serializer_class = s.SectorSerializer
    filterset_class = fs.SectorFilterSet


@read_only_schema("registry: seed tables", s.DualControlTargetSerializer)
class DualControlTargetViewSet(PublicReadOnlyViewSet):
    """Table 2-1: total-use control targets (2025) and the city's sector split."""

    queryset = m.DualControlTarget.objects.select_related("region")
    serializer_class = s.DualControlTargetSerializer
    filterset_class = fs.DualControlTargetFilterSet


@read_only_schema("registry: seed tables", s.NonConventionalMinimumSerializer)
class NonConventionalMinimumViewSet(PublicReadOnlyViewSet):
    """Table 2-1: minimum non-conventional water use by region and year."""

    queryset = m.NonConventionalMinimum.objects.select_related("region")
    serializer_class = s.NonConventionalMinimumSerializer
    filterset_class = fs.NonConventionalMinimumFilterSet


@read_only_schema("registry: seed tables", s.SnwdQuotaSerializer)
class SnwdQuotaViewSet(PublicReadOnlyViewSet):
    """Table 2-2 and §2.3: SNWD middle-route quotas."""

    queryset = m.SnwdQuota.objects.all()
    serializer_class = s.SnwdQuotaSerializer
    filterset_class = fs.SnwdQuotaFilterSet


@read_only_schema("registry: seed tables", s.WaterUseStatisticSerializer)
class WaterUseStatisticViewSet(PublicReadOnlyViewSet):
    """Table 1-2: annual water use 2017–2021 by region (rows, and the printed totals as printed)."""

    queryset = m.WaterUseStatistic.objects.select_related("region")
    serializer_class = s.WaterUseStatisticSerializer
    filterset_class = fs.WaterUseStatisticFilterSet


@read_only_schema("registry: seed tables", s.RegionWaterResourcesSerializer)
class RegionWaterResourcesViewSet(PublicReadOnlyViewSet):
    """Table 1-1: mean precipitation, runoff depth and water resources by region."""

    queryset = m.RegionWaterResources.objects.select_related("region")
    serializer_class = s.RegionWaterResourcesSerializer
    filterset_class = fs.RegionWaterResourcesFilterSet


@read_only_schema("registry: seed tables", s.IndicatorSerializer)
class IndicatorViewSet(PublicReadOnlyViewSet):
    """City figures stated in the seed (supply, use by sector, forecasts, counts)."""

    queryset = m.Indicator.objects.all()
    serializer_class = s.IndicatorSerializer
    filterset_class = fs.IndicatorFilterSet


# --- records --------------------------------------------------------------------------------------


@write_schema("registry: water users", s.WaterUserSerializer, s.WaterUserWriteSerializer)
class WaterUserViewSet(RegistryViewSet):
    queryset = m.WaterUser.objects.select_related("region", "sector")
    serializer_class = s.WaterUserSerializer
    write_serializer_class = s.WaterUserWriteSerializer
    filterset_class = fs.WaterUserFilterSet


@write_schema("registry: permits", s.WithdrawalPermitSerializer, s.WithdrawalPermitCreateSerializer, s.WithdrawalPermitUpdateSerializer)
class WithdrawalPermitViewSet(RegistryViewSet):
    """Withdrawal permits. A blank ``number`` is issued by the service; status changes have their
    own actions (``change``, ``renew``, ``expire``, ``revoke``), each with a reason."""

    queryset = m.WithdrawalPermit.objects.select_related("holder", "region")
    serializer_class = s.WithdrawalPermitSerializer
    write_serializer_class = s.WithdrawalPermitCreateSerializer
    update_serializer_class = s.WithdrawalPermitUpdateSerializer
    filterset_class = fs.WithdrawalPermitFilterSet

    def _done(self, permit):
        return Response(s.WithdrawalPermitSerializer(permit, context=self.get_serializer_context()).data)

    @extend_schema(tags=["registry: permits"], request=s.PermitChangeSerializer, responses={200: s.WithdrawalPermitSerializer, **ERRORS, 409: ERRORS[400]})
    @action(detail=True, methods=["post"], serializer_class=s.PermitChangeSerializer)
    def change(self, request, pk=None):
        """变更：change the terms of an active permit (status becomes *changed*)."""
        self.get_object()
        ser = s.PermitChangeSerializer(data=request.data, context=self.get_serializer_context())
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason = data.pop("reason")
        return self._done(services.change_permit(pk, actor=request.user, reason=reason, changes=data))

    @extend_schema(tags=["registry: permits"], request=s.PermitRenewSerializer, responses={200: s.WithdrawalPermitSerializer, **ERRORS, 409: ERRORS[400]})
    @action(detail=True, methods=["post"], serializer_class=s.PermitRenewSerializer)
    def renew(self, request, pk=None):
        """延续：the next validity period, from the day after the current one ends."""
        self.get_object()
        ser = s.PermitRenewSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.renew_permit(pk, actor=request.user, **ser.validated_data))

    @extend_schema(tags=["registry: permits"], request=s.PermitReasonSerializer, responses={200: s.WithdrawalPermitSerializer, **ERRORS, 409: ERRORS[400]})
    @action(detail=True, methods=["post"], serializer_class=s.PermitReasonSerializer)
    def expire(self, request, pk=None):
        """注销：cancel the permit (validity ended, or the holder stopped withdrawing)."""
        self.get_object()
        ser = s.PermitReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.expire_permit(pk, actor=request.user, reason=ser.validated_data["reason"]))

    @extend_schema(tags=["registry: permits"], request=s.PermitReasonSerializer, responses={200: s.WithdrawalPermitSerializer, **ERRORS, 409: ERRORS[400]})
    @action(detail=True, methods=["post"], serializer_class=s.PermitReasonSerializer)
    def revoke(self, request, pk=None):
        """吊销：revoke the permit."""
        self.get_object()
        ser = s.PermitReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._done(services.revoke_permit(pk, actor=request.user, reason=ser.validated_data["reason"]))

    @extend_schema(tags=["registry: permits"], responses={200: s.WithdrawalPermitSerializer(many=True), 401: ERRORS[401]})
    @action(detail=False, methods=["get"], url_path="renewal-due", filterset_class=None, pagination_class=None)
    def renewal_due(self, request):
        """Active permits whose renewal is due (valid_to − 45 days ≤ today), soonest first."""
        return Response(s.WithdrawalPermitSerializer(services.renewal_due(request.user), many=True,
                                                     context=self.get_serializer_context()).data)


@write_schema("registry: permits", s.AnnualWithdrawalPlanSerializer, s.AnnualWithdrawalPlanWriteSerializer)
class AnnualWithdrawalPlanViewSet(RegistryViewSet):
    queryset = m.AnnualWithdrawalPlan.objects.select_related("permit")
    serializer_class = s.AnnualWithdrawalPlanSerializer
    write_serializer_class = s.AnnualWithdrawalPlanWriteSerializer
    filterset_class = fs.AnnualWithdrawalPlanFilterSet


@write_schema("registry: intakes and meters", s.IntakePointSerializer, s.IntakePointWriteSerializer)
class IntakePointViewSet(RegistryViewSet):
    queryset = m.IntakePoint.objects.all()
    serializer_class = s.IntakePointSerializer
    write_serializer_class = s.IntakePointWriteSerializer
    filterset_class = fs.IntakePointFilterSet


@write_schema("registry: intakes and meters", s.MeteringDeviceSerializer, s.MeteringDeviceWriteSerializer)
class MeteringDeviceViewSet(RegistryViewSet):
    queryset = m.MeteringDevice.objects.all()
    serializer_class = s.MeteringDeviceSerializer
    write_serializer_class = s.MeteringDeviceWriteSerializer
    filterset_class = fs.MeteringDeviceFilterSet


@write_schema("registry: irrigation", s.IrrigationDistrictSerializer, s.IrrigationDistrictWriteSerializer)
class IrrigationDistrictViewSet(RegistryViewSet):
    queryset = m.IrrigationDistrict.objects.all()
    serializer_class = s.IrrigationDistrictSerializer
    write_serializer_class = s.IrrigationDistrictWriteSerializer
    filterset_class = fs.IrrigationDistrictFilterSet


@write_schema("registry: irrigation", s.AssociationSerializer, s.AssociationWriteSerializer)
class AssociationViewSet(RegistryViewSet):
    queryset = m.Association.objects.select_related("district")
    serializer_class = s.AssociationSerializer
    write_serializer_class = s.AssociationWriteSerializer
    filterset_class = fs.AssociationFilterSet


@write_schema("registry: irrigation", s.VillagerGroupSerializer, s.VillagerGroupWriteSerializer)
class VillagerGroupViewSet(RegistryViewSet):
    queryset = m.VillagerGroup.objects.all()
    serializer_class = s.VillagerGroupSerializer
    write_serializer_class = s.VillagerGroupWriteSerializer
    filterset_class = fs.VillagerGroupFilterSet


@write_schema("registry: irrigation", s.HouseholdSerializer, s.HouseholdWriteSerializer)
class HouseholdViewSet(RegistryViewSet):
    queryset = m.Household.objects.all()
    serializer_class = s.HouseholdSerializer
    write_serializer_class = s.HouseholdWriteSerializer
    filterset_class = fs.HouseholdFilterSet


# --- XLSX import ----------------------------------------------------------------------------------


class ImportView(APIView):
    """Preview (``dry_run=true``, the default) or execute an XLSX import of water users or permits.
    A file with any bad row imports nothing: the response is 400 with every row's errors."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["registry: import"], request={"multipart/form-data": s.ImportUploadSerializer},
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(importing.SPECS))],
        responses={200: s.ImportReportSerializer, 400: s.ImportReportSerializer, 401: ERRORS[401], 403: ERRORS[403],
                   404: ERRORS[404]},
    )
    def post(self, request, kind):
        importing.spec_for(kind)
        ser = s.ImportUploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        report = importing.run_import(kind, ser.validated_data["file"], actor=request.user, dry_run=ser.validated_data["dry_run"])
        return Response(report.as_dict(), status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST)

