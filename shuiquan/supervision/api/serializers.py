from rest_framework import serializers

from shuiquan.registry.models import Region

from ..choices import ComplaintChannel, ComplaintKind, ComplaintTopic, Status
from ..forms import assessed_regions
from ..models import AssessmentFigures, Complaint


class AssessmentMeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.ChoiceField(choices=["cap", "floor"])
    value = serializers.CharField(allow_null=True, help_text="integer m³, or a decimal string for ratios and intensities")
    target = serializers.CharField(allow_null=True)
    ratio = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices)
    assessed = serializers.BooleanField()
    basis = serializers.CharField()
    target_basis = serializers.CharField()


class AssessmentTradeFlowSerializer(serializers.Serializer):
    entry = serializers.CharField()
    kind = serializers.CharField()
    reference = serializers.CharField()
    memo = serializers.CharField()
    date = serializers.DateField()
    sold_m3 = serializers.IntegerField()
    bought_m3 = serializers.IntegerField()
    is_reversal = serializers.BooleanField()


class AssessmentRegionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class AssessmentSerializer(serializers.Serializer):
    """A region's dual-control assessment for a year (S2: assessed = measured + sold − bought)."""

    region = AssessmentRegionSerializer()
    year = serializers.IntegerField()
    reported_m3 = serializers.IntegerField(allow_null=True)
    reported_basis = serializers.CharField()
    metered_m3 = serializers.IntegerField(allow_null=True)
    measured_m3 = serializers.IntegerField(allow_null=True)
    measured_basis = serializers.CharField()
    sold_m3 = serializers.IntegerField()
    bought_m3 = serializers.IntegerField()
    assessed_m3 = serializers.IntegerField(allow_null=True)
    cap_m3 = serializers.IntegerField(allow_null=True)
    cap_basis = serializers.CharField()
    headroom_m3 = serializers.IntegerField(allow_null=True)
    by_use = serializers.DictField(child=serializers.IntegerField())
    by_use_basis = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    measures = AssessmentMeasureSerializer(many=True)
    trades = AssessmentTradeFlowSerializer(many=True)


class AssessmentYearQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)


class FiguresSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssessmentFigures
        fields = ["id", "region", "year", "gdp_100m_yuan", "industrial_va_100m_yuan", "irrigation_coefficient", "nonconventional_use_m3",
                  "groundwater_withdrawal_m3", "basis", "entered_by", "updated_at", "is_demo"]
        read_only_fields = ["entered_by", "updated_at", "is_demo"]


class FiguresWriteSerializer(serializers.Serializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    gdp_100m_yuan = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    industrial_va_100m_yuan = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    irrigation_coefficient = serializers.DecimalField(max_digits=4, decimal_places=3, required=False, allow_null=True)
    nonconventional_use_m3 = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    groundwater_withdrawal_m3 = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    basis = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = assessed_regions()


class ReportedUseSerializer(serializers.Serializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    total_m3 = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    domestic_m3 = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    industrial_m3 = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    agricultural_m3 = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    ecological_m3 = serializers.IntegerField(min_value=0, required=False, allow_null=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = assessed_regions()


class ReportedStatisticSerializer(serializers.Serializer):
    region = serializers.IntegerField(source="region_id")
    year = serializers.IntegerField()
    use = serializers.CharField()
    volume_m3 = serializers.IntegerField()
    source_section = serializers.CharField()


class ComplaintSerializer(serializers.ModelSerializer):
    receipt_code = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = ["id", "number", "kind", "topic", "channel", "subject", "content", "region", "trade_number", "status", "handler",
                  "submitted_at", "accepted_at", "closed_at", "resolution", "public_reply", "receipt_code", "is_demo"]

    def get_receipt_code(self, obj) -> str | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and (obj.complainant_user_id == user.pk or user.is_superuser or user.role == "city_admin"):
            return obj.receipt_code
        return None


class ComplaintCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ComplaintKind.choices)
    topic = serializers.ChoiceField(choices=ComplaintTopic.choices)
    subject = serializers.CharField(max_length=200)
    content = serializers.CharField(max_length=4000)
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False, allow_null=True)
    trade_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=[c for c in ComplaintChannel.choices if c[0] != "portal"], default="platform")
    complainant_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    complainant_contact = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ComplaintActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    resolution = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    public_reply = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# --- S6 enforcement -----------------------------------------------------------------------------

from shuiquan.registry.models import Association, WaterUser  # noqa: E402
from shuiquan.trading.choices import RestrictionGround, RestrictionKind  # noqa: E402

from ..choices import InspectionConclusion, Rating  # noqa: E402
from ..models import Enforcement, NationalExport, NationalExportItem, SiteInspection, TradeEvaluation  # noqa: E402


class EnforcementSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="restriction.kind")
    cut_pct = serializers.DecimalField(source="restriction.cut_pct", max_digits=5, decimal_places=2, allow_null=True)
    ground = serializers.CharField(source="restriction.ground")
    reason = serializers.CharField(source="restriction.reason")
    region = serializers.IntegerField(source="restriction.region_id", allow_null=True)
    water_user = serializers.IntegerField(source="restriction.water_user_id", allow_null=True)
    association = serializers.IntegerField(source="restriction.association_id", allow_null=True)
    party = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="restriction.is_active")
    lifted_at = serializers.DateTimeField(source="restriction.lifted_at", allow_null=True)
    lift_reason = serializers.CharField(source="restriction.lift_reason")

    class Meta:
        model = Enforcement
        fields = ["id", "number", "restriction", "kind", "cut_pct", "ground", "reason", "region", "water_user", "association", "party",
                  "assessment_year", "finding", "figures", "decided_by", "decided_at", "active", "lifted_at", "lift_reason", "lift_evidence",
                  "is_demo"]

    def get_party(self, obj) -> str:
        return str(obj.restriction.party)


