"""Registry API serializers: read serializers (what the API returns) and write serializers (what
it accepts, validated; the services then apply the model rules, scope and audit).

Volumes are integers of m³ (``*_m3``); areas and coordinates are decimal strings. Foreign keys are
ids; read serializers add a ``*_name`` for the main ones. Write serializers accept only the ids of
records the caller may see, so an unknown or out-of-scope id is a 400 ("object does not exist").
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shuiquan.core.scoping import VIEW

from .. import models as m
from ..choices import PermitStatus
from ..personal import can_see_personal, mask_phone

AUDIT_FIELDS = ("created", "last_updated")


class ErrorSerializer(serializers.Serializer):
    """The error body of every 4xx response."""

    code = serializers.CharField(help_text="stable error code, e.g. invalid, not_found, out_of_scope")
    rule = serializers.CharField(allow_null=True, help_text="the rule applied (A1…, T1…, S1…), or null")
    message = serializers.CharField(help_text="中文说明")
    message_en = serializers.CharField(help_text="English message")
    detail = serializers.DictField(required=False, help_text="e.g. {'fields': {'name': ['…']}}")


class ReadSerializer(serializers.ModelSerializer):
    def get_fields(self):
        fields = super().get_fields()
        for f in fields.values():
            f.read_only = True
        return fields


class WriteSerializer(serializers.ModelSerializer):
    """Restricts every related-object choice to what the requesting user may see."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for f in fields.values():
            target = getattr(f, "child_relation", f)
            qs = getattr(target, "queryset", None)
            if qs is not None and hasattr(qs, "restrict"):
                target.queryset = qs.restrict(user, VIEW) if user is not None else qs.none()
        return fields


def _name_field(source: str):
    return serializers.CharField(source=source, read_only=True, default=None, allow_null=True)


# --- reference data (read-only) -----------------------------------------------------------------


class RegionSerializer(ReadSerializer):
    parent_name = _name_field("parent.name")

    class Meta:
        model = m.Region
        fields = ["id", "code", "name", "name_en", "kind", "parent", "parent_name", "members", "sort_order", "is_demo", "comments", *AUDIT_FIELDS]


class BasinSerializer(ReadSerializer):
    class Meta:
        model = m.Basin
        fields = ["id", "name", "parent", "area_km2", "facts", "is_demo", "comments", *AUDIT_FIELDS]


class RiverSerializer(ReadSerializer):
    basin_name = _name_field("basin.name")

    class Meta:
        model = m.River
        fields = ["id", "name", "basin", "basin_name", "length_km", "area_km2", "regions", "facts", "is_demo", "comments", *AUDIT_FIELDS]


class ReservoirSerializer(ReadSerializer):
    region_name = _name_field("region.name")

    class Meta:
        model = m.Reservoir
        fields = ["id", "name", "region", "region_name", "river", "catchment_km2", "total_capacity_m3", "beneficial_capacity_m3",
                  "dead_capacity_m3", "purposes", "facts", "is_demo", "comments", *AUDIT_FIELDS]


class WaterResourceZoneSerializer(ReadSerializer):
    class Meta:
        model = m.WaterResourceZone
        fields = ["id", "name", "level", "is_demo", "comments", *AUDIT_FIELDS]


class WaterSourceSerializer(ReadSerializer):
    source_type = serializers.CharField(read_only=True)

    class Meta:
        model = m.WaterSource
        fields = ["id", "name", "kind", "source_type", "river", "reservoir", "region", "zone", "is_overdraft_area", "is_overloaded",
                  "is_demo", "comments", *AUDIT_FIELDS]


class AuthoritySerializer(ReadSerializer):
    admin_code = serializers.CharField(read_only=True)

    class Meta:
        model = m.Authority
        fields = ["id", "name", "level", "region", "admin_code", "is_demo", "comments", *AUDIT_FIELDS]


class SectorSerializer(ReadSerializer):
    class Meta:
        model = m.Sector
        fields = ["id", "code", "name", "parent", "default_use"]


class DualControlTargetSerializer(ReadSerializer):
    region_name = _name_field("region.name")

    class Meta:
        model = m.DualControlTarget
        fields = ["id", "region", "region_name", "year", "total_m3", "domestic_m3", "industrial_m3", "agricultural_m3", "ecological_m3",
                  "per_10k_gdp_m3", "per_10k_industrial_va_m3", "irrigation_coefficient", "source_section"]


class NonConventionalMinimumSerializer(ReadSerializer):
    region_name = _name_field("region.name")

    class Meta:
        model = m.NonConventionalMinimum
        fields = ["id", "region", "region_name", "year", "volume_m3", "source_section"]


class SnwdQuotaSerializer(ReadSerializer):
    class Meta:
        model = m.SnwdQuota
        fields = ["id", "receiving_area", "irrigation_district", "kind", "volume_m3", "printed_name", "source_section"]


