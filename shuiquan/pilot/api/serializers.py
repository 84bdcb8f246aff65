from rest_framework import serializers

from ..models import BudgetItem, PilotTask, Spending, TaskStatus


class PilotTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = PilotTask
        fields = ["id", "source", "number", "sub_number", "years", "year_end", "title", "content", "responsible", "status",
                  "progress", "note", "updated_at"]


class TaskUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TaskStatus.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class BudgetItemSerializer(serializers.ModelSerializer):
    spent = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    remaining = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = BudgetItem
        fields = ["id", "code", "name", "amount", "spent", "remaining"]


class SpendingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Spending
        fields = ["id", "item", "date", "amount", "description", "voucher", "corrects", "entered_by", "entered_at", "is_demo"]
        read_only_fields = ["corrects", "entered_by", "entered_at", "is_demo"]


class KPISerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    target_low = serializers.IntegerField()
    target_high = serializers.IntegerField(allow_null=True)
    basis = serializers.CharField()
    in_period = serializers.IntegerField()
    to_date = serializers.IntegerField()
    met = serializers.BooleanField()
