"""Teams, and who is on call for a team at an instant."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import InvalidInput
from config.permissions import ModelPermissionsWithView

from ...models import Team
from ...oncall import team_oncall_now_next
from ..serializers.oncall import TeamOnCallSerializer
from ..serializers.team import TeamSerializer


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Teams and their members."""

    queryset = Team.objects.prefetch_related("members").order_by("name")
    serializer_class = TeamSerializer
    permission_classes = [ModelPermissionsWithView]

    def get_queryset(self) -> QuerySet[Team]:
        if self.action == "oncall":
            return Team.objects.all()  # the answer loads its own schedules; members are not shown
        return super().get_queryset()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "at",
                OpenApiTypes.DATETIME,
                description="ISO 8601 with an offset; default now.",
                required=False,
            )
        ],
        responses={200: TeamOnCallSerializer},
    )
    @action(detail=True, methods=["get"])
    def oncall(self, request: Request, pk: str | None = None) -> Response:
        """Who is on call for the team at `at` (default now), the same answer as the admin and the engine, and
        who is next: on call from the next instant at which anyone's turn changes."""
        team = self.get_object()
        at = parse_instant(request.query_params.get("at"))
        answer = team_oncall_now_next(team=team, at=at)
        return Response(
            TeamOnCallSerializer(
                {
                    "team": team.pk,
                    "at": at,
                    "oncall": answer.now,
                    "next_at": answer.next_at,
                    "next": answer.next,
                }
            ).data
        )


def parse_instant(value: str | None) -> dt.datetime:
    """An aware instant from an ISO 8601 query parameter; now when absent.

    A `+` left unencoded in a query string arrives as a space: it is read back as `+`."""
    if value is None or not value.strip():
        return timezone.now()
    text = value.strip().replace(" ", "+")
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(
            _("at: %(value)s is not an ISO 8601 date and time.") % {"value": value},
            fields={"at": [_("Expected for example 2026-03-29T09:00:00+02:00.")]},
        )
    if timezone.is_naive(parsed):
        raise InvalidInput(
            _("at: give a UTC offset or Z, for example 2026-03-29T09:00:00+02:00."),
            fields={"at": [_("A time zone offset is required.")]},
        )
    # The answer says until when each turn lasts: near the year 9999 that next hand-off cannot be written.
    if not 1970 <= parsed.year <= 9000:
        raise InvalidInput(
            _("at: %(value)s is out of range.") % {"value": value},
            fields={"at": [_("Give an instant between the years 1970 and 9000.")]},
        )
    return parsed
