from rest_framework import serializers

from shuiquan.registry.models import Region
from shuiquan.supervision.choices import ComplaintKind, ComplaintTopic

from ..models import PolicyDocument, SupplyDemandNotice


class PublicRightSerializer(serializers.Serializer):
    number = serializers.CharField(allow_null=True)
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    holder = serializers.CharField(help_text="de-identified: households by code, individual water users as 个人用水户")
    region = serializers.CharField()
    use = serializers.CharField()
    source_type = serializers.CharField()
    annual_volume_m3 = serializers.IntegerField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    certificate_number = serializers.CharField(allow_blank=True)
    is_demo = serializers.BooleanField()


class PublicIrrigationRightSerializer(PublicRightSerializer):
    district = serializers.CharField()
    households = serializers.IntegerField(help_text="number of households holding rights under the association (no names)")


class CountyRightsSerializer(serializers.Serializer):
    name = serializers.CharField()
    code = serializers.CharField(allow_null=True)
    regional_m3 = serializers.IntegerField(allow_null=True)
    withdrawal_m3 = serializers.IntegerField()
    withdrawal_n = serializers.IntegerField()
    irrigation_m3 = serializers.IntegerField()
    irrigation_n = serializers.IntegerField()


class InitialRightsSerializer(serializers.Serializer):
    counties = CountyRightsSerializer(many=True)
    regional = PublicRightSerializer(many=True)
    snwd = PublicRightSerializer(many=True)
    groundwater = PublicRightSerializer(many=True)
    withdrawal = PublicRightSerializer(many=True)
    irrigation = PublicIrrigationRightSerializer(many=True)


class KeyFiguresSerializer(serializers.Serializer):
    regional_total_m3 = serializers.IntegerField(allow_null=True)
    regional_registered = serializers.BooleanField()
    snwd_urban_m3 = serializers.IntegerField()
    certificates = serializers.IntegerField()
    associations_with_rights = serializers.IntegerField()
    households_with_rights = serializers.IntegerField()
    withdrawal_rights = serializers.IntegerField()
    trades_completed = serializers.IntegerField(allow_null=True)
    traded_volume_m3 = serializers.IntegerField(allow_null=True)
    open_listings = serializers.IntegerField(allow_null=True)
    complaints_received = serializers.IntegerField()
    complaints_closed = serializers.IntegerField()


class PublicNoticeSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.name")
    association = serializers.CharField(source="association.name")
    household_code = serializers.SerializerMethodField()
    region = serializers.CharField(source="region.name")

    class Meta:
        model = SupplyDemandNotice
        fields = ["number", "kind", "district", "association", "household_code", "region", "year", "volume_m3", "price_yuan_per_m3",
                  "description", "contact_via", "valid_until", "published_at", "is_demo"]

    def get_household_code(self, obj) -> str | None:
        return obj.household.code if obj.household_id else None


class PolicyDocumentSerializer(serializers.ModelSerializer):
    # Blank when the document has no public link: a plain string, so the schema does not promise a URI.
    url = serializers.CharField(read_only=True)

    class Meta:
        model = PolicyDocument
        fields = ["key", "title", "issuer", "level", "status", "doc_number", "issued_text", "planned_year", "summary", "source_section", "url"]


class PublicComplaintSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ComplaintKind.choices)
    topic = serializers.ChoiceField(choices=ComplaintTopic.choices)
    subject = serializers.CharField(max_length=200)
    content = serializers.CharField(max_length=4000)
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False, allow_null=True)
    trade_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    complainant_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    complainant_contact = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ComplaintReceiptSerializer(serializers.Serializer):
    number = serializers.CharField()
    receipt_code = serializers.CharField()


class ComplaintStatusQuerySerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    code = serializers.CharField(max_length=16)


class ComplaintStatusSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    topic = serializers.CharField()
    status = serializers.CharField()
    status_code = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    public_reply = serializers.CharField(allow_blank=True)
