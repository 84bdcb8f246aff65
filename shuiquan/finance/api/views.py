"""Finance API (/api/v1/finance/): the trade funds ledger (read; the finance bureau's postings),
pledges with their procedure, fee-collection-right transfers, banks. Writes go through
``finance.services`` / ``finance.funds``; errors are the core JSON shape."""

from __future__ import annotations

from django.db.models import Sum
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from shuiquan.core.api.viewsets import ScopedReadOnlyViewSet
from shuiquan.core import retry
from shuiquan.core.errors import Forbidden, NotFound
from shuiquan.core.roles import Role

from .. import funds, services
from ..models import Bank, FeeRightTransfer, FundAccount, FundEntry, Pledge
from . import serializers as s


def _reader(user):
    if not (user.is_superuser or user.role in (Role.CITY_ADMIN, Role.FINANCE_OFFICER, Role.AUDITOR)):
        raise Forbidden(code="role_required", message="交易资金由市财政局、市水利局和审计监督查看",
                        message_en="Trade funds are read by the finance bureau, the city bureau and auditors")


class BankViewSet(ScopedReadOnlyViewSet):
    queryset = Bank.objects.all()
    serializer_class = s.BankSerializer


class PledgeViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Pledges and mortgages of water rights (or of their income): apply → bank confirms → bureau
    registers (volume locked) → pledgee releases, or pledgee asks for enforcement → city bureau
    approves (sold through trading, pledgee paid first)."""

    queryset = Pledge.objects.select_related("right", "bank", "enforcement_trade").prefetch_related("events")
    serializer_class = s.PledgeSerializer
    filterset_fields = ["status", "kind", "bank", "right"]

    @extend_schema(request=s.PledgeApplySerializer, responses={201: s.PledgeSerializer})
    def create(self, request, *args, **kwargs):
        data = s.PledgeApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pledge = retry.run(services.apply_pledge, actor=request.user, **data.validated_data)
        return Response(s.PledgeSerializer(pledge).data, status=status.HTTP_201_CREATED)

    def _done(self, pledge):
        return Response(s.PledgeSerializer(self.get_queryset().model.objects.get(pk=pledge.pk)).data)

    @extend_schema(request=s.BankReferenceSerializer, responses=s.PledgeSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        body = s.BankReferenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(retry.run(services.confirm_by_bank, self.get_object(), actor=request.user, **body.validated_data))

    @extend_schema(request=None, responses=s.PledgeSerializer)
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        return self._done(retry.run(services.register_pledge, self.get_object(), actor=request.user))

    @extend_schema(request=s.PledgeNoteSerializer, responses=s.PledgeSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        body = s.PledgeNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(retry.run(services.reject_pledge, self.get_object(), actor=request.user, reason=body.validated_data["note"]))

    @extend_schema(request=s.PledgeNoteSerializer, responses=s.PledgeSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        body = s.PledgeNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(retry.run(services.release_pledge, self.get_object(), actor=request.user, note=body.validated_data["note"]))

    @extend_schema(request=s.EnforcementRequestSerializer, responses=s.PledgeSerializer)
    @action(detail=True, methods=["post"], url_path="request-enforcement")
    def request_enforcement(self, request, pk=None):
        body = s.EnforcementRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(retry.run(services.request_enforcement, self.get_object(), actor=request.user, **body.validated_data))

    @extend_schema(request=s.EnforcementApproveSerializer, responses=s.PledgeSerializer)
    @action(detail=True, methods=["post"], url_path="approve-enforcement")
    def approve_enforcement(self, request, pk=None):
        body = s.EnforcementApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(retry.run(services.approve_enforcement, self.get_object(), actor=request.user, **body.validated_data))


class FeeRightViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Water-supply fee-collection-right transfers, registered as financing records (§7.2.5)."""

    queryset = FeeRightTransfer.objects.select_related("grantor", "bank")
    serializer_class = s.FeeRightSerializer

    @extend_schema(request=s.FeeRightCreateSerializer, responses={201: s.FeeRightSerializer})
    def create(self, request, *args, **kwargs):
        data = s.FeeRightCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.register_fee_right_transfer(actor=request.user, **data.validated_data)
        return Response(s.FeeRightSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PledgeNoteSerializer, responses=s.FeeRightSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        body = s.PledgeNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.terminate_fee_right_transfer(self.get_object(), actor=request.user, reason=body.validated_data["note"])
        return Response(s.FeeRightSerializer(row).data)


class FundEntryViewSet(ScopedReadOnlyViewSet):
    """Fund entries (资金凭证) with their lines; every entry's lines sum to zero to the fen."""

    queryset = FundEntry.objects.select_related("trade").prefetch_related("lines__account")
    serializer_class = s.FundEntrySerializer
    filterset_fields = ["kind", "rule", "trade"]

    @extend_schema(request=s.FundReverseSerializer, responses={201: s.FundEntrySerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        body = s.FundReverseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = funds.reverse(self.get_object(), actor=request.user, reason=body.validated_data["reason"])
        return Response(s.FundEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class FundAccountViewSet(ScopedReadOnlyViewSet):
    """Fund accounts with their balances (money received net; a buyer's is negative)."""

    queryset = FundAccount.objects.all()
    serializer_class = s.FundAccountSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        return super().get_queryset().annotate(balance=Sum("lines__amount")).order_by("kind", "code")


def _trade(pk):
    from shuiquan.trading.models import Trade

    trade = Trade.objects.filter(pk=pk).first()
    if trade is None:
        raise NotFound()
    return trade


def _funds_body(trade) -> dict:
    f = funds.trade_funds(trade)
    return {"trade": trade.number, "rule": f.rule, "total_price": trade.total_price, "price_paid": f.price_paid, "buyer_fee": f.buyer_fee,
            "seller_fee": f.seller_fee, "tax": f.tax, "net": f.net, "recipients": f.recipients, "deposits_held": f.deposits_held,
            "settlement_balance": f.settlement_balance, "non_tax": f.non_tax, "distributed": f.distributed, "issues": f.issues,
            "entries": f.entries}


class TradeFundsView(APIView):
    """A trade's funds as the ledger has them, with the reconciliation against trading's records."""

    @extend_schema(responses=s.TradeFundsSerializer)
    def get(self, request, trade_id: int):
        _reader(request.user)
        return Response(s.TradeFundsSerializer(_funds_body(_trade(trade_id))).data)


class OrderbookPaymentView(APIView):
    """Record the buyer's payment of an order-book fill (the finance bureau)."""

    @extend_schema(request=s.OrderbookReferenceSerializer, responses={201: s.TradeFundsSerializer})
    def post(self, request, trade_id: int):
        body = s.OrderbookReferenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        trade = _trade(trade_id)
        funds.record_orderbook_payment(trade, actor=request.user, reference=body.validated_data["reference"])
        return Response(s.TradeFundsSerializer(_funds_body(trade)).data, status=status.HTTP_201_CREATED)


class DistributeView(APIView):
    """F2: distribute a trade's SNWD non-tax revenue to county rewards and earmarked uses."""

    @extend_schema(request=s.PledgeNoteSerializer, responses={201: s.FundEntrySerializer})
    def post(self, request, trade_id: int):
        body = s.PledgeNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = funds.distribute_snwd_revenue(_trade(trade_id), actor=request.user, note=body.validated_data["note"])
        return Response(s.FundEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class ReconcileView(APIView):
    """Trades whose funds do not reconcile with trading's records (GET); POST posts entries for
    any payment record without one (idempotent)."""

    @extend_schema(responses=s.ReconcileRowSerializer(many=True))
    def get(self, request):
        _reader(request.user)
        return Response([{"trade": t.number, "trade_id": t.pk, "issues": issues} for t, issues in funds.reconcile_all()])

    @extend_schema(request=None, responses={200: dict})
    def post(self, request):
        services.require_role(request.user, Role.FINANCE_OFFICER)
        return Response({"posted": funds.backfill(actor=request.user)})