class WaterUseStatisticSerializer(ReadSerializer):
    region_name = _name_field("region.name")

    class Meta:
        model = m.WaterUseStatistic
        fields = ["id", "region", "region_name", "year", "use", "volume_m3", "kind", "source_section"]


class RegionWaterResourcesSerializer(ReadSerializer):
    region_name = _name_field("region.name")

    class Meta:
        model = m.RegionWaterResources
        fields = ["id", "region", "region_name", "mean_precip_mm", "mean_runoff_depth_mm", "water_resources_m3", "is_printed_total",
                  "source_section"]


class IndicatorSerializer(ReadSerializer):
    class Meta:
        model = m.Indicator
        fields = ["id", "key", "region", "year", "value", "unit", "source_section"]


# --- water users and permits --------------------------------------------------------------------


class WaterUserSerializer(ReadSerializer):
    region_name = _name_field("region.name")
    sector_name = _name_field("sector.name")
    # Blank when unknown: a plain string, so the schema does not promise an e-mail address.
    contact_email = serializers.CharField(read_only=True)

    class Meta:
        model = m.WaterUser
        fields = ["id", "name", "kind", "credit_code", "sector", "sector_name", "region", "region_name", "address", "is_public_supply",
                  "legal_representative", "contact_name", "contact_phone", "contact_email", "is_demo", "comments", *AUDIT_FIELDS]


class WaterUserWriteSerializer(WriteSerializer):
    class Meta:
        model = m.WaterUser
        fields = ["name", "kind", "credit_code", "sector", "region", "address", "is_public_supply", "legal_representative",
                  "contact_name", "contact_phone", "contact_email", "comments"]


PERMIT_WRITE_FIELDS = ["holder", "region", "approving_authority", "supervising_authority", "source", "withdrawal_method", "use", "sector",
                       "annual_volume_m3", "max_daily_volume_m3", "return_water_location", "return_water_volume_m3", "issued_on",
                       "valid_from", "valid_to", "irrigation_district", "comments"]


class WithdrawalPermitSerializer(ReadSerializer):
    holder_name = _name_field("holder.name")
    region_name = _name_field("region.name")
    renewal_due = serializers.DateField(read_only=True, help_text="延续申请截止日（有效期止前45日）")
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = m.WithdrawalPermit
        fields = ["id", "number", "holder", "holder_name", "region", "region_name", "approving_authority", "supervising_authority", "source",
                  "source_type", "withdrawal_method", "use", "sector", "annual_volume_m3", "max_daily_volume_m3", "return_water_location",
                  "return_water_volume_m3", "issued_on", "valid_from", "valid_to", "status", "renewal_due", "is_active",
                  "irrigation_district", "is_demo", "comments", *AUDIT_FIELDS]


class WithdrawalPermitCreateSerializer(WriteSerializer):
    number = serializers.CharField(
        required=False, allow_blank=True, max_length=20,
        help_text="留空则自动编号：<行政区划代码>-<年份>-<4位流水号> / blank: issued automatically",
    )
    supervising_authority = serializers.PrimaryKeyRelatedField(queryset=m.Authority.objects.all(), required=False, allow_null=True)
    issued_on = serializers.DateField(required=False, help_text="默认今天 / default today")
    valid_from = serializers.DateField(required=False, help_text="默认同发证日期 / default: date of issue")
    valid_to = serializers.DateField(required=False, help_text="默认5年 / default: 5 years")
    status = serializers.ChoiceField(choices=PermitStatus.choices, required=False, help_text="默认 new")

    class Meta:
        model = m.WithdrawalPermit
        fields = ["number", *PERMIT_WRITE_FIELDS, "status"]


class WithdrawalPermitUpdateSerializer(WriteSerializer):
    class Meta:
        model = m.WithdrawalPermit
        fields = PERMIT_WRITE_FIELDS


class PermitChangeSerializer(WriteSerializer):
    """变更: the new terms (only the fields given change) and the reason."""

    reason = serializers.CharField(max_length=1000)

    class Meta:
        model = m.WithdrawalPermit
        fields = ["reason", "holder", "source", "withdrawal_method", "use", "sector", "annual_volume_m3", "max_daily_volume_m3",
                  "return_water_location", "return_water_volume_m3", "irrigation_district", "supervising_authority"]
        extra_kwargs = {name: {"required": False} for name in fields if name != "reason"}


class PermitRenewSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)
    valid_to = serializers.DateField(required=False, help_text="默认自原有效期止次日起5年 / default: 5 more years")
    annual_volume_m3 = serializers.IntegerField(required=False, min_value=1, max_value=9_223_372_036_854_775_807)


class PermitReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class AnnualWithdrawalPlanSerializer(ReadSerializer):
    permit_number = _name_field("permit.number")

    class Meta:
        model = m.AnnualWithdrawalPlan
        fields = ["id", "permit", "permit_number", "year", "volume_m3", "note", "is_demo"]


class AnnualWithdrawalPlanWriteSerializer(WriteSerializer):
    class Meta:
        model = m.AnnualWithdrawalPlan
        fields = ["permit", "year", "volume_m3", "note"]


