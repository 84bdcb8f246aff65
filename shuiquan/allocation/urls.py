from django.urls import path

from . import views

app_name = "allocation"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("runs/", views.RunListView.as_view(), name="run_list"),
    path("runs/new/", views.run_new, name="run_new"),
    path("runs/new/<str:engine>/", views.run_create, name="run_create"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/edit/", views.run_edit, name="run_edit"),
    path("runs/<int:pk>/action/<str:action>/", views.run_action, name="run_action"),
    path("certificates/", views.CertificateListView.as_view(), name="certificate_list"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate_detail"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    # Public (no login): the QR code on a certificate points here.
    path("verify/", views.verify_lookup, name="verify_lookup"),
    path("verify/<str:token>/", views.verify_certificate, name="verify_certificate"),
    path("river-plans/", views.RiverPlanListView.as_view(), name="riverplan_list"),
    path("river-plans/new/", views.riverplan_edit, name="riverplan_create"),
    path("river-plans/<int:pk>/", views.riverplan_detail, name="riverplan_detail"),
    path("river-plans/<int:pk>/edit/", views.riverplan_edit, name="riverplan_edit"),
    path("river-plans/<int:pk>/approve/", views.riverplan_approve, name="riverplan_approve"),
    path("quotas/", views.WaterQuotaListView.as_view(), name="waterquota_list"),
    path("quotas/new/", views.WaterQuotaEditView.as_view(), name="waterquota_create"),
    path("quotas/<int:pk>/", views.WaterQuotaDetailView.as_view(), name="waterquota_detail"),
    path("quotas/<int:pk>/edit/", views.WaterQuotaEditView.as_view(), name="waterquota_edit"),
    path("crop-quotas/", views.CropQuotaListView.as_view(), name="cropquota_list"),
    path("crop-quotas/new/", views.CropQuotaEditView.as_view(), name="cropquota_create"),
    path("crop-quotas/<int:pk>/", views.CropQuotaDetailView.as_view(), name="cropquota_detail"),
    path("crop-quotas/<int:pk>/edit/", views.CropQuotaEditView.as_view(), name="cropquota_edit"),
    path("irrigation-profiles/", views.IrrigationProfileListView.as_view(), name="irrigationprofile_list"),
    path("irrigation-profiles/new/", views.IrrigationProfileEditView.as_view(), name="irrigationprofile_create"),
    path("irrigation-profiles/<int:pk>/", views.IrrigationProfileDetailView.as_view(), name="irrigationprofile_detail"),
    path("irrigation-profiles/<int:pk>/edit/", views.IrrigationProfileEditView.as_view(), name="irrigationprofile_edit"),
    path("planting/new/", views.PlantingShareEditView.as_view(), name="plantingshare_create"),
    path("planting/<int:pk>/", views.PlantingShareDetailView.as_view(), name="plantingshare_detail"),
    path("planting/<int:pk>/edit/", views.PlantingShareEditView.as_view(), name="plantingshare_edit"),
    path("groundwater/", views.GroundwaterIndicatorListView.as_view(), name="groundwaterindicator_list"),
    path("groundwater/new/", views.GroundwaterIndicatorEditView.as_view(), name="groundwaterindicator_create"),
    path("groundwater/<int:pk>/", views.GroundwaterIndicatorDetailView.as_view(), name="groundwaterindicator_detail"),
    path("groundwater/<int:pk>/edit/", views.GroundwaterIndicatorEditView.as_view(), name="groundwaterindicator_edit"),
]
