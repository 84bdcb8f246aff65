"""API serializers: read shapes of trades, listings, savings, orders, restrictions and the rule
lists; input shapes of every step. Serializers only validate and convert; the services decide."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shuiquan.registry.choices import WaterUse
from shuiquan.registry.models import Sector, WaterSource

from ..choices import Basis, RestrictionGround, RestrictionKind, SavingSource, Side, TradeMode, TradeType
from ..models import (
    Auction,
    Bid,
    EliminatedIndustry,
    LegalProhibition,
    Listing,
    ListingIntent,
    Order,
    OrderBookSession,
    OutflowCap,
    Payment,
    PermitChange,
    PollutantIntensity,
    Pooling,
    PoolingReturn,
    PoolingShare,
    SavingsVerification,
    SectorQuota,
    Trade,
    TradeTransition,
    TradingRestriction,
)

PRICE = {"max_digits": 12, "decimal_places": 4, "min_value": 0}


class TradeTransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = TradeTransition
        fields = ["name", "label", "source", "target", "actor_name", "actor_role", "at", "note"]


class ListingBriefSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    auction_ends_at = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = ["id", "number", "listed_price", "notice_starts_at", "notice_ends_at", "priority_until", "priority_scope",
                  "deposit_rate", "deposit_amount", "status", "status_label", "auction_ends_at"]

    def get_auction_ends_at(self, obj) -> dt.datetime | None:
        auction = getattr(obj, "auction", None) if hasattr(obj, "auction") else None
        return auction.ends_at if auction else None


class VerificationCountdownSerializer(serializers.Serializer):
    """The T5 verification deadline of an application still waiting for verification."""

    due = serializers.DateField()
    working_days_left = serializers.IntegerField()
    overdue = serializers.BooleanField()


class TradeSerializer(serializers.ModelSerializer):
    type_label = serializers.CharField(source="get_trade_type_display", read_only=True)
    mode_label = serializers.CharField(source="get_mode_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    term_years = serializers.IntegerField(read_only=True)
    total_volume_m3 = serializers.IntegerField(read_only=True)
    seller_right_number = serializers.CharField(source="seller_right.number", read_only=True)
    buyer_right_number = serializers.CharField(source="buyer_right.number", read_only=True, default=None, allow_null=True)
    listing = serializers.SerializerMethodField()
    verification_countdown = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = Trade
        fields = [
            "id", "number", "trade_type", "type_label", "mode", "mode_label", "status", "status_label", "is_snwd", "basis", "savings",
            "seller_right", "seller_right_number", "seller_name", "seller_kind", "seller_permit", "seller_region",
            "buyer_ref", "buyer_right", "buyer_right_number", "buyer_name", "buyer_kind", "buyer_permit", "buyer_region",
            "volume_m3", "start_year", "end_year", "term_years", "total_volume_m3", "unit_price", "total_price", "use",
            "intake_location", "default_liability", "dispute_resolution", "verifying_authority", "verification_due",
            "verification_countdown", "verified_at", "filing_number", "province_filing_number", "agreement_number",
            "seller_signed_at", "buyer_signed_at", "seller_fee", "buyer_fee", "proceeds", "proceeds_to", "settled_at",
            "certificate_number", "registered_at", "entry", "completed_at", "renewal_of", "listing", "available_actions", "is_demo",
        ]

    @extend_schema_field(ListingBriefSerializer(allow_null=True))
    def get_listing(self, obj):
        try:
            listing = obj.listing  # select_related by the list (no query per trade)
        except Listing.DoesNotExist:
            return None
        return ListingBriefSerializer(listing).data

    @extend_schema_field(VerificationCountdownSerializer(allow_null=True))
    def get_verification_countdown(self, obj):
        from ..workdays import countdown

        if obj.status not in ("applied", "consulted"):
            return None
        cd = countdown(obj.verification_due)
        return {"due": cd["due"].isoformat(), "working_days_left": cd["left"], "overdue": cd["overdue"]} if cd else None

    def get_available_actions(self, obj) -> list[str]:
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return []
        from ..views import available_actions

        return available_actions(obj, request.user)


class PaymentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "trade", "intent", "kind", "kind_label", "payer", "payee", "amount", "reference", "at"]


class PermitChangeSerializer(serializers.ModelSerializer):
    seller_permit_number = serializers.CharField(source="seller_permit.number", read_only=True)
    buyer_permit_number = serializers.CharField(source="buyer_permit.number", read_only=True)

    class Meta:
        model = PermitChange
        fields = ["id", "kind", "approval_number", "seller_permit", "seller_permit_number", "buyer_permit", "buyer_permit_number",
                  "seller_volume_before_m3", "seller_volume_after_m3", "buyer_volume_before_m3", "buyer_volume_after_m3",
                  "seller_use", "buyer_use", "seller_plans", "buyer_plans", "approved_at"]


class TradeDetailSerializer(TradeSerializer):
    history = TradeTransitionSerializer(many=True, read_only=True)
    payments = serializers.SerializerMethodField()
    permit_changes = serializers.SerializerMethodField()

    class Meta(TradeSerializer.Meta):
        fields = TradeSerializer.Meta.fields + ["history", "payments", "permit_changes"]

    @extend_schema_field(PaymentSerializer(many=True))
    def get_payments(self, obj):
        request = self.context.get("request")
        from ..views import _can_see_money

        if request is None or not _can_see_money(obj, request.user):
            return []
        return PaymentSerializer(obj.payments.order_by("pk"), many=True).data

    @extend_schema_field(PermitChangeSerializer(many=True))
    def get_permit_changes(self, obj):
        return PermitChangeSerializer(obj.permit_changes.all(), many=True).data


# --- Inputs ---------------------------------------------------------------------------------------


class ApplySerializer(serializers.Serializer):
    trade_type = serializers.ChoiceField(choices=TradeType.choices)
    seller_right = serializers.IntegerField(min_value=1, help_text="The ledger right the volume is sold from (WaterRight id)")
    volume_m3 = serializers.IntegerField(min_value=1, help_text="Annual volume in m³")
    start_year = serializers.IntegerField(min_value=2000, max_value=2200)
    end_year = serializers.IntegerField(min_value=2000, max_value=2200)
    mode = serializers.ChoiceField(choices=[TradeMode.NEGOTIATED, TradeMode.LISTING], default=TradeMode.NEGOTIATED)
    buyer = serializers.CharField(required=False, allow_blank=True, default="", help_text="permit:ID / region:ID / reserve:ID / association:ID / household:ID")
    unit_price = serializers.DecimalField(required=False, allow_null=True, **PRICE)
    basis = serializers.ChoiceField(choices=Basis.choices, required=False, allow_blank=True, default="")
    savings = serializers.PrimaryKeyRelatedField(queryset=SavingsVerification.objects.all(), required=False, allow_null=True)
    use = serializers.ChoiceField(choices=WaterUse.choices, required=False, allow_blank=True, default="")
    intake_location = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    project_sector = serializers.SlugRelatedField(slug_field="code", queryset=Sector.objects.all(), required=False, allow_null=True)
    project_product = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    project_water_per_unit = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ImpactSerializer(serializers.Serializer):
    trade_type = serializers.ChoiceField(choices=TradeType.choices)
    seller_right = serializers.IntegerField(min_value=1)
    volume_m3 = serializers.IntegerField(min_value=1)
    start_year = serializers.IntegerField(min_value=2000, max_value=2200)
    end_year = serializers.IntegerField(min_value=2000, max_value=2200)
    buyer = serializers.CharField(required=False, allow_blank=True, default="")
    basis = serializers.ChoiceField(choices=Basis.choices, required=False, allow_blank=True, default="")
    savings = serializers.PrimaryKeyRelatedField(queryset=SavingsVerification.objects.all(), required=False, allow_null=True)
    use = serializers.ChoiceField(choices=WaterUse.choices, required=False, allow_blank=True, default="")
    project_sector = serializers.SlugRelatedField(slug_field="code", queryset=Sector.objects.all(), required=False, allow_null=True)
    project_product = serializers.CharField(required=False, allow_blank=True, default="")
    project_water_per_unit = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0, required=False, allow_null=True)
    filed = serializers.BooleanField(required=False, default=False)
    third_party_harm = serializers.BooleanField(required=False, default=False)
    needs_new_groundwater = serializers.BooleanField(required=False, default=False)
    use_change_approved = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs["end_year"] < attrs["start_year"] or attrs["end_year"] - attrs["start_year"] > 50:
            raise serializers.ValidationError({"end_year": "终止年度无效 / invalid end year"})
        return attrs


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TradeReasonSerializer(serializers.Serializer):
    """A reason (rejecting or cancelling a trade, lifting a restriction). Named apart from
    allocation's optional-reason body so the two OpenAPI components do not collide."""

    reason = serializers.CharField()


