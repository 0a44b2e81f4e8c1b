"""The change API: the record and its transitions (approve and reject are approval decisions), its log, and the
change calendar. Every write calls a service; changes are for agents and managers."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import InvalidInput
from config.filters import (
    STRICT_LIST_BACKENDS,
    DeclaredQueryParams,
    UtcDateTimeFilter,
    VisibleFilterBackend,
    VisibleFilterSet,
)
from config.permissions import acting_user, permission_require

from ...models import Change, ChangeState, ChangeType, RiskLevel
from .. import services
from ..selectors import change_calendar, change_list, change_search
from . import serializers as s


class ChangeFilter(VisibleFilterSet):
    """Several values of one filter are OR'ed: `?state=submitted&state=approved`."""

    state = filters.MultipleChoiceFilter(choices=ChangeState.choices)
    change_type = filters.MultipleChoiceFilter(choices=ChangeType.choices)
    risk_level = filters.MultipleChoiceFilter(choices=RiskLevel.choices)
    service = filters.NumberFilter(field_name="services", distinct=True)
    starts_after = UtcDateTimeFilter(field_name="planned_start", lookup_expr="gte")
    starts_before = UtcDateTimeFilter(field_name="planned_start", lookup_expr="lt")
    awaiting_my_approval = filters.BooleanFilter(method="filter_awaiting")
    search = filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Change
        fields = ["state", "change_type", "risk_level", "owner", "team", "problem", "major_incident"]

    def filter_awaiting(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        user = self.request.user if self.request is not None else None
        if not value or user is None:
            return queryset
        return (
            queryset.filter(state=ChangeState.SUBMITTED)
            .exclude(owner=user)
            .exclude(requested_by=user)
            .exclude(approvals__approver=user)
        )

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return change_search(queryset, value)


def _valid(serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any) -> dict[str, Any]:
    data = serializer_class(data=request.data, context={"request": request}, **kwargs)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _answer(request: Request, change: Change, code: int = status.HTTP_200_OK) -> Response:
    fresh = change_list(user=request.user).prefetch_related("approvals").get(pk=change.pk)
    return Response(s.ChangeSerializer(fresh).data, status=code)


class ChangeViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Changes: list (filters, search), request (as a draft), retrieve, update what the state lets change."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.ChangeSerializer
    filterset_class = ChangeFilter
    filter_backends = [*STRICT_LIST_BACKENDS, VisibleFilterBackend, OrderingFilter]
    ordering_fields = ["created_at", "planned_start", "updated_at", "id"]

    def get_queryset(self) -> QuerySet[Change]:
        return change_list(user=self.request.user).prefetch_related("approvals")

    @extend_schema(request=s.ChangeCreateSerializer, responses={201: s.ChangeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        permission_require(request, "incidents.add_change")
        data = _valid(s.ChangeCreateSerializer, request)
        change = services.change_create(by=acting_user(request), **data)
        return _answer(request, change, status.HTTP_201_CREATED)

    @extend_schema(request=s.ChangeUpdateSerializer, responses={200: s.ChangeSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        change = self.get_object()
        changes = _valid(s.ChangeUpdateSerializer, request, partial=kwargs.get("partial", False))
        confirm = bool(changes.pop("confirm", False))
        change = services.change_update(
            change_id=change.pk, by=acting_user(request), changes=changes, confirm=confirm
        )
        return _answer(request, change)


class ChangeTransitionView(APIView):
    """Runs one transition; `approve` and `reject` record the caller's decision (a rejection needs `reason`;
    nobody decides on their own change: 403 `self_approval`). 409 with the current state and the allowed
    transitions when it is not allowed; 409 `change_collision` with `collisions` when scheduling over another
    change or an active major incident on the same service, unless `confirm`."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_changes_transition",
        request=s.ChangeTransitionSerializer,
        responses={200: s.ChangeSerializer},
        parameters=[
            OpenApiParameter(
                "transition", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(Change.TRANSITIONS)
            )
        ],
    )
    def post(self, request: Request, pk: int, transition: str) -> Response:
        get_object_or_404(change_list(user=request.user), pk=pk)
        data = _valid(s.ChangeTransitionSerializer, request)
        change = services.change_transition(change_id=pk, name=transition, by=acting_user(request), **data)
        return _answer(request, change)


class ChangeLogView(DeclaredQueryParams, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.ChangeLogEntrySerializer(many=True)}, operation_id="v1_changes_log_list")
    def get(self, request: Request, pk: int) -> Response:
        change = get_object_or_404(change_list(user=request.user), pk=pk)
        rows = change.log.select_related("actor").order_by("created_at", "id")
        return Response(s.ChangeLogEntrySerializer(rows, many=True).data)


def _instant(request: Request, name: str) -> datetime:
    value = request.query_params.get(name, "")
    parsed = parse_datetime(value) if value else None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(
            _("Give %(name)s as an ISO 8601 instant with its offset.") % {"name": name},
            fields={name: [_("An instant with its offset, such as 2026-03-02T09:00:00+09:00.")]},
        )
    return parsed


class ChangeCalendarView(DeclaredQueryParams, APIView):
    """The change calendar: changes whose planned window overlaps [since, until), in start order."""

    query_params = ("since", "until", "service")

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_changes_calendar",
        responses={200: s.ChangeCalendarEntrySerializer(many=True)},
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("until", OpenApiTypes.DATETIME, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("service", OpenApiTypes.INT, OpenApiParameter.QUERY),
        ],
    )
    def get(self, request: Request) -> Response:
        since, until = _instant(request, "since"), _instant(request, "until")
        if until <= since:
            raise InvalidInput(_("until must come after since."), fields={"until": [_("After since.")]})
        service = request.query_params.get("service", "")
        rows = change_calendar(
            user=request.user,
            since=since,
            until=until,
            service_id=int(service) if service.isdigit() else None,
        ).prefetch_related("services")[:1000]
        return Response(s.ChangeCalendarEntrySerializer(rows, many=True).data)
