from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from ..models import Incident
from .integrations import AlertViewSet, IntegrationViewSet, SilenceViewSet
from .integrations_inbound import (
    AlertmanagerWebhookView,
    GenericWebhookView,
    HeartbeatView,
    PagerDutyEventsView,
)
from .views import IncidentCommentView, IncidentTimelineView, IncidentTransitionView, IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("integrations", IntegrationViewSet, basename="integration")
router.register("silences", SilenceViewSet, basename="silence")
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns = [
    *router.urls,
    # Major incidents, their command data and tasks (incidents/major/api/).
    path("", include("incidents.major.api.urls")),
    # Problems, known errors and changes (incidents/problems/api/, incidents/changes/api/).
    path("", include("incidents.problems.api.urls")),
    path("", include("incidents.changes.api.urls")),
    path("incidents/<int:pk>/timeline/", IncidentTimelineView.as_view(), name="incident-timeline"),
    path("incidents/<int:pk>/comments/", IncidentCommentView.as_view(), name="incident-comments"),
    re_path(
        rf"^incidents/(?P<pk>[0-9]+)/(?P<transition>{'|'.join(Incident.TRANSITIONS)})/$",
        IncidentTransitionView.as_view(),
        name="incident-transition",
    ),
]

# The endpoints monitoring tools post to: the integration key in the path (or in `routing_key`). The URLconf
# tries them first (config/urls.py): they take most of the requests, and each pattern tried before costs.
inbound_urlpatterns = [
    path("events/v2/enqueue", PagerDutyEventsView.as_view(), name="pagerduty-enqueue"),
    path(
        "integrations/<str:key>/alertmanager/",
        AlertmanagerWebhookView.as_view(),
        name="integration-alertmanager",
    ),
    path("integrations/<str:key>/generic/", GenericWebhookView.as_view(), name="integration-generic"),
    path("integrations/<str:key>/heartbeat/", HeartbeatView.as_view(), name="integration-heartbeat"),
]
