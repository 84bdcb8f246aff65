from rest_framework import serializers

from ..models import JournalEntry, Posting, RightBalance, VolumeLock, WaterRight


class BalanceSerializer(serializers.ModelSerializer):
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = RightBalance
        fields = ["year", "balance", "locked", "available"]


class RightSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", default=None, allow_null=True, read_only=True)
    parent_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = WaterRight
        fields = ["id", "number", "kind", "name", "holder_kind", "holder_name", "region", "region_name", "source_type", "use",
                  "annual_volume_m3", "valid_from", "valid_to", "legal_basis", "permit", "certificate_number", "parent_id", "status",
                  "is_tradable", "is_demo"]


class RightDetailSerializer(RightSerializer):
    balances = BalanceSerializer(many=True, read_only=True)
    children = serializers.SerializerMethodField()

    class Meta(RightSerializer.Meta):
        fields = RightSerializer.Meta.fields + ["balances", "children"]

    def get_children(self, obj) -> list[dict]:
        return [{"id": c.pk, "number": c.number, "holder_name": c.holder_name, "annual_volume_m3": c.annual_volume_m3, "status": c.status}
                for c in obj.children.order_by("pk")]


class PostingSerializer(serializers.ModelSerializer):
    right_number = serializers.CharField(source="right.number", read_only=True)
    right_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Posting
        fields = ["right_id", "right_number", "year", "amount"]


class EntrySerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    reverses_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = JournalEntry
        fields = ["id", "number", "kind", "memo", "effective_date", "created_at", "reverses_id", "reference_type", "reference_id", "is_demo"]


class EntryDetailSerializer(EntrySerializer):
    postings = PostingSerializer(many=True, read_only=True)

    class Meta(EntrySerializer.Meta):
        fields = EntrySerializer.Meta.fields + ["postings"]


class LockSerializer(serializers.ModelSerializer):
    right_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = VolumeLock
        fields = ["id", "right_id", "year", "amount", "kind", "status", "reference_type", "reference_id", "memo", "created_at", "closed_at",
                  "close_reason"]
