from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("figures", views.FiguresViewSet, basename="supervision-figures")
router.register("complaints", views.ComplaintViewSet, basename="supervision-complaint")

urlpatterns = [
    path("assessment/", views.AssessmentListView.as_view(), name="supervision-assessment"),
    path("assessment/<int:region_id>/", views.AssessmentDetailView.as_view(), name="supervision-assessment-detail"),
    path("reported-use/", views.ReportedUseView.as_view(), name="supervision-reported-use"),
    *router.urls,
]