class ConsultSerializer(serializers.Serializer):
    opinion = serializers.CharField()


class VerifySerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    verified_m3 = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    works_manager_opinion = serializers.CharField(required=False, allow_blank=True, default="")
    use_change_approved = serializers.BooleanField(required=False, default=False)
    third_party_harm = serializers.BooleanField(required=False, default=False)
    needs_new_groundwater = serializers.BooleanField(required=False, default=False)


class FileRecordSerializer(serializers.Serializer):
    filed_with = serializers.CharField(max_length=120)
    filing_number = serializers.CharField(max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PublishSerializer(serializers.Serializer):
    listed_price = serializers.DecimalField(**PRICE)
    notice_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=60)
    conditions = serializers.CharField(required=False, allow_blank=True, default="")


class AgreeSerializer(serializers.Serializer):
    unit_price = serializers.DecimalField(**PRICE)
    buyer = serializers.CharField(required=False, allow_blank=True, default="")
    use = serializers.ChoiceField(choices=WaterUse.choices, required=False, allow_blank=True, default="")
    intake_location = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    default_liability = serializers.CharField(required=False, allow_blank=True, default="")
    dispute_resolution = serializers.CharField(required=False, allow_blank=True, default="")


class SignSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=["", "seller", "buyer"], required=False, allow_blank=True, default="")