class EnforcementCreateSerializer(serializers.Serializer):
    ground = serializers.ChoiceField(choices=RestrictionGround.choices)
    kind = serializers.ChoiceField(choices=RestrictionKind.choices)
    cut_pct = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False, allow_null=True)
    water_user = serializers.PrimaryKeyRelatedField(queryset=WaterUser.objects.all(), required=False, allow_null=True)
    association = serializers.PrimaryKeyRelatedField(queryset=Association.objects.all(), required=False, allow_null=True)
    reason = serializers.CharField(max_length=1000)
    assessment_year = serializers.IntegerField(min_value=2000, max_value=2100, required=False, allow_null=True)
    finding = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class EnforcementLiftSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)
    evidence = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


# --- S3, evaluation, monitoring -----------------------------------------------------------------------


class InspectionSerializer(serializers.ModelSerializer):
    trade_number = serializers.CharField(source="trade.number")
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = SiteInspection
        fields = ["id", "trade", "trade_number", "inspected_on", "inspectors", "location", "saving_measures_ok", "saving_measures_note",
                  "metering_ok", "metering_note", "third_party_note", "conclusion", "recorded_by", "recorded_at", "attachments", "is_demo"]

    def get_attachments(self, obj) -> list[dict]:
        from .. import services

        return [{"id": a.pk, "name": a.name, "kind": a.kind, "size": a.size, "sha256": a.sha256} for a in services.attachments(obj)]


class InspectionCreateSerializer(serializers.Serializer):
    trade = serializers.IntegerField()
    inspected_on = serializers.DateField()
    inspectors = serializers.CharField(max_length=200)
    location = serializers.CharField(max_length=200)
    saving_measures_ok = serializers.BooleanField(required=False, allow_null=True, default=None)
    saving_measures_note = serializers.CharField(required=False, allow_blank=True, default="")
    metering_ok = serializers.BooleanField(required=False, allow_null=True, default=None)
    metering_note = serializers.CharField(required=False, allow_blank=True, default="")
    third_party_note = serializers.CharField(required=False, allow_blank=True, default="")
    conclusion = serializers.ChoiceField(choices=InspectionConclusion.choices)


class InspectionAttachmentSerializer(serializers.Serializer):
    file = serializers.FileField()


class EvaluationSerializer(serializers.ModelSerializer):
    trade_number = serializers.CharField(source="trade.number")

    class Meta:
        model = TradeEvaluation
        fields = ["id", "trade", "trade_number", "evaluated_on", "evaluators", "volume_truthful", "procedure_compliant", "price_reasonable",
                  "funds_safe", "third_party_impact", "water_use_effect", "rating", "recommendations", "facts", "status", "recorded_by",
                  "recorded_at", "finalized_at", "is_demo"]


class EvaluationCreateSerializer(serializers.Serializer):
    trade = serializers.IntegerField()
    evaluated_on = serializers.DateField()
    evaluators = serializers.CharField(max_length=200)
    volume_truthful = serializers.BooleanField()
    procedure_compliant = serializers.BooleanField()
    price_reasonable = serializers.BooleanField()
    funds_safe = serializers.BooleanField()
    rating = serializers.ChoiceField(choices=Rating.choices)
    third_party_impact = serializers.CharField(required=False, allow_blank=True, default="")
    water_use_effect = serializers.CharField(required=False, allow_blank=True, default="")
    recommendations = serializers.CharField(required=False, allow_blank=True, default="")
    finalize = serializers.BooleanField(required=False, default=False)


class MonitoringSideSerializer(serializers.Serializer):
    party = serializers.CharField()
    permit = serializers.CharField(allow_null=True)
    right_m3 = serializers.IntegerField(allow_null=True)
    used_m3 = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField()


class MonitoringSerializer(serializers.Serializer):
    trade = serializers.CharField()
    trade_id = serializers.IntegerField()
    type = serializers.CharField()
    year = serializers.IntegerField()
    volume_m3 = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)
    seller = MonitoringSideSerializer()
    buyer = MonitoringSideSerializer()
    flags = serializers.ListField(child=serializers.CharField())


# --- National interface -------------------------------------------------------------------------


class NationalExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = NationalExport
        fields = ["id", "batch_id", "schema_version", "created_at", "created_by", "counts", "sha256"]


class NationalExportItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = NationalExportItem
        fields = ["record_type", "record_id", "number", "payload_sha256", "status", "national_id", "message", "acknowledged_at"]


class NationalExportDetailSerializer(NationalExportSerializer):
    items = NationalExportItemSerializer(many=True)

    class Meta(NationalExportSerializer.Meta):
        fields = [*NationalExportSerializer.Meta.fields, "items"]


class NationalExportCreateSerializer(serializers.Serializer):
    all = serializers.BooleanField(required=False, default=False, help_text="include records already accepted and unchanged")


class AckResultSerializer(serializers.Serializer):
    ack_id = serializers.CharField()
    batch_id = serializers.CharField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    created = serializers.BooleanField(help_text="false when this ack_id had already been imported (nothing changed)")
