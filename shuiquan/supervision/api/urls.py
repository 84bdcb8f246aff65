from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("figures", views.FiguresViewSet, basename="supervision-figures")
router.register("complaints", views.ComplaintViewSet, basename="supervision-complaint")
router.register("enforcements", views.EnforcementViewSet, basename="supervision-enforcement")
router.register("inspections", views.InspectionViewSet, basename="supervision-inspection")
router.register("evaluations", views.EvaluationViewSet, basename="supervision-evaluation")
router.register("national/exports", views.NationalExportViewSet, basename="supervision-national-export")

urlpatterns = [
    path("assessment/", views.AssessmentListView.as_view(), name="supervision-assessment"),
    path("assessment/<int:region_id>/", views.AssessmentDetailView.as_view(), name="supervision-assessment-detail"),
    path("reported-use/", views.ReportedUseView.as_view(), name="supervision-reported-use"),
    path("monitoring/", views.MonitoringView.as_view(), name="supervision-monitoring"),
    path("national/acknowledgements/", views.NationalAckView.as_view(), name="supervision-national-ack"),
    path("national/schema/", views.NationalSchemaView.as_view(), name="supervision-national-schema"),
    *router.urls,
]
