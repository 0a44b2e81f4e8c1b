"""The problem API: the record and its transitions, the incidents and major incidents linked to it, its log;
the known errors an agent searches from an incident; the recurring incidents that have no problem yet. Every
write calls a service; problems are for agents and managers."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import InvalidInput, NotFound
from config.filters import (
    STRICT_LIST_BACKENDS,
    DeclaredQueryParams,
    UtcDateTimeFilter,
    VisibleFilterBackend,
    VisibleFilterSet,
)
from config.permissions import acting_user, permission_require

from ...models import Priority, Problem, ProblemState
from ...selectors import incident_list
from .. import services
from ..selectors import known_error_search, problem_list, problem_search, recurring_incidents
from . import serializers as s


class ProblemFilter(VisibleFilterSet):
    """Several values of one filter are OR'ed: `?state=open&state=investigating`."""

    state = filters.MultipleChoiceFilter(choices=ProblemState.choices)
    priority = filters.MultipleChoiceFilter(choices=Priority.choices)
    service = filters.NumberFilter(field_name="services", distinct=True)
    incident = filters.NumberFilter(field_name="incidents", distinct=True)
    major_incident = filters.NumberFilter(field_name="major_incidents", distinct=True)
    known_error = filters.BooleanFilter(method="filter_known_error")
    opened_after = UtcDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = UtcDateTimeFilter(field_name="opened_at", lookup_expr="lt")
    search = filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Problem
        fields = ["state", "priority", "owner", "team", "category"]

    def filter_known_error(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        condition = {"state": ProblemState.KNOWN_ERROR}
        return queryset.filter(**condition) if value else queryset.exclude(**condition)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return problem_search(queryset, value).distinct()


def _valid(serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any) -> dict[str, Any]:
    data = serializer_class(data=request.data, context={"request": request}, **kwargs)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _visible(request: Request, pk: int) -> Problem:
    return get_object_or_404(problem_list(user=request.user), pk=pk)


def _answer(request: Request, problem: Problem, code: int = status.HTTP_200_OK) -> Response:
    fresh = (
        problem_list(user=request.user)
        .prefetch_related("incident_links__incident", "changes")
        .get(pk=problem.pk)
    )
    return Response(s.ProblemSerializer(fresh).data, status=code)


class ProblemViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Problems: list (filters, search), open, retrieve, update editable fields."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.ProblemSerializer
    filterset_class = ProblemFilter
    filter_backends = [*STRICT_LIST_BACKENDS, VisibleFilterBackend, OrderingFilter]
    ordering_fields = ["opened_at", "priority", "updated_at", "id"]

    def get_queryset(self) -> QuerySet[Problem]:
        return problem_list(user=self.request.user).prefetch_related(
            "incident_links__incident", "changes", "major_incidents"
        )

    @extend_schema(request=s.ProblemCreateSerializer, responses={201: s.ProblemSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        permission_require(request, "incidents.add_problem")
        data = _valid(s.ProblemCreateSerializer, request)
        visible = incident_list(user=request.user)
        incidents = data.pop("incidents", [])
        if any(not visible.filter(pk=i.pk).exists() for i in incidents):
            raise InvalidInput(_unknown("incidents"), fields={"incidents": [_unknown("incidents")]})
        problem = services.problem_open(by=acting_user(request), incidents=incidents, **data)
        return _answer(request, problem, status.HTTP_201_CREATED)

    @extend_schema(request=s.ProblemUpdateSerializer, responses={200: s.ProblemSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        problem = self.get_object()
        changes = _valid(s.ProblemUpdateSerializer, request, partial=kwargs.get("partial", False))
        problem = services.problem_update(problem_id=problem.pk, by=acting_user(request), changes=changes)
        return _answer(request, problem)


def _unknown(field: str) -> str:
    from django.utils.translation import gettext as _

    return _("Unknown or not visible: %(field)s.") % {"field": field}


class ProblemTransitionView(APIView):
    """Runs one transition. 409 with the current state and the allowed transitions when it is not allowed;
    409 `condition_not_met` with the fields when what it needs is missing (a known error's workaround)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_problems_transition",
        request=s.ProblemTransitionSerializer,
        responses={200: s.ProblemSerializer},
        parameters=[
            OpenApiParameter(
                "transition", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(Problem.TRANSITIONS)
            )
        ],
    )
    def post(self, request: Request, pk: int, transition: str) -> Response:
        data = _valid(s.ProblemTransitionSerializer, request)
        problem = services.problem_transition(problem_id=pk, name=transition, by=acting_user(request), **data)
        return _answer(request, problem)


class ProblemIncidentsView(APIView):
    """Link an incident to the problem; linking one to a known error copies the workaround onto the incident's
    timeline."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ProblemIncidentWriteSerializer, responses={201: s.ProblemIncidentLinkSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _visible(request, pk)
        data = _valid(s.ProblemIncidentWriteSerializer, request)
        link = services.problem_link_incident(
            problem_id=pk, incident_id=data["incident"], by=acting_user(request)
        )
        return Response(s.ProblemIncidentLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class ProblemIncidentDeleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int, incident_id: int) -> Response:
        _visible(request, pk)
        services.problem_unlink_incident(problem_id=pk, incident_id=incident_id, by=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProblemMajorIncidentsView(APIView):
    """Link a major incident whose root cause the problem investigates (what resolving it then needs)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ProblemMajorIncidentWriteSerializer, responses={200: s.ProblemSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _visible(request, pk)
        data = _valid(s.ProblemMajorIncidentWriteSerializer, request)
        problem = services.problem_link_major_incident(
            problem_id=pk, major_incident_id=data["major_incident"], by=acting_user(request)
        )
        return _answer(request, problem)


class ProblemMajorIncidentDeleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int, major_incident_id: int) -> Response:
        _visible(request, pk)
        services.problem_unlink_major_incident(
            problem_id=pk, major_incident_id=major_incident_id, by=acting_user(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProblemLogView(DeclaredQueryParams, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: s.ProblemLogEntrySerializer(many=True)}, operation_id="v1_problems_log_list"
    )
    def get(self, request: Request, pk: int) -> Response:
        problem = _visible(request, pk)
        rows = problem.log.select_related("actor").order_by("created_at", "id")
        return Response(s.ProblemLogEntrySerializer(rows, many=True).data)


class KnownErrorsView(DeclaredQueryParams, APIView):
    """ "Is there a workaround for this?": known errors by service, category and text. With `incident`, its
    service and category are the defaults and its title the text unless `q` is given."""

    query_params = ("incident", "service", "category", "q")

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_problems_known_errors",
        responses={200: s.ProblemSerializer(many=True)},
        parameters=[
            OpenApiParameter("incident", OpenApiTypes.INT, OpenApiParameter.QUERY),
            OpenApiParameter("service", OpenApiTypes.INT, OpenApiParameter.QUERY),
            OpenApiParameter("category", OpenApiTypes.INT, OpenApiParameter.QUERY),
            OpenApiParameter("q", OpenApiTypes.STR, OpenApiParameter.QUERY),
        ],
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        incident = None
        if params.get("incident"):
            incident = incident_list(user=request.user).filter(pk=_int(params, "incident") or 0).first()
            if incident is None:
                raise NotFound(_unknown("incident"))
        text = params.get("q", "")[:200]
        if incident is not None and not text.strip():
            text = incident.title
        rows = known_error_search(
            user=request.user,
            incident=incident,
            service_id=_int(params, "service"),
            category_id=_int(params, "category"),
            text=text,
        )
        if incident is not None and not rows.exists() and params.get("q") is None:
            # Nothing matched the incident's title: the known errors of its service and category.
            rows = known_error_search(user=request.user, incident=incident)
        return Response(s.ProblemSerializer(rows[:50], many=True).data)


def _int(params: Any, name: str) -> int | None:
    value = params.get(name, "")
    if not value:
        return None
    if not str(value).isdigit():
        raise InvalidInput(_unknown(name), fields={name: [_unknown(name)]})
    return int(value)


class RecurringIncidentsView(DeclaredQueryParams, APIView):
    """GET: services and categories with several incidents in the window and no problem (`window_days` and
    `min_incidents` default to the configuration). POST `{service, category}`: open a problem for that row,
    with its incidents linked."""

    query_params = ("window_days", "min_incidents")

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_problems_recurring_list",
        responses={200: s.RecurringIncidentsSerializer(many=True)},
        parameters=[
            OpenApiParameter("window_days", OpenApiTypes.INT, OpenApiParameter.QUERY),
            OpenApiParameter("min_incidents", OpenApiTypes.INT, OpenApiParameter.QUERY),
        ],
    )
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("incidents.view_problem"):
            return Response([])
        window = _int(request.query_params, "window_days")
        minimum = _int(request.query_params, "min_incidents")
        rows = recurring_incidents(
            window_days=min(window, 366) if window is not None else None, min_incidents=minimum
        )
        return Response(s.RecurringIncidentsSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="v1_problems_recurring_open",
        request=s.RecurringOpenSerializer,
        responses={201: s.ProblemSerializer},
    )
    def post(self, request: Request) -> Response:
        permission_require(request, "incidents.add_problem")
        data = _valid(s.RecurringOpenSerializer, request)
        problem = services.problem_open_from_recurring(
            by=acting_user(request), service_id=data["service"], category_id=data["category"]
        )
        return _answer(request, problem, status.HTTP_201_CREATED)
