from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("readings", views.ReadingViewSet, basename="metering-reading")
router.register("batches", views.BatchViewSet, basename="metering-batch")
router.register("alarms", views.AlarmViewSet, basename="metering-alarm")

urlpatterns = [
    path("readings/batch/", views.ReadingBatchView.as_view(), name="metering-readings-batch"),
    path("use/", views.UseView.as_view(), name="metering-use"),
    path("permits/use/", views.PermitUseView.as_view(), name="metering-permit-use"),
    *router.urls,
]
