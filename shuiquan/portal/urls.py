from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("rights/", views.rights, name="rights"),
    path("market/", views.market, name="market"),
    path("verify/", views.verify, name="verify"),
    path("supply-demand/", views.notices, name="notices"),
    path("supply-demand/<str:number>/", views.notice_detail, name="notice_detail"),
    path("policies/", views.policies, name="policies"),
    path("policies/<slug:key>/", views.policy_detail, name="policy_detail"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/status/", views.complaint_status, name="complaint_status"),
    # Signed in: notices are posted and reviewed here; policy documents' status.
    path("manage/notices/", views.notice_manage_list, name="notice_manage_list"),
    path("manage/notices/new/", views.notice_new, name="notice_new"),
    path("manage/notices/<int:pk>/", views.notice_manage_detail, name="notice_manage_detail"),
    path("manage/policies/<slug:key>/", views.policy_edit, name="policy_edit"),
]