class FileProvinceSerializer(serializers.Serializer):
    filing_number = serializers.CharField(max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PaySerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=80)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)


class RegisterSerializer(serializers.Serializer):
    approval_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    seller_plans = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False, allow_null=True)
    buyer_plans = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False, allow_null=True)


class RenewSerializer(serializers.Serializer):
    unit_price = serializers.DecimalField(required=False, allow_null=True, **PRICE)
    end_year = serializers.IntegerField(required=False, allow_null=True, min_value=2000, max_value=2200)
    savings = serializers.PrimaryKeyRelatedField(queryset=SavingsVerification.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class IntentSerializer(serializers.Serializer):
    buyer = serializers.CharField()
    deposit_reference = serializers.CharField(max_length=80)
    use = serializers.ChoiceField(choices=WaterUse.choices, required=False, allow_blank=True, default="")
    intake_location = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    project_sector = serializers.SlugRelatedField(slug_field="code", queryset=Sector.objects.all(), required=False, allow_null=True)
    project_product = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    project_water_per_unit = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0, required=False, allow_null=True)


class IntentReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = ListingIntent
        fields = ["id", "listing", "buyer_ref", "buyer_name", "buyer_kind", "is_priority", "deposit_amount", "deposit_status", "status",
                  "registered_at"]


class BidSerializer(serializers.Serializer):
    buyer = serializers.CharField()
    unit_price = serializers.DecimalField(**PRICE)


class BidReadSerializer(serializers.ModelSerializer):
    buyer_name = serializers.CharField(source="intent.buyer_name", read_only=True)

    class Meta:
        model = Bid
        fields = ["id", "buyer_name", "unit_price", "placed_at", "extended_to"]


