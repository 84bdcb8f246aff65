"""/api/v1/registry/: a DRF router over the registry viewsets, and the XLSX import endpoint."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views as v

router = SimpleRouter()
for prefix, viewset, basename in [
    ("regions", v.RegionViewSet, "registry-region"),
    ("basins", v.BasinViewSet, "registry-basin"),
    ("rivers", v.RiverViewSet, "registry-river"),
    ("reservoirs", v.ReservoirViewSet, "registry-reservoir"),
    ("zones", v.WaterResourceZoneViewSet, "registry-zone"),
    ("sources", v.WaterSourceViewSet, "registry-source"),
    ("authorities", v.AuthorityViewSet, "registry-authority"),
    ("sectors", v.SectorViewSet, "registry-sector"),
    ("dual-control-targets", v.DualControlTargetViewSet, "registry-dual-control-target"),
    ("nonconventional-minimums", v.NonConventionalMinimumViewSet, "registry-nonconventional-minimum"),
    ("snwd-quotas", v.SnwdQuotaViewSet, "registry-snwd-quota"),
    ("water-use-statistics", v.WaterUseStatisticViewSet, "registry-water-use-statistic"),
    ("water-resources", v.RegionWaterResourcesViewSet, "registry-water-resources"),
    ("indicators", v.IndicatorViewSet, "registry-indicator"),
    ("water-users", v.WaterUserViewSet, "registry-water-user"),
    ("permits", v.WithdrawalPermitViewSet, "registry-permit"),
    ("annual-plans", v.AnnualWithdrawalPlanViewSet, "registry-annual-plan"),
    ("intake-points", v.IntakePointViewSet, "registry-intake-point"),
    ("metering-devices", v.MeteringDeviceViewSet, "registry-metering-device"),
    ("irrigation-districts", v.IrrigationDistrictViewSet, "registry-irrigation-district"),
    ("associations", v.AssociationViewSet, "registry-association"),
    ("villager-groups", v.VillagerGroupViewSet, "registry-villager-group"),
    ("households", v.HouseholdViewSet, "registry-household"),
]:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("import/<str:kind>/", v.ImportView.as_view(), name="registry-import"),
    *router.urls,
]
