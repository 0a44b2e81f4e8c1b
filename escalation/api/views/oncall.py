"""On-call schedules (who is on call for a team: `team.TeamViewSet.oncall`)."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from rest_framework import mixins, viewsets

from config.permissions import ModelPermissionsWithView

from ...models import Override, RotationMember, Schedule
from ..serializers.oncall import ScheduleSerializer


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