class AuctionSerializer(serializers.ModelSerializer):
    bids = serializers.SerializerMethodField()

    class Meta:
        model = Auction
        fields = ["id", "start_price", "min_increment", "starts_at", "original_ends_at", "ends_at", "extend_window_minutes",
                  "extend_minutes", "extensions", "status", "closed_at", "bids"]

    @extend_schema_field(BidReadSerializer(many=True))
    def get_bids(self, obj):
        return BidReadSerializer(obj.bids.select_related("intent").order_by("-unit_price", "placed_at", "pk"), many=True).data


class SavingsSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    source_label = serializers.CharField(source="get_source_kind_display", read_only=True)

    class Meta:
        model = SavingsVerification
        fields = ["id", "number", "permit", "water_user", "region", "source_kind", "source_label", "description", "claimed_m3", "verified_m3",
                  "first_year", "last_year", "evidence", "contractor_name", "host_unit", "contractor_share_pct", "host_share_pct",
                  "reclaimed_source", "reclaimed_m3", "verifying_authority", "works_manager_opinion", "status", "status_label", "submitted_at",
                  "due_on", "verified_at", "decision_note", "is_demo"]


class SavingsCreateSerializer(serializers.Serializer):
    permit = serializers.IntegerField(min_value=1)
    source_kind = serializers.ChoiceField(choices=SavingSource.choices)
    description = serializers.CharField()
    claimed_m3 = serializers.IntegerField(min_value=1)
    first_year = serializers.IntegerField(min_value=2000, max_value=2200)
    last_year = serializers.IntegerField(min_value=2000, max_value=2200)
    evidence = serializers.CharField()
    contractor_name = serializers.CharField(required=False, allow_blank=True, default="")
    host_unit = serializers.CharField(required=False, allow_blank=True, default="")
    contractor_share_pct = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    host_share_pct = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    reclaimed_source = serializers.PrimaryKeyRelatedField(queryset=WaterSource.objects.all(), required=False, allow_null=True)
    reclaimed_m3 = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class SavingsVerifySerializer(serializers.Serializer):
    approve = serializers.BooleanField(default=True)
    verified_m3 = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    works_manager_opinion = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SessionSerializer(serializers.ModelSerializer):
    phase = serializers.SerializerMethodField()

    class Meta:
        model = OrderBookSession
        fields = ["id", "year", "district", "opens_at", "opening_ends_at", "closes_at", "lot_m3", "draw_seed", "draw_order", "drawn_at",
                  "closed_at", "phase"]

    def get_phase(self, obj) -> str:
        from ..orderbook import phase

        return phase(obj)


class SessionCreateSerializer(serializers.Serializer):
    opening_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=600)
    hours = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=24)


class OrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "session", "side", "right", "party_name", "association", "household", "lots", "remaining_lots", "limit_price",
                  "status", "book_seq", "draw_position", "placed_at", "closed_at"]


class OrderCreateSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=Side.choices)
    party = serializers.CharField(help_text="association:ID or household:ID")
    lots = serializers.IntegerField(min_value=1)
    limit_price = serializers.DecimalField(**PRICE)


class PoolingShareSerializer(serializers.ModelSerializer):
    household_code = serializers.CharField(source="household.code", read_only=True)
    household_right_number = serializers.CharField(source="household_right.number", read_only=True)

    class Meta:
        model = PoolingShare
        fields = ["household", "household_code", "household_right", "household_right_number", "weight_m3", "volume_m3", "returned_m3"]


class PoolingReturnSerializer(serializers.ModelSerializer):
    entry_number = serializers.CharField(source="entry.number", read_only=True, default=None, allow_null=True)

    class Meta:
        model = PoolingReturn
        fields = ["id", "volume_m3", "shares", "reason", "entry", "entry_number", "created_at"]


