from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from ..models import Incident
from .views import IncidentCommentView, IncidentTimelineView, IncidentTransitionView, IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = [
    *router.urls,
    path("incidents/<int:pk>/timeline/", IncidentTimelineView.as_view(), name="incident-timeline"),
    path("incidents/<int:pk>/comments/", IncidentCommentView.as_view(), name="incident-comments"),
    re_path(
        rf"^incidents/(?P<pk>[0-9]+)/(?P<transition>{'|'.join(Incident.TRANSITIONS)})/$",
        IncidentTransitionView.as_view(),
        name="incident-transition",
    ),
]
