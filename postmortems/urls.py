from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sla/", views.sla_report, name="sla"),
    path("major-incidents/", views.major_incidents, name="major_incidents"),
    path("action-items/", views.action_items, name="action_items"),
    path("postmortems/<int:pk>/", views.postmortem_print, name="postmortem"),
]
