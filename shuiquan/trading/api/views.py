"""The trading API (/api/v1/trading/): trades and every step of their procedures, listings,
auctions, savings, the order book, S6 restrictions, the editable rule lists, the impact preview,
the rules catalogue, and the public market information. Errors use the core JSON shape."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shuiquan.core.api.viewsets import ScopedModelViewSet
from shuiquan.core.errors import NotFound, ValidationFailed
from shuiquan.ledger.models import WaterRight
from shuiquan.registry import models as reg

from .. import documents, impact, market, orderbook, rules, services
from ..filtersets import TradeFilterSet
from ..models import (
    EliminatedIndustry,
    LegalProhibition,
    Listing,
    Order,
    OrderBookSession,
    OutflowCap,
    PollutantIntensity,
    Pooling,
    SavingsVerification,
    SectorQuota,
    Trade,
    TradingRestriction,
)
from ..steps import ACTIONS
from . import serializers as s

ERRORS = {400: OpenApiResponse(description="Invalid input"), 403: OpenApiResponse(description="Forbidden"),
          404: OpenApiResponse(description="Not found"), 409: OpenApiResponse(description="Conflict (state or concurrency)"),
          422: OpenApiResponse(description="Refused by a rule (`rule` names it: T4, S4, S5, S6, M2, T9 …)")}


def _trades_for(user):
    return services.visible_trades(user)


def _step(name: str, serializer_class, summary: str):
    call = ACTIONS[name][1]

    def view(self, request, pk=None):
        trade = services.trade_for_actor(request.user, pk)
        ser = serializer_class(data=request.data)
        ser.is_valid(raise_exception=True)
        result = services.run(call, trade, request.user, dict(ser.validated_data))
        target = result if isinstance(result, Trade) else Trade.objects.get(pk=trade.pk)
        return Response(s.TradeSerializer(target, context={"request": request}).data)

    view.__name__ = name
    view = extend_schema(summary=summary, request=serializer_class, responses={200: s.TradeSerializer, **ERRORS})(view)
    return action(detail=True, methods=["post"], url_path=name.replace("_", "-"))(view)


class TradeViewSet(viewsets.ReadOnlyModelViewSet):
    """Trades the user may see (parties, their county/district/association, the city; listed trades are visible to all signed-in users)."""

    serializer_class = s.TradeSerializer
    filterset_class = TradeFilterSet
    queryset = Trade.objects.all()

    def get_queryset(self):
        return _trades_for(self.request.user).select_related("seller_right", "buyer_right", "listing").order_by("-pk")

    def get_serializer_class(self):
        return s.TradeDetailSerializer if self.action == "retrieve" else s.TradeSerializer

    def get_object(self):
        return services.trade_for_actor(self.request.user, self.kwargs["pk"])

    @extend_schema(summary="Apply to sell (转让申请)", request=s.ApplySerializer, responses={201: s.TradeSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def apply(self, request):
        ser = s.ApplySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        trade = services.run(services.apply_trade, actor=request.user, **d)
        return Response(s.TradeSerializer(trade, context={"request": request}).data, status=status.HTTP_201_CREATED)

    consult_snwd = _step("consult_snwd", s.ConsultSerializer, "SNWD management unit's opinion (T2)")
    verify = _step("verify", s.VerifySerializer, "Verify by the original approving authority (T4, T5) / the city (regional) / the county (T10)")
    reject = _step("reject", s.TradeReasonSerializer, "Reject the application")
    file_record = _step("file_record", s.FileRecordSerializer, "File (备案) an irrigation trade over one year (T9)")
    publish = _step("publish", s.PublishSerializer, "List with a public notice period (locks the volume)")
    agree = _step("agree", s.AgreeSerializer, "Record a negotiated agreement (locks the volume)")
    close_notice = _step("close_notice", s.NoteSerializer, "Close the notice period: agreement, auction or failure")
    close_auction = _step("close_auction", s.NoteSerializer, "Close the auction: highest valid bid wins, losers refunded")
    sign = _step("sign", s.SignSerializer, "Sign the agreement (T6) for one's own side")
    file_province = _step("file_province", s.FileProvinceSerializer, "File a regional agreement with the province")
    pay = _step("pay", s.PaySerializer, "The buyer pays")
    settle = _step("settle", s.NoteSerializer, "Settle: fees, proceeds (F1/F3), trade certificate")
    register = _step("register", s.RegisterSerializer, "Register: post seller → buyer for each year; T7 permit change")
    expire = _step("expire", s.NoteSerializer, "Expire at the end of the term (T8)")
    cancel = _step("cancel", s.TradeReasonSerializer, "Cancel (releases locks, refunds deposits)")
    renew = _step("renew", s.RenewSerializer, "Renew by a new application (T8)")

    @extend_schema(summary="History: one row per transition", responses={200: s.TradeTransitionSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        trade = self.get_object()
        return Response(s.TradeTransitionSerializer(trade.history.all(), many=True).data)

    @extend_schema(summary="Impact preview of this trade (what-if)", responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def impact(self, request, pk=None):
        return Response(impact.preview_trade(self.get_object()))

    @extend_schema(summary="Register intent to buy a listed trade, with the deposit", request=s.IntentSerializer,
                   responses={201: s.IntentReadSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def intents(self, request, pk=None):
        trade = self.get_object()
        listing = Listing.objects.filter(trade=trade).first()
        if listing is None:
            raise NotFound("该交易没有挂牌", "This trade is not listed")
        ser = s.IntentSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        intent = services.run(services.register_intent, actor=request.user, listing=listing, **dict(ser.validated_data))
        return Response(s.IntentReadSerializer(intent).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="The auction and its bids", responses={200: s.AuctionSerializer, 404: ERRORS[404]})
    @action(detail=True, methods=["get"])
    def auction(self, request, pk=None):
        trade = self.get_object()
        listing = Listing.objects.filter(trade=trade).first()
        auc = getattr(listing, "auction", None) if listing is not None and hasattr(listing, "auction") else None
        if auc is None:
            raise NotFound("该交易没有竞价", "This trade has no auction")
        return Response(s.AuctionSerializer(auc).data)

    @extend_schema(summary="Place a bid in the auction", request=s.BidSerializer, responses={201: s.BidReadSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def bids(self, request, pk=None):
        trade = self.get_object()
        ser = s.BidSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        bid = services.run(services.place_bid, actor=request.user, trade=trade, **dict(ser.validated_data))
        return Response(s.BidReadSerializer(bid).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="The agreement PDF (T6 fields)", responses={(200, "application/pdf"): OpenApiTypes.BINARY, 409: ERRORS[409]})
    @action(detail=True, methods=["get"], url_path="agreement")
    def agreement(self, request, pk=None):
        return HttpResponse(documents.agreement_pdf(self.get_object()), content_type="application/pdf")

    @extend_schema(summary="The trade certificate (交易鉴证书) PDF", responses={(200, "application/pdf"): OpenApiTypes.BINARY, 409: ERRORS[409]})
    @action(detail=True, methods=["get"], url_path="certificate")
    def certificate(self, request, pk=None):
        return HttpResponse(documents.certificate_pdf(self.get_object()), content_type="application/pdf")


class ImpactPreviewView(APIView):
    """What-if: the year-by-year effect of a trade that does not exist yet, and every rule that would refuse it."""

    @extend_schema(request=s.ImpactSerializer, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def post(self, request):
        ser = s.ImpactSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        right = WaterRight.objects.restrict(request.user).filter(pk=d.pop("seller_right")).first()
        if right is None:
            raise ValidationFailed("unknown_right", "转让方用水权不存在或不可见", "No such (visible) seller right",
                                   detail={"fields": {"seller_right": ["用水权不存在"]}})
        check = impact.draft_check(seller_right=right, **d)
        return Response(impact.preview_check(check))


class RulesView(APIView):
    @extend_schema(summary="The rules the engine applies, with the stages they run at", responses={200: build_array_type(build_basic_type(OpenApiTypes.OBJECT))})
    def get(self, request):
        return Response(rules.catalogue())


class SavingsViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SavingsSerializer
    queryset = SavingsVerification.objects.all()

    def get_queryset(self):
        return SavingsVerification.objects.restrict(self.request.user).select_related("permit")

    @extend_schema(request=s.SavingsCreateSerializer, responses={201: s.SavingsSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        ser = s.SavingsCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        permit = reg.WithdrawalPermit.objects.restrict(request.user).filter(pk=d.pop("permit")).first()
        if permit is None:
            raise ValidationFailed("unknown_permit", "取水许可证不存在或不可见", "No such (visible) permit", detail={"fields": {"permit": ["不存在"]}})
        obj = services.run(services.submit_savings, actor=request.user, permit=permit, **d)
        return Response(s.SavingsSerializer(obj).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SavingsVerifySerializer, responses={200: s.SavingsSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        obj = self.get_object()
        ser = s.SavingsVerifySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        obj = services.run(services.verify_savings, actor=request.user, savings=obj, **dict(ser.validated_data))
        return Response(s.SavingsSerializer(obj).data)


class SessionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SessionSerializer
    queryset = OrderBookSession.objects.all().order_by("-opens_at")

    @extend_schema(request=s.SessionCreateSerializer, responses={201: s.SessionSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        ser = s.SessionCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        obj = services.run(orderbook.open_session, actor=request.user, **dict(ser.validated_data))
        return Response(s.SessionSerializer(obj).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Price levels of the live book", responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def depth(self, request, pk=None):
        return Response(orderbook.depth(self.get_object()))

    @extend_schema(summary="Place a limit order", request=s.OrderCreateSerializer, responses={201: s.OrderSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def orders(self, request, pk=None):
        ser = s.OrderCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        order = services.run(orderbook.place_order, actor=request.user, session=self.get_object(), **dict(ser.validated_data))
        order.refresh_from_db()
        return Response(s.OrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="End the opening window: recorded random draw, then matching", request=None, responses={200: s.SessionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def draw(self, request, pk=None):
        return Response(s.SessionSerializer(services.run(orderbook.run_draw, actor=request.user, session=self.get_object())).data)

    @extend_schema(summary="Close the session (unfilled orders expire, locks released)", request=None, responses={200: s.SessionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return Response(s.SessionSerializer(services.run(orderbook.close_session, actor=request.user, session=self.get_object())).data)


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.OrderSerializer
    queryset = Order.objects.all()

    def get_queryset(self):
        return Order.objects.restrict(self.request.user).order_by("-pk")

    @extend_schema(summary="Cancel an order (releases its lock)", request=None, responses={200: s.OrderSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(s.OrderSerializer(services.run(orderbook.cancel_order, actor=request.user, order=self.get_object())).data)


class PoolingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """归集: an association's households pool volume into its right before it sells (T9, T10);
    visible to the association, its district unit, its county and city-wide roles."""

    serializer_class = s.PoolingSerializer
    queryset = Pooling.objects.all()

    def get_queryset(self):
        return (Pooling.objects.restrict(self.request.user).select_related("association", "association_right", "entry")
                .prefetch_related("shares__household", "shares__household_right", "returns__entry").order_by("-pk"))

    @extend_schema(summary="Pool households' volume into the association's right (归集)", request=s.PoolingCreateSerializer,
                   responses={201: s.PoolingSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        ser = s.PoolingCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        association = reg.Association.objects.restrict(request.user).filter(pk=d.pop("association")).first()
        if association is None:
            raise ValidationFailed("unknown_association", "协会不存在或不可见", "No such (visible) association",
                                   detail={"fields": {"association": ["不存在"]}})
        obj = services.run(services.pool_household_volume, actor=request.user, association=association, **d)
        return Response(s.PoolingSerializer(self.get_queryset().get(pk=obj.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Give pooled volume back to the households (pro rata to what they gave)", request=s.PoolingReturnCreateSerializer,
                   responses={200: s.PoolingSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return")
    def give_back(self, request, pk=None):
        obj = self.get_object()
        ser = s.PoolingReturnCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.run(services.return_pooled_volume, actor=request.user, pooling=obj, **dict(ser.validated_data))
        return Response(s.PoolingSerializer(self.get_queryset().get(pk=obj.pk)).data)


class RestrictionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """S6 restrictions: read by everyone signed in; imposed and lifted by the city bureau (supervision will drive these)."""

    serializer_class = s.RestrictionSerializer
    queryset = TradingRestriction.objects.all().order_by("-pk")

    @extend_schema(request=s.RestrictionCreateSerializer, responses={201: s.RestrictionSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        ser = s.RestrictionCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        lookups = {"region": reg.Region, "water_user": reg.WaterUser, "association": reg.Association}
        for key, model in lookups.items():
            if d.get(key) is not None:
                obj = model.objects.filter(pk=d[key]).first()
                if obj is None:
                    raise ValidationFailed("unknown_party", f"{key} 不存在", f"No such {key}", detail={"fields": {key: ["不存在"]}})
                d[key] = obj
        obj = services.run(services.impose_restriction, actor=request.user, **d)
        return Response(s.RestrictionSerializer(obj).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TradeReasonSerializer, responses={200: s.RestrictionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        ser = s.TradeReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        obj = services.run(services.lift_restriction, actor=request.user, restriction=self.get_object(), reason=ser.validated_data["reason"])
        return Response(s.RestrictionSerializer(obj).data)


def _config_viewset(model, serializer):
    return type(f"{model.__name__}ViewSet", (ScopedModelViewSet,), {
        "queryset": model.objects.all().order_by("pk"), "serializer_class": serializer, "write_serializer_class": serializer,
        "__doc__": f"{model._meta.verbose_name}: editable by the city bureau (audited)."})


EliminatedIndustryViewSet = _config_viewset(EliminatedIndustry, s.EliminatedIndustrySerializer)
SectorQuotaViewSet = _config_viewset(SectorQuota, s.SectorQuotaSerializer)
PollutantIntensityViewSet = _config_viewset(PollutantIntensity, s.PollutantIntensitySerializer)
LegalProhibitionViewSet = _config_viewset(LegalProhibition, s.LegalProhibitionSerializer)
OutflowCapViewSet = _config_viewset(OutflowCap, s.OutflowCapSerializer)


# --- Public market information (no login) --------------------------------------------------------

ListingRow = inline_serializer("MarketListing", many=True, fields={
    "listing": serializers.CharField(), "trade": serializers.CharField(), "type": serializers.CharField(), "seller": serializers.CharField(),
    "volume_m3": serializers.IntegerField(), "start_year": serializers.IntegerField(), "end_year": serializers.IntegerField(),
    "listed_price": serializers.DecimalField(max_digits=12, decimal_places=4), "notice_ends_at": serializers.DateTimeField(),
    "status": serializers.CharField()})
DealRow = inline_serializer("MarketDeal", many=True, fields={
    "trade": serializers.CharField(), "type": serializers.CharField(), "mode": serializers.CharField(), "seller": serializers.CharField(),
    "buyer": serializers.CharField(), "volume_m3": serializers.IntegerField(), "start_year": serializers.IntegerField(),
    "end_year": serializers.IntegerField(), "unit_price": serializers.DecimalField(max_digits=12, decimal_places=4),
    "completed_at": serializers.DateTimeField()})


def _plain(value):
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class MarketListingsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Listings open now (public)", responses={200: ListingRow})
    def get(self, request):
        return Response(_plain([market.listing_row(x) for x in market.open_listings()]))


class MarketDealsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Completed trades, households de-identified (public)", responses={200: DealRow})
    def get(self, request):
        return Response(_plain([market.deal_row(t) for t in market.completed_trades()[:500]]))


class MarketStatsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Volume and count by type and year; price per m³ by type with a rolling median (public)",
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(_plain(market.stats()))


class ReserveViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Reserves (收储) with their funders (F3) and this year's balances; set up by the city bureau."""

    serializer_class = s.ReserveSerializer

    def get_queryset(self):
        from shuiquan.ledger.models import Reserve

        return Reserve.objects.select_related("region").order_by("pk")

    @extend_schema(request=s.ReserveSerializer, responses={201: s.ReserveSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        ser = s.ReserveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        region = reg.Region.objects.filter(pk=d.pop("region_id")).first()
        if region is None:
            raise ValidationFailed("unknown_region", "行政区不存在", "No such region", detail={"fields": {"region": ["不存在"]}})
        obj = services.run(services.create_reserve, actor=request.user, region=region, **d)
        return Response(s.ReserveSerializer(obj).data, status=status.HTTP_201_CREATED)


class OutsideRegionView(APIView):
    """Register a counterparty city outside Nanyang (e.g. 郑州市) for SNWD cross-region trades."""

    @extend_schema(request=s.OutsideRegionSerializer, responses={201: s.OutsideRegionSerializer, **ERRORS})
    def post(self, request):
        from shuiquan.core.scoping import require_role

        ser = s.OutsideRegionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        require_role(request.user)
        region = services.ensure_outside_region(actor=request.user, **dict(ser.validated_data))
        return Response(s.OutsideRegionSerializer(region).data, status=status.HTTP_201_CREATED)


class SourceFlagsViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """S4 area lists on the registry's water sources: overdraft (groundwater) and overloaded (surface)."""

    serializer_class = s.SourceFlagsSerializer
    queryset = reg.WaterSource.objects.all().order_by("kind", "name")
    http_method_names = ["get", "patch", "put", "head", "options"]

    @extend_schema(request=s.SourceFlagsSerializer, responses={200: s.SourceFlagsSerializer, **ERRORS})
    def update(self, request, *args, **kwargs):
        source = self.get_object()
        if not isinstance(request.data, dict):
            raise ValidationFailed("invalid", "请求内容须为对象", "The request body must be an object")
        ser = s.SourceFlagsSerializer(data={"is_overdraft_area": source.is_overdraft_area, "is_overloaded": source.is_overloaded,
                                            **request.data})
        ser.is_valid(raise_exception=True)
        obj = services.run(services.set_source_flags, actor=request.user, source=source, **dict(ser.validated_data))
        return Response(s.SourceFlagsSerializer(obj).data)
