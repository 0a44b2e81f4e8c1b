"""`/metrics` (Prometheus), mounted at the root by config/urls.py."""

from django.urls import path

from .metrics_export import metrics_view

urlpatterns = [path("metrics", metrics_view, name="prometheus-metrics")]
