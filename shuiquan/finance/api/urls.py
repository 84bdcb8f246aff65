from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("banks", views.BankViewSet, basename="finance-bank")
router.register("pledges", views.PledgeViewSet, basename="finance-pledge")
router.register("fee-rights", views.FeeRightViewSet, basename="finance-feeright")
router.register("funds/entries", views.FundEntryViewSet, basename="finance-fundentry")
router.register("funds/accounts", views.FundAccountViewSet, basename="finance-fundaccount")

urlpatterns = [
    path("funds/trades/<int:trade_id>/", views.TradeFundsView.as_view(), name="finance-trade-funds"),
    path("funds/trades/<int:trade_id>/orderbook-payment/", views.OrderbookPaymentView.as_view(), name="finance-orderbook-payment"),
    path("funds/trades/<int:trade_id>/distribute/", views.DistributeView.as_view(), name="finance-distribute"),
    path("funds/reconcile/", views.ReconcileView.as_view(), name="finance-reconcile"),
    *router.urls,
]
