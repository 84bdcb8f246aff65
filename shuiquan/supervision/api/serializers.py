from rest_framework import serializers

from shuiquan.registry.models import Region

from ..choices import ComplaintChannel, ComplaintKind, ComplaintTopic, Status
from ..forms import assessed_regions
from ..models import AssessmentFigures, Complaint


class MeasureSerializer(serializers.Serializer):
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


class TradeFlowSerializer(serializers.Serializer):
    entry = serializers.CharField()
    kind = serializers.CharField()
    reference = serializers.CharField()
    memo = serializers.CharField()
    date = serializers.DateField()
    sold_m3 = serializers.IntegerField()
    bought_m3 = serializers.IntegerField()
    is_reversal = serializers.BooleanField()


class RegionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class AssessmentSerializer(serializers.Serializer):
    """A region's dual-control assessment for a year (S2: assessed = measured + sold − bought)."""

    region = RegionRefSerializer()
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
    measures = MeasureSerializer(many=True)
    trades = TradeFlowSerializer(many=True)


class YearQuerySerializer(serializers.Serializer):
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


class StatisticSerializer(serializers.Serializer):
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
