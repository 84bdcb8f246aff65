from django.urls import path

from . import views

app_name = "metering"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("devices/", views.device_list, name="device_list"),
    path("devices/<int:pk>/", views.device_detail, name="device_detail"),
    path("permits/", views.permit_list, name="permit_list"),
    path("permits/<int:pk>/", views.permit_detail, name="permit_detail"),
    path("alarms/", views.alarm_list, name="alarm_list"),
    path("alarms/evaluate/", views.alarm_evaluate, name="alarm_evaluate"),
    path("alarms/<int:pk>/acknowledge/", views.alarm_acknowledge, name="alarm_acknowledge"),
    path("m1/", views.m1_list, name="m1_list"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("batches/<int:pk>/confirm/", views.batch_confirm, name="batch_confirm"),
    path("batches/<int:pk>/cancel/", views.batch_cancel, name="batch_cancel"),
    path("upload/", views.upload, name="upload"),
    path("upload/template.<str:kind>", views.upload_template, name="upload_template"),
    path("profiles/", views.ProfileListView.as_view(), name="profile_list"),
    path("profiles/add/", views.ProfileEditView.as_view(), name="profile_add"),
    path("profiles/<int:pk>/edit/", views.ProfileEditView.as_view(), name="profile_edit"),
]
