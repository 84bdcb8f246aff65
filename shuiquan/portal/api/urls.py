from django.urls import path

from . import views

urlpatterns = [
    path("figures/", views.KeyFiguresView.as_view(), name="public-figures"),
    path("rights/", views.InitialRightsView.as_view(), name="public-rights"),
    path("notices/", views.NoticeListView.as_view(), name="public-notices"),
    path("notices/<str:number>/", views.NoticeDetailView.as_view(), name="public-notice-detail"),
    path("policies/", views.PolicyListView.as_view(), name="public-policies"),
    path("policies/<slug:key>/", views.PolicyDetailView.as_view(), name="public-policy-detail"),
    path("complaints/", views.ComplaintCreateView.as_view(), name="public-complaints"),
    path("complaints/status/", views.ComplaintStatusView.as_view(), name="public-complaint-status"),
]