class PoolingSerializer(serializers.ModelSerializer):
    association_name = serializers.CharField(source="association.name", read_only=True)
    association_right_number = serializers.CharField(source="association_right.number", read_only=True)
    entry_number = serializers.CharField(source="entry.number", read_only=True, default=None, allow_null=True)
    outstanding_m3 = serializers.IntegerField(read_only=True)
    shares = PoolingShareSerializer(many=True, read_only=True)
    returns = PoolingReturnSerializer(many=True, read_only=True)

    class Meta:
        model = Pooling
        fields = ["id", "number", "association", "association_name", "association_right", "association_right_number", "region",
                  "first_year", "last_year", "volume_m3", "returned_m3", "outstanding_m3", "consent_only", "reason", "entry",
                  "entry_number", "created_at", "shares", "returns", "is_demo"]


class PoolingCreateSerializer(serializers.Serializer):
    association = serializers.IntegerField(min_value=1)
    volume_m3 = serializers.IntegerField(min_value=1, help_text="m³ for each year, from the households to the association's right")
    first_year = serializers.IntegerField(min_value=2000, max_value=2200)
    last_year = serializers.IntegerField(min_value=2000, max_value=2200, required=False, allow_null=True)
    households = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, allow_null=True, allow_empty=False,
                                       help_text="Only these (consenting) households, pro rata among them; omitted: all households")
    reason = serializers.CharField()


class PoolingReturnCreateSerializer(serializers.Serializer):
    volume_m3 = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                         help_text="m³ for each year of the pooling; omitted: all that is still outstanding")
    reason = serializers.CharField()


class RestrictionSerializer(serializers.ModelSerializer):
    party = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = TradingRestriction
        fields = ["id", "kind", "cut_pct", "ground", "region", "water_user", "association", "party", "reason", "imposed_at", "lifted_at",
                  "lift_reason", "is_active"]


class RestrictionCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RestrictionKind.choices)
    ground = serializers.ChoiceField(choices=RestrictionGround.choices)
    reason = serializers.CharField()
    region = serializers.IntegerField(required=False, allow_null=True)
    water_user = serializers.IntegerField(required=False, allow_null=True)
    association = serializers.IntegerField(required=False, allow_null=True)
    cut_pct = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)


class EliminatedIndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = EliminatedIndustry
        fields = ["id", "sector", "product_keyword", "catalogue_item", "is_active"]


class SectorQuotaSerializer(serializers.ModelSerializer):
    class Meta:
        model = SectorQuota
        fields = ["id", "sector", "product", "unit", "quota_m3_per_unit", "standard"]


class PollutantIntensitySerializer(serializers.ModelSerializer):
    class Meta:
        model = PollutantIntensity
        fields = ["id", "sector", "use", "cod_kg_per_10k_m3", "nh3n_kg_per_10k_m3", "basis"]


class LegalProhibitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = LegalProhibition
        fields = ["id", "side", "region", "water_user", "association", "legal_basis", "is_active"]


class OutflowCapSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutflowCap
        fields = ["id", "association", "region", "cap_m3", "is_active", "note"]


class ReserveSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    region = serializers.IntegerField(source="region_id")
    name = serializers.CharField(max_length=80)
    operator = serializers.CharField(max_length=80)
    funder = serializers.CharField(max_length=120)
    rights = serializers.SerializerMethodField()

    def get_rights(self, obj) -> list[dict]:
        from shuiquan.ledger.models import RightBalance, WaterRight

        from .. import clock

        year = clock.this_year()
        out = []
        for w in WaterRight.objects.filter(reserve=obj).order_by("pk"):
            b = RightBalance.objects.filter(right=w, year=year).first()
            out.append({"right": w.number, "source_type": w.source_type, "year": year, "balance_m3": b.balance if b else 0,
                        "locked_m3": b.locked if b else 0})
        return out


class OutsideRegionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=50)
    name_en = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class SourceFlagsSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    is_overdraft_area = serializers.BooleanField()
    is_overloaded = serializers.BooleanField()
