from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import InvalidInput
from config.filters import STRICT_LIST_BACKENDS, VisibleFilterBackend
from config.permissions import acting_user, permission_require

from ..models import Incident, TimelineEvent
from ..selectors import incident_list, incident_timeline
from ..services import incident_comment, incident_create, incident_transition, incident_update
from .filters import IncidentFilter
from .overview import IncidentDetailSerializer
from .serializers import (
    CommentSerializer,
    IncidentCreateSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    TimelineEventSerializer,
    TransitionSerializer,
)


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents: list with filters and search, create, retrieve, update editable fields.

    The state is never written here: `POST /api/v1/incidents/<id>/<transition>/` moves it."""

    serializer_class = IncidentSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = IncidentFilter
    filter_backends = [*STRICT_LIST_BACKENDS, VisibleFilterBackend, OrderingFilter]
    ordering_fields = ["reported_at", "priority", "updated_at", "id"]

    def get_queryset(self) -> QuerySet[Incident]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Incident.objects.none()
        return incident_list(user=acting_user(self.request))

    @extend_schema(responses={200: IncidentDetailSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One incident with everything on it: SLA clocks, escalations, alerts, notifications."""
        incident = self.get_object()
        return Response(IncidentDetailSerializer(incident, context=self.get_serializer_context()).data)

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        permission_require(request, "incidents.add_incident")
        data = IncidentCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        incident = incident_create(by=acting_user(request), **data.validated_data)
        return Response(IncidentSerializer(incident).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IncidentUpdateSerializer, responses={200: IncidentSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        data = IncidentUpdateSerializer(
            data=request.data, context={"request": request}, partial=kwargs.get("partial", False)
        )
        data.is_valid(raise_exception=True)
        incident = incident_update(
            incident_id=incident.pk, by=acting_user(request), changes=data.validated_data
        )
        return Response(IncidentSerializer(incident).data)


class IncidentTransitionView(APIView):
    """Runs one transition. 409 with the current state and the allowed transitions when it is not allowed."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_incidents_transition",
        request=TransitionSerializer,
        responses={200: IncidentSerializer},
        parameters=[
            OpenApiParameter("transition", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Incident.TRANSITIONS)
        ],
    )
    def post(self, request: Request, pk: int, transition: str) -> Response:
        data = TransitionSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        params = dict(data.validated_data)
        note = params.pop("note", "")
        if transition != "resolve" and params:
            raise InvalidInput(
                _("%(fields)s only apply to resolve.") % {"fields": ", ".join(sorted(params))},
                fields={name: [_("Only for resolve.")] for name in params},
            )
        incident = incident_transition(
            incident_id=pk, name=transition, by=acting_user(request), note=note, **params
        )
        return Response(IncidentSerializer(incident).data)


class IncidentTimelineView(generics.ListAPIView):
    """The incident's history, oldest first."""

    serializer_class = TimelineEventSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> QuerySet[TimelineEvent]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no incident
            return TimelineEvent.objects.none()
        incident = get_object_or_404(incident_list(user=acting_user(self.request)), pk=self.kwargs["pk"])
        return incident_timeline(incident=incident, user=acting_user(self.request))


class IncidentCommentView(APIView):
    """Adds a comment: an internal work note, or a public reply (`"public": true`)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=CommentSerializer, responses={201: TimelineEventSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = CommentSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        event = incident_comment(
            incident_id=pk,
            by=acting_user(request),
            body=data.validated_data["body"],
            public=data.validated_data["public"],
        )
        return Response(TimelineEventSerializer(event).data, status=status.HTTP_201_CREATED)
