from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.index, name="index"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/me/", views.account, name="account"),
    path("workbench/", views.workbench, name="workbench"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("settings/parameters/", views.parameters, name="parameters"),
    path("health/", views.health, name="health"),
]
