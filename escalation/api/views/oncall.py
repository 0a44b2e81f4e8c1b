"""On-call schedules (who is on call for a team: `team.TeamViewSet.oncall`) and people's calendar feeds."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.filters import DeclaredQueryParams
from config.permissions import ModelPermissionsWithView, acting_user

from ...models import OnCallFeed, Override, RotationMember, Schedule
from ...services import oncall_feed_create, oncall_feed_revoke
from ..serializers.oncall import OnCallFeedSerializer, ScheduleSerializer


class ScheduleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """On-call schedules with their rotations and current overrides. Writing needs the model permissions
    (managers). Who is on call: `GET /api/v1/teams/<id>/oncall/`."""

    serializer_class = ScheduleSerializer
    permission_classes = [ModelPermissionsWithView]
    filterset_fields = ["team"]

    def get_queryset(self) -> QuerySet[Schedule]:
        return Schedule.objects.order_by("team", "name", "id").prefetch_related(
            Prefetch("rotations__members", queryset=RotationMember.objects.order_by("position", "id")),
            Prefetch("overrides", queryset=Override.objects.filter(end__gt=timezone.now())),
        )


class OnCallFeedView(DeclaredQueryParams, APIView):
    """The caller's private on-call calendar feed (iCalendar): GET says whether they have one, POST makes it
    (or replaces it: the old URL stops working) and answers its URL once, DELETE revokes it."""

    permission_classes = [IsAuthenticated]

    def _state(self, request: Request, url: str | None = None) -> Response:
        feed = OnCallFeed.objects.filter(user=acting_user(request)).first()
        return Response(
            OnCallFeedSerializer(
                {"active": feed is not None, "created_at": feed.created_at if feed else None, "url": url}
            ).data
        )

    @extend_schema(responses={200: OnCallFeedSerializer})
    def get(self, request: Request) -> Response:
        return self._state(request)

    @extend_schema(request=None, responses={200: OnCallFeedSerializer})
    def post(self, request: Request) -> Response:
        return self._state(request, url=oncall_feed_create(user=acting_user(request)))

    @extend_schema(responses={200: OnCallFeedSerializer})
    def delete(self, request: Request) -> Response:
        oncall_feed_revoke(user=acting_user(request))
        return self._state(request)
