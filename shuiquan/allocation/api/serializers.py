"""API serializers: read shapes, and input shapes that only validate types (services decide)."""

from rest_framework import serializers

from ..choices import Engine
from ..models import (
    AllocationLine,
    AllocationRun,
    Certificate,
    CropQuota,
    GroundwaterIndicator,
    IrrigationProfile,
    PlantingShare,
    RiverPlan,
    RunTransition,
    WaterQuota,
)


class LineSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name", default=None, allow_null=True, read_only=True)
    right = serializers.CharField(source="right.number", default=None, allow_null=True, read_only=True)
    right_id = serializers.IntegerField(default=None, allow_null=True, read_only=True)
    parent_seq = serializers.IntegerField(source="parent_line.seq", default=None, allow_null=True, read_only=True)
    household = serializers.CharField(source="household.code", default=None, allow_null=True, read_only=True)

    class Meta:
        model = AllocationLine
        fields = ["seq", "role", "label", "region", "water_user_id", "irrigation_district_id", "association_id", "household", "river_id",
                  "use", "source_type", "year", "volume_m3", "exact", "detail", "parent_seq", "right", "right_id"]


class TransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunTransition
        fields = ["name", "source", "target", "actor_name", "acting_for", "at", "reason"]


class RunSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = AllocationRun
        fields = ["id", "number", "engine", "title", "status", "region", "region_id", "permit_id", "irrigation_district_id", "river_plan_id",
                  "first_year", "last_year", "parameters", "total_m3", "legal_basis", "created_by", "created_at", "computed_at",
                  "registered_at", "is_demo", "available_actions"]

    def get_available_actions(self, obj) -> list[str]:
        from ..services import available_actions

        request = self.context.get("request")
        return [a["name"] for a in available_actions(obj, request.user)] if request else []


class RunDetailSerializer(RunSerializer):
    lines = LineSerializer(many=True, read_only=True)
    transitions = TransitionSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = RunSerializer.Meta.fields + ["inputs", "formula", "formula_en", "result", "lines", "transitions"]


class RunCreateSerializer(serializers.Serializer):
    engine = serializers.ChoiceField(choices=Engine.choices)
    parameters = serializers.DictField(help_text="regional/snwd: {first_year, last_year}; groundwater: + indicator_year; "
                                                 "river: {plan, year, frequency}; permit: {permit, items: [{quota, scale}], saving_rate, "
                                                 "groundwater_rate}; irrigation: {district, associations: [ids], frequency, first_year, last_year}")
    compute = serializers.BooleanField(default=True, help_text="compute at once (a refusal then writes nothing)")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class WaterQuotaSerializer(serializers.ModelSerializer):
    class Meta:
        model = WaterQuota
        fields = ["id", "standard", "edition", "sector", "product", "unit", "quota_m3", "level", "is_active", "is_demo", "comments"]
        read_only_fields = ["is_demo"]


class CropQuotaSerializer(serializers.ModelSerializer):
    class Meta:
        model = CropQuota
        fields = ["id", "crop", "zone", "frequency", "net_quota_m3_per_mu", "standard_ref", "is_demo", "comments"]
        read_only_fields = ["is_demo"]


class IrrigationProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = IrrigationProfile
        fields = ["id", "district", "zone", "design_frequency", "coefficient", "basis", "is_demo", "comments"]
        read_only_fields = ["is_demo"]


class PlantingShareSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlantingShare
        fields = ["id", "district", "crop", "share", "is_demo", "comments"]
        read_only_fields = ["is_demo"]


class GroundwaterIndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = GroundwaterIndicator
        fields = ["id", "region", "year", "volume_m3", "basis", "is_demo", "comments"]
        read_only_fields = ["is_demo"]


class PlanPointSerializer(serializers.Serializer):
    frequency = serializers.DecimalField(max_digits=5, decimal_places=2)
    total_m3 = serializers.IntegerField(min_value=0)
    ecological_m3 = serializers.IntegerField(min_value=0)
    shares = serializers.DictField(child=serializers.IntegerField(min_value=0), help_text="region id → m³")


class RiverPlanSerializer(serializers.ModelSerializer):
    river_name = serializers.CharField(source="river.name", read_only=True)
    points = serializers.SerializerMethodField()

    class Meta:
        model = RiverPlan
        fields = ["id", "river", "river_name", "name", "legal_basis", "status", "approved_at", "is_demo", "comments", "points"]

    def get_points(self, obj) -> list[dict]:
        return [{"frequency": str(p.frequency), "total_m3": p.total_m3, "ecological_m3": p.ecological_m3,
                 "shares": {str(s.region_id): s.volume_m3 for s in p.shares.all()}} for p in obj.points.order_by("frequency")]


class RiverPlanWriteSerializer(serializers.Serializer):
    river = serializers.IntegerField()
    name = serializers.CharField(max_length=120)
    legal_basis = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    comments = serializers.CharField(required=False, allow_blank=True, default="")
    points = PlanPointSerializer(many=True)


class CertificateSerializer(serializers.ModelSerializer):
    right = serializers.CharField(source="right.number", read_only=True)
    check_code = serializers.CharField(read_only=True)

    class Meta:
        model = Certificate
        fields = ["id", "number", "machine_number", "kind", "right", "right_id", "run_id", "holder_public", "volume_m3", "valid_from",
                  "valid_to", "issuer", "issued_at", "status", "revoked_at", "revoked_reason", "check_code", "is_demo"]


class PublicCertificateSerializer(serializers.Serializer):
    number = serializers.CharField()
    machine_number = serializers.CharField()
    kind = serializers.CharField()
    holder = serializers.CharField()
    volume_m3 = serializers.IntegerField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    status = serializers.CharField()
    right_status = serializers.CharField()
    valid = serializers.BooleanField()
    issuer = serializers.CharField()
    issued_at = serializers.DateTimeField()
    right_number = serializers.CharField()
    is_demo = serializers.BooleanField()
