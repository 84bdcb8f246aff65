from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("funds/entries/", views.EntryListView.as_view(), name="entry_list"),
    path("funds/entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("funds/accounts/", views.account_list, name="account_list"),
    path("funds/accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("funds/trades/<int:trade_pk>/", views.trade_funds, name="trade_funds"),
    path("funds/reconcile/", views.reconcile, name="reconcile"),
    path("funds/report/", views.report, name="report"),
    path("pledges/", views.pledge_list, name="pledge_list"),
    path("pledges/new/", views.pledge_new, name="pledge_new"),
    path("pledges/<int:pk>/", views.pledge_detail, name="pledge_detail"),
    path("fee-rights/", views.feeright_list, name="feeright_list"),
    path("fee-rights/new/", views.feeright_new, name="feeright_new"),
    path("fee-rights/<int:pk>/", views.feeright_detail, name="feeright_detail"),
]
