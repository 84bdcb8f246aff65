from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("trades", views.TradeViewSet, basename="trading-trade")
router.register("savings", views.SavingsViewSet, basename="trading-savings")
router.register("orderbook/sessions", views.SessionViewSet, basename="trading-session")
router.register("orderbook/orders", views.OrderViewSet, basename="trading-order")
router.register("poolings", views.PoolingViewSet, basename="trading-pooling")
router.register("restrictions", views.RestrictionViewSet, basename="trading-restriction")
router.register("config/eliminated-industries", views.EliminatedIndustryViewSet, basename="trading-eliminated")
router.register("config/sector-quotas", views.SectorQuotaViewSet, basename="trading-quota")
router.register("config/pollutant-intensities", views.PollutantIntensityViewSet, basename="trading-pollutant")
router.register("config/legal-prohibitions", views.LegalProhibitionViewSet, basename="trading-prohibition")
router.register("config/outflow-caps", views.OutflowCapViewSet, basename="trading-outflowcap")
router.register("config/sources", views.SourceFlagsViewSet, basename="trading-sources")
router.register("reserves", views.ReserveViewSet, basename="trading-reserve")

urlpatterns = [
    path("impact-preview/", views.ImpactPreviewView.as_view(), name="trading-impact-preview"),
    path("rules/", views.RulesView.as_view(), name="trading-rules"),
    path("outside-regions/", views.OutsideRegionView.as_view(), name="trading-outside-regions"),
    path("market/listings/", views.MarketListingsView.as_view(), name="trading-market-listings"),
    path("market/deals/", views.MarketDealsView.as_view(), name="trading-market-deals"),
    path("market/stats/", views.MarketStatsView.as_view(), name="trading-market-stats"),
    *router.urls,
]
