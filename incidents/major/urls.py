"""The public pages of major incidents: the reporting form and the status page (included by config/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.PublicLoginView.as_view(), name="vigil-login"),
    path("declare/", views.declare, name="declare"),
    path("declare/mine/", views.declare_mine, name="declare-mine"),
    path("declare/<int:pk>/", views.declare_done, name="declare-done"),
    path("status/", views.status, name="status"),
    path("status/feed.atom", views.StatusFeed(), name="status-feed"),
    path("status/subscribe/", views.status_subscribe, name="status-subscribe"),
    path("status/confirm/<str:token>/", views.status_confirm, name="status-confirm"),
    path("status/unsubscribe/<str:token>/", views.status_unsubscribe, name="status-unsubscribe"),
]
