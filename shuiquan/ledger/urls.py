from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("rights/", views.RightListView.as_view(), name="right_list"),
    path("rights/<int:pk>/", views.right_detail, name="right_detail"),
    path("entries/", views.EntryListView.as_view(), name="entry_list"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
]