# --- intakes and meters -------------------------------------------------------------------------


class IntakePointSerializer(ReadSerializer):
    class Meta:
        model = m.IntakePoint
        fields = ["id", "code", "name", "kind", "water_user", "permit", "association", "region", "source", "longitude", "latitude",
                  "is_demo", "comments", *AUDIT_FIELDS]


class IntakePointWriteSerializer(WriteSerializer):
    class Meta:
        model = m.IntakePoint
        fields = ["code", "name", "kind", "water_user", "permit", "association", "region", "source", "longitude", "latitude", "comments"]


class MeteringDeviceSerializer(ReadSerializer):
    class Meta:
        model = m.MeteringDevice
        fields = ["id", "serial", "model", "manufacturer", "protocol", "station_address", "intake_point", "region", "is_online",
                  "meets_standard", "is_irrigation", "installed_on", "calibrated_on", "calibration_due", "register_max_m3", "status",
                  "is_demo", "comments", *AUDIT_FIELDS]


class MeteringDeviceWriteSerializer(WriteSerializer):
    class Meta:
        model = m.MeteringDevice
        fields = ["serial", "model", "manufacturer", "protocol", "station_address", "intake_point", "is_online", "meets_standard",
                  "is_irrigation", "installed_on", "calibrated_on", "calibration_due", "register_max_m3", "status", "comments"]


# --- irrigation ---------------------------------------------------------------------------------


class IrrigationDistrictSerializer(ReadSerializer):
    class Meta:
        model = m.IrrigationDistrict
        fields = ["id", "name", "region", "kind", "scale", "water_source", "reservoir", "design_area_mu", "effective_area_mu", "farmland_mu",
                  "gravity_area_mu", "lift_area_mu", "metering_sets", "metering_sets_to_upgrade", "is_pilot", "facts", "facts_text",
                  "is_demo", "comments", *AUDIT_FIELDS]


class IrrigationDistrictWriteSerializer(WriteSerializer):
    class Meta:
        model = m.IrrigationDistrict
        fields = ["name", "region", "kind", "scale", "water_source", "reservoir", "design_area_mu", "effective_area_mu", "farmland_mu",
                  "gravity_area_mu", "lift_area_mu", "metering_sets", "metering_sets_to_upgrade", "facts_text", "comments"]


class AssociationSerializer(ReadSerializer):
    district_name = _name_field("district.name")

    class Meta:
        model = m.Association
        fields = ["id", "name", "kind", "district", "district_name", "region", "town", "villages", "effective_area_mu", "legal_representative",
                  "registered_on", "is_demo", "comments", *AUDIT_FIELDS]


class AssociationWriteSerializer(WriteSerializer):
    class Meta:
        model = m.Association
        fields = ["name", "kind", "district", "region", "town", "villages", "effective_area_mu", "legal_representative", "registered_on", "comments"]


class VillagerGroupSerializer(ReadSerializer):
    class Meta:
        model = m.VillagerGroup
        fields = ["id", "association", "village", "name", "is_demo", "comments", *AUDIT_FIELDS]


class VillagerGroupWriteSerializer(WriteSerializer):
    class Meta:
        model = m.VillagerGroup
        fields = ["association", "village", "name", "comments"]


class HouseholdSerializer(ReadSerializer):
    """Name, identity number and phone are masked for roles that do not manage households."""

    name = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    is_masked = serializers.SerializerMethodField()

    class Meta:
        model = m.Household
        fields = ["id", "association", "group", "code", "name", "id_number", "phone", "planted_area_mu", "is_masked", "is_demo", "comments",
                  *AUDIT_FIELDS]

    def _full(self) -> bool:
        request = self.context.get("request")
        return can_see_personal(getattr(request, "user", None))

    @extend_schema_field(serializers.CharField())
    def get_name(self, obj) -> str:
        return obj.name if self._full() else obj.masked_name

    @extend_schema_field(serializers.CharField())
    def get_id_number(self, obj) -> str:
        return obj.id_number if self._full() else obj.masked_id_number

    @extend_schema_field(serializers.CharField())
    def get_phone(self, obj) -> str:
        return obj.phone if self._full() else mask_phone(obj.phone)

    def get_is_masked(self, obj) -> bool:
        return not self._full()


class HouseholdWriteSerializer(WriteSerializer):
    class Meta:
        model = m.Household
        fields = ["association", "group", "code", "name", "id_number", "phone", "planted_area_mu", "comments"]


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    field = serializers.CharField()
    column = serializers.CharField()
    column_en = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()


class ImportCreatedSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    id = serializers.IntegerField(allow_null=True)
    repr = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    kind = serializers.CharField()
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    executed = serializers.BooleanField()
    ok = serializers.BooleanField()
    created = ImportCreatedSerializer(many=True)
    errors = ImportRowErrorSerializer(many=True)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".xlsx, first sheet, headers as in the template")
    dry_run = serializers.BooleanField(default=True, help_text="true: preview only (nothing is written)")
