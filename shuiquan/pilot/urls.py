from django.urls import path

from . import views

app_name = "pilot"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("budget/", views.budget, name="budget"),
]
