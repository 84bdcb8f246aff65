from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("runs", views.RunViewSet, basename="allocation-run")
router.register("quotas", views.WaterQuotaViewSet, basename="allocation-quota")
router.register("crop-quotas", views.CropQuotaViewSet, basename="allocation-cropquota")
router.register("irrigation-profiles", views.IrrigationProfileViewSet, basename="allocation-irrigationprofile")
router.register("planting-shares", views.PlantingShareViewSet, basename="allocation-plantingshare")
router.register("groundwater-indicators", views.GroundwaterIndicatorViewSet, basename="allocation-groundwaterindicator")
router.register("river-plans", views.RiverPlanViewSet, basename="allocation-riverplan")
router.register("certificates", views.CertificateViewSet, basename="allocation-certificate")

urlpatterns = [
    path("verify/<str:token>/", views.VerifyCertificateView.as_view(), name="allocation-verify"),
    *router.urls,
]
