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
]
