from rest_framework import serializers

from shuiquan.ledger.models import WaterRight
from shuiquan.registry.models import Reservoir, WaterUser

from ..models import Bank, FeeRightTransfer, FundAccount, FundEntry, FundLine, Pledge, PledgeEvent, PledgeKind


class BankSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bank
        fields = ["id", "name", "code", "is_demo"]


class PledgeEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = PledgeEvent
        fields = ["at", "actor", "from_status", "to_status", "note"]


class PledgeSerializer(serializers.ModelSerializer):
    right_number = serializers.CharField(source="right.number")
    bank_name = serializers.CharField(source="bank.name")
    events = PledgeEventSerializer(many=True, read_only=True)
    enforcement_trade_number = serializers.SerializerMethodField()

    class Meta:
        model = Pledge
        fields = ["id", "number", "kind", "right", "right_number", "bank", "bank_name", "first_year", "last_year", "volume_m3",
                  "secured_amount", "loan_contract_no", "bank_reference", "purpose", "status", "applied_at", "registered_at", "closed_at",
                  "enforcement_buyer", "enforcement_trade", "enforcement_trade_number", "events", "is_demo"]

    def get_enforcement_trade_number(self, obj) -> str | None:
        return obj.enforcement_trade.number if obj.enforcement_trade_id else None


class PledgeApplySerializer(serializers.Serializer):
    right = serializers.PrimaryKeyRelatedField(queryset=WaterRight.objects.all())
    bank = serializers.PrimaryKeyRelatedField(queryset=Bank.objects.all())
    kind = serializers.ChoiceField(choices=PledgeKind.choices)
    first_year = serializers.IntegerField(min_value=2000, max_value=2100)
    last_year = serializers.IntegerField(min_value=2000, max_value=2100)
    volume_m3 = serializers.IntegerField(min_value=0)
    secured_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    loan_contract_no = serializers.CharField(max_length=60)
    purpose = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BankReferenceSerializer(serializers.Serializer):
    bank_reference = serializers.CharField(max_length=60)


class PledgeNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class EnforcementRequestSerializer(serializers.Serializer):
    buyer = serializers.CharField(max_length=200)
    reason = serializers.CharField(max_length=300)


class EnforcementApproveSerializer(serializers.Serializer):
    buyer = serializers.CharField(max_length=40, help_text="permit:ID / region:ID / reserve:ID / association:ID / household:ID")
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=4)
    savings = serializers.IntegerField(required=False, allow_null=True, help_text="a verified saving record (permit rights, T4)")
    works_manager_opinion = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class FeeRightSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeeRightTransfer
        fields = ["id", "number", "grantor", "project", "reservoir", "transferee", "bank", "amount", "start_date", "end_date", "purpose",
                  "status", "registered_by", "registered_at", "is_demo"]


class FeeRightCreateSerializer(serializers.Serializer):
    grantor = serializers.PrimaryKeyRelatedField(queryset=WaterUser.objects.all())
    project = serializers.CharField(max_length=120)
    reservoir = serializers.PrimaryKeyRelatedField(queryset=Reservoir.objects.all(), required=False, allow_null=True)
    transferee = serializers.CharField(max_length=120)
    bank = serializers.PrimaryKeyRelatedField(queryset=Bank.objects.all(), required=False, allow_null=True)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    purpose = serializers.CharField(max_length=200)


class FundAccountSerializer(serializers.ModelSerializer):
    balance = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = FundAccount
        fields = ["id", "code", "kind", "name", "region", "balance"]


class FundLineSerializer(serializers.ModelSerializer):
    account_code = serializers.CharField(source="account.code")
    account_name = serializers.CharField(source="account.name")

    class Meta:
        model = FundLine
        fields = ["account", "account_code", "account_name", "amount", "memo"]


class FundEntrySerializer(serializers.ModelSerializer):
    lines = FundLineSerializer(many=True, read_only=True)
    trade_number = serializers.SerializerMethodField()

    class Meta:
        model = FundEntry
        fields = ["id", "number", "kind", "rule", "trade", "trade_number", "payment", "memo", "reference", "effective_date", "created_at",
                  "created_by", "reverses", "pledge", "lines", "is_demo"]

    def get_trade_number(self, obj) -> str | None:
        return obj.trade.number if obj.trade_id else None


class TradeFundsSerializer(serializers.Serializer):
    trade = serializers.CharField()
    rule = serializers.CharField()
    total_price = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    price_paid = serializers.DecimalField(max_digits=16, decimal_places=2)
    buyer_fee = serializers.DecimalField(max_digits=16, decimal_places=2)
    seller_fee = serializers.DecimalField(max_digits=16, decimal_places=2)
    tax = serializers.DecimalField(max_digits=16, decimal_places=2)
    net = serializers.DecimalField(max_digits=16, decimal_places=2)
    recipients = serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=2))
    deposits_held = serializers.DecimalField(max_digits=16, decimal_places=2)
    settlement_balance = serializers.DecimalField(max_digits=16, decimal_places=2)
    non_tax = serializers.DecimalField(max_digits=16, decimal_places=2)
    distributed = serializers.DecimalField(max_digits=16, decimal_places=2)
    issues = serializers.ListField(child=serializers.CharField())
    entries = FundEntrySerializer(many=True)


class ReconcileRowSerializer(serializers.Serializer):
    trade = serializers.CharField()
    trade_id = serializers.IntegerField()
    issues = serializers.ListField(child=serializers.CharField())


class OrderbookReferenceSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=80)


class FundReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
