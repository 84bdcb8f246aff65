from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("assessment/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessment/export/", views.assessment_export, name="assessment_export"),
    path("figures/", views.figures_list, name="figures_list"),
    path("figures/new/", views.figures_edit, name="figures_new"),
    path("figures/<int:pk>/edit/", views.figures_edit, name="figures_edit"),
    path("reported-use/", views.reported_use, name="reported_use"),
    path("complaints/", views.ComplaintListView.as_view(), name="complaint_list"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("enforcement/", views.enforcement_list, name="enforcement_list"),
    path("enforcement/new/", views.enforcement_new, name="enforcement_new"),
    path("enforcement/<int:pk>/", views.enforcement_detail, name="enforcement_detail"),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/new/<int:trade_pk>/", views.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("evaluations/", views.evaluation_list, name="evaluation_list"),
    path("evaluations/new/<int:trade_pk>/", views.evaluation_new, name="evaluation_new"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("monitoring/", views.monitoring_view, name="monitoring"),
    path("national/", views.national_list, name="national_list"),
    path("national/<int:pk>/", views.national_detail, name="national_detail"),
    path("national/schema/<str:kind>.json", views.national_schema, name="national_schema"),
]
