from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import BudgetItemViewSet, KPIView, PilotTaskViewSet, SpendingViewSet

router = DefaultRouter()
router.register("tasks", PilotTaskViewSet, basename="pilot-task")
router.register("budget", BudgetItemViewSet, basename="pilot-budget")
router.register("spendings", SpendingViewSet, basename="pilot-spending")

urlpatterns = [path("kpis/", KPIView.as_view(), name="pilot-kpis"), *router.urls]
