"""The major-incident API: the record and its transitions, and the command data nested under it (roles, team,
objectives, status updates, logistics, finance, log, linked incidents, what was sent); tasks at /tasks/ since
plain incidents have them too. Every write calls a service; reporters see their own declarations only."""

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
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

from config.errors import PermissionDenied
from config.filters import (
    STRICT_LIST_BACKENDS,
    DeclaredQueryParams,
    UtcDateTimeFilter,
    VisibleFilterBackend,
    VisibleFilterSet,
)
from config.permissions import ModelPermissionsWithView, acting_user, permission_require
from escalation.audit import audit_change
from escalation.models import AuditVia, Notification
from escalation.subjects import subject_filter

from ...models import (
    Cause,
    MajorIncident,
    MajorIncidentConfiguration,
    MajorIncidentState,
    OutsidePerson,
    Severity,
    Task,
    TaskState,
)
from .. import actionplan, command, comms, logistics, services
from ..common import sees_all_major_incidents
from ..selectors import finance_summary, major_incident_list, major_incident_search
from . import serializers as s


class MajorIncidentFilter(VisibleFilterSet):
    """Several values of one filter are OR'ed: `?state=declared&state=investigating`."""

    state = filters.MultipleChoiceFilter(choices=MajorIncidentState.choices)
    severity = filters.MultipleChoiceFilter(choices=Severity.choices)
    cause = filters.MultipleChoiceFilter(choices=Cause.choices)
    service = filters.NumberFilter(field_name="services", distinct=True)
    commander = filters.NumberFilter(method="filter_commander")
    active = filters.BooleanFilter(method="filter_active")
    declared_after = UtcDateTimeFilter(field_name="declared_at", lookup_expr="gte")
    declared_before = UtcDateTimeFilter(field_name="declared_at", lookup_expr="lt")
    search = filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = MajorIncident
        fields = ["state", "severity", "cause", "category", "declared_via"]

    def filter_commander(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.filter(
            role_assignments__role="commander",
            role_assignments__ended_at__isnull=True,
            role_assignments__user=value,
        )

    def filter_active(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        from ...models import ACTIVE_MAJOR_STATES

        condition = Q(state__in=ACTIVE_MAJOR_STATES)
        return queryset.filter(condition if value else ~condition)

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return major_incident_search(queryset, value)


def _visible(request: Request, pk: int, *, command_data: bool = True) -> MajorIncident:
    """The major incident if the user may see it (404 otherwise); command data is for agents and managers."""
    major_incident = get_object_or_404(major_incident_list(user=request.user), pk=pk)
    if command_data and not sees_all_major_incidents(request.user):
        raise PermissionDenied(_("The command data of a major incident is for the people who run it."))
    return major_incident


def _valid(serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any) -> dict[str, Any]:
    data = serializer_class(data=request.data, context={"request": request}, **kwargs)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class MajorIncidentViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Major incidents: list (filters, search), declare, retrieve, update editable fields. Reporters see their
    own declarations, without the command data."""

    permission_classes = [IsAuthenticated]
    filterset_class = MajorIncidentFilter
    filter_backends = [*STRICT_LIST_BACKENDS, VisibleFilterBackend, OrderingFilter]
    ordering_fields = ["declared_at", "severity", "updated_at", "id"]

    def get_queryset(self) -> QuerySet[MajorIncident]:
        return major_incident_list(user=self.request.user).prefetch_related("links")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if getattr(self, "swagger_fake_view", False) or sees_all_major_incidents(self.request.user):
            return s.MajorIncidentSerializer
        return s.MajorIncidentSummarySerializer

    def _answer(self, major_incident: MajorIncident, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=major_incident.pk)
        return Response(self.get_serializer_class()(fresh).data, status=code)

    @extend_schema(request=s.MajorIncidentCreateSerializer, responses={201: s.MajorIncidentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        permission_require(request, "incidents.add_majorincident")
        data = _valid(s.MajorIncidentCreateSerializer, request)
        major_incident = services.major_incident_declare(by=acting_user(request), **data)
        return self._answer(major_incident, status.HTTP_201_CREATED)

    @extend_schema(request=s.MajorIncidentUpdateSerializer, responses={200: s.MajorIncidentSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        major_incident = self.get_object()
        changes = _valid(s.MajorIncidentUpdateSerializer, request, partial=kwargs.get("partial", False))
        major_incident = services.major_incident_update(
            major_incident_id=major_incident.pk, by=acting_user(request), changes=changes
        )
        return self._answer(major_incident)


class MajorIncidentTransitionView(APIView):
    """Runs one transition (or `acknowledge`, which answers the page without changing the state). 409 with the
    current state and the allowed transitions when it is not allowed; 409 `condition_not_met` with the fields
    when what it needs is missing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_major_incidents_transition",
        request=s.MajorIncidentTransitionSerializer,
        responses={200: s.MajorIncidentSerializer},
        parameters=[
            OpenApiParameter(
                "transition",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=[*MajorIncident.TRANSITIONS, "acknowledge"],
            )
        ],
    )
    def post(self, request: Request, pk: int, transition: str) -> Response:
        data = _valid(s.MajorIncidentTransitionSerializer, request)
        if transition == "acknowledge":
            major_incident = services.major_incident_acknowledge(
                major_incident_id=pk, by=acting_user(request)
            )
        else:
            major_incident = services.major_incident_transition(
                major_incident_id=pk, name=transition, by=acting_user(request), **data
            )
        fresh = major_incident_list(user=request.user).prefetch_related("links").get(pk=major_incident.pk)
        return Response(s.MajorIncidentSerializer(fresh).data)


def _nested(
    *,
    name: str,
    read: type[serializers.Serializer],
    rows: Callable[[MajorIncident], Any],
    write: type[serializers.Serializer] | None = None,
    create: Callable[..., Any] | None = None,
    doc: str = "",
) -> type[APIView]:
    """A list (GET) and, when given, a create (POST) of one kind of command data under a major incident."""

    class View(DeclaredQueryParams, APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(responses={200: read(many=True)}, operation_id=f"v1_major_incidents_{name}_list")
        def get(self, request: Request, pk: int) -> Response:
            major_incident = _visible(request, pk)
            return Response(read(rows(major_incident), many=True).data)

        if write is not None:

            @extend_schema(
                request=write, responses={201: read}, operation_id=f"v1_major_incidents_{name}_create"
            )
            def post(self, request: Request, pk: int) -> Response:
                _visible(request, pk)
                data = _valid(write, request)
                row = create(major_incident_id=pk, by=acting_user(request), **data)  # type: ignore[misc]
                return Response(read(row).data, status=status.HTTP_201_CREATED)

    View.__doc__ = doc
    View.__name__ = f"MajorIncident{name.title().replace('_', '')}View"
    return View


RolesView = _nested(
    name="roles",
    read=s.RoleAssignmentSerializer,
    rows=lambda m: m.role_assignments.select_related("user", "person").order_by("assigned_at", "id"),
    write=s.RoleAssignSerializer,
    create=command.role_assign,
    doc="Every role assignment and hand-over, current ones without `ended_at`; POST assigns or hands over.",
)
MembersView = _nested(
    name="members",
    read=s.TeamMemberSerializer,
    rows=lambda m: m.team_members.select_related("user", "person"),
    write=s.TeamMemberWriteSerializer,
    create=command.member_add,
    doc="The major incident team, with joined and left times.",
)
ObjectivesView = _nested(
    name="objectives",
    read=s.ObjectiveSerializer,
    rows=lambda m: m.objectives.all(),
    write=s.ObjectiveWriteSerializer,
    create=lambda **kw: command.objective_add(**{k: v for k, v in kw.items() if k != "achieved"}),
    doc="The objectives of the response, in order.",
)
UpdatesView = _nested(
    name="updates",
    read=s.StatusUpdateSerializer,
    rows=lambda m: m.status_updates.all(),
    write=s.StatusUpdateWriteSerializer,
    create=comms.status_update_publish,
    doc="Structured status updates, newest first, each with what was sent to whom.",
)
CostsView = _nested(
    name="costs",
    read=s.CostSerializer,
    rows=lambda m: m.costs.all(),
    write=s.CostWriteSerializer,
    create=logistics.cost_add,
    doc="Costs (category, amount, currency, note).",
)
FundsView = _nested(
    name="funds",
    read=s.FundAllocationSerializer,
    rows=lambda m: m.fund_allocations.all(),
    write=s.FundAllocationWriteSerializer,
    create=logistics.funds_allocate,
    doc="Funds allocated to the response.",
)
ResourceRequestsView = _nested(
    name="resource_requests",
    read=s.ResourceRequestSerializer,
    rows=lambda m: m.resource_requests.all(),
    write=s.ResourceRequestWriteSerializer,
    create=logistics.resource_request_create,
    doc="Resource requests (people, equipment, access, outside help).",
)
LogView = _nested(
    name="log",
    read=s.LogEntrySerializer,
    rows=lambda m: m.log.select_related("actor"),
    doc="The log, oldest first: declaration, transitions, roles, team, tasks, updates, pages, escalations.",
)
TasksOfView = _nested(
    name="tasks",
    read=s.TaskSerializer,
    rows=lambda m: m.tasks.select_related("owner_user", "owner_person"),
    doc="The action plan: tasks by priority (safety first) and step. Create them at /api/v1/tasks/.",
)


class RoleEndView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.TaskNoteSerializer, responses={204: None})
    def delete(self, request: Request, pk: int, role: str) -> Response:
        _visible(request, pk)
        command.role_end(major_incident_id=pk, role=role, by=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberLeaveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: s.TeamMemberSerializer})
    def post(self, request: Request, pk: int, member_id: int) -> Response:
        major_incident = _visible(request, pk)
        get_object_or_404(major_incident.team_members, pk=member_id)
        return Response(
            s.TeamMemberSerializer(command.member_leave(member_id=member_id, by=acting_user(request))).data
        )


class ObjectiveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ObjectiveWriteSerializer, responses={200: s.ObjectiveSerializer})
    def patch(self, request: Request, pk: int, objective_id: int) -> Response:
        major_incident = _visible(request, pk)
        get_object_or_404(major_incident.objectives, pk=objective_id)
        changes = _valid(s.ObjectiveWriteSerializer, request, partial=True)
        objective = command.objective_update(
            objective_id=objective_id, by=acting_user(request), changes=changes
        )
        return Response(s.ObjectiveSerializer(objective).data)


class ResourceDecisionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ResourceDecisionSerializer, responses={200: s.ResourceRequestSerializer})
    def post(self, request: Request, pk: int, request_id: int) -> Response:
        major_incident = _visible(request, pk)
        get_object_or_404(major_incident.resource_requests, pk=request_id)
        data = _valid(s.ResourceDecisionSerializer, request)
        row = logistics.resource_request_decide(request_id=request_id, by=acting_user(request), **data)
        return Response(s.ResourceRequestSerializer(row).data)


class FinanceView(DeclaredQueryParams, APIView):
    """Per currency: allocated, spent, remaining, spent per category."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        major_incident = _visible(request, pk)
        rows = [
            {
                **row,
                **{k: str(row[k]) for k in ("allocated", "spent", "remaining")},
                "spent_by_category": {k: str(v) for k, v in row["spent_by_category"].items()},
            }
            for row in finance_summary(major_incident)
        ]
        return Response({"major_incident": major_incident.pk, "currencies": rows})


class EscalateView(APIView):
    """Escalate to management, or bring in a stakeholder group, another team or an outside agency."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.EscalateSerializer, responses={201: s.LogEntrySerializer})
    def post(self, request: Request, pk: int) -> Response:
        _visible(request, pk)
        data = _valid(s.EscalateSerializer, request)
        entry = comms.major_incident_escalate(major_incident_id=pk, by=acting_user(request), **data)
        return Response(s.LogEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class TemplateApplyView(APIView):
    """Add an action plan template's tasks to the plan."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.TemplateApplySerializer, responses={201: s.TaskSerializer(many=True)})
    def post(self, request: Request, pk: int) -> Response:
        _visible(request, pk)
        data = _valid(s.TemplateApplySerializer, request)
        tasks = actionplan.template_apply(
            major_incident_id=pk, template_id=data["template"].pk, by=acting_user(request)
        )
        return Response(s.TaskSerializer(tasks, many=True).data, status=status.HTTP_201_CREATED)


class LinksView(DeclaredQueryParams, APIView):
    """The incidents gathered under the major incident; POST links one, DELETE .../<incident>/ unlinks."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        major_incident = _visible(request, pk)
        rows = major_incident.links.select_related("incident")
        return Response(
            [
                {
                    "incident": link.incident_id,
                    "reference": link.incident.reference,
                    "title": link.incident.title,
                    "state": link.incident.state,
                    "primary": link.is_primary,
                    "linked_at": link.linked_at,
                }
                for link in rows
            ]
        )

    @extend_schema(request=s.IncidentLinkSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        _visible(request, pk)
        data = _valid(s.IncidentLinkSerializer, request)
        link = services.major_incident_link(
            major_incident_id=pk, incident_id=data["incident"].pk, by=acting_user(request)
        )
        return Response(
            {"incident": link.incident_id, "primary": link.is_primary}, status=status.HTTP_201_CREATED
        )


class LinkDeleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, incident_id: int) -> Response:
        _visible(request, pk)
        services.major_incident_unlink(major_incident_id=pk, incident_id=incident_id, by=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationsView(DeclaredQueryParams, APIView):
    """What was sent about the major incident, to whom, over which channel, and whether it left."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        major_incident = _visible(request, pk)
        rows = (
            Notification.objects.filter(**subject_filter(major_incident))
            .select_related("recipient")
            .order_by("id")
        )
        return Response(
            [
                {
                    "id": n.pk,
                    "reason": n.reason,
                    "recipient": n.recipient.get_username() if n.recipient is not None else None,
                    "address": None if n.recipient_id else n.address,
                    "channel": n.channel,
                    "state": n.state,
                    "created_at": n.created_at,
                    "sent_at": n.sent_at,
                }
                for n in rows
            ]
        )


class TaskFilter(VisibleFilterSet):
    state = filters.MultipleChoiceFilter(choices=TaskState.choices)
    overdue = filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = Task
        fields = [
            "major_incident",
            "incident",
            "owner_user",
            "owner_person",
            "workstream",
            "priority",
            "state",
        ]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = Q(state__in=[TaskState.TODO, TaskState.IN_PROGRESS], due_at__lte=timezone.now())
        return queryset.filter(overdue if value else ~overdue)


class TaskViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Tasks of action plans (major incidents) and checklists (incidents): exactly one owner each."""

    serializer_class = s.TaskSerializer
    permission_classes = [IsAuthenticated, ModelPermissionsWithView]
    filterset_class = TaskFilter
    filter_backends = [*STRICT_LIST_BACKENDS, VisibleFilterBackend, OrderingFilter]
    ordering_fields = ["priority", "position", "due_at", "id"]
    queryset = Task.objects.select_related("major_incident", "incident", "owner_user", "owner_person")

    @extend_schema(request=s.TaskCreateSerializer, responses={201: s.TaskSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _valid(s.TaskCreateSerializer, request)
        task = actionplan.task_create(by=acting_user(request), **data)
        return Response(s.TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TaskUpdateSerializer, responses={200: s.TaskSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        task = self.get_object()
        changes = _valid(s.TaskUpdateSerializer, request, partial=kwargs.get("partial", False))
        return Response(
            s.TaskSerializer(
                actionplan.task_update(task_id=task.pk, by=acting_user(request), changes=changes)
            ).data
        )


class TaskTransitionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_tasks_transition",
        request=s.TaskNoteSerializer,
        responses={200: s.TaskSerializer},
        parameters=[
            OpenApiParameter("transition", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Task.TRANSITIONS)
        ],
    )
    def post(self, request: Request, pk: int, transition: str) -> Response:
        if not request.user.has_perm("incidents.view_task"):
            raise PermissionDenied(_("You may not change tasks."))
        data = _valid(s.TaskNoteSerializer, request)
        task = actionplan.task_transition(
            task_id=pk, name=transition, by=acting_user(request), note=data["note"]
        )
        return Response(s.TaskSerializer(task).data)


class OutsidePersonViewSet(viewsets.ModelViewSet):
    """People without an account who take part: role holders, team members, task owners."""

    serializer_class = s.OutsidePersonSerializer
    permission_classes = [IsAuthenticated, ModelPermissionsWithView]
    queryset = OutsidePerson.objects.all()
    filter_backends = [*STRICT_LIST_BACKENDS, VisibleFilterBackend]
    filterset_fields = ["organisation"]


class ConfigurationView(DeclaredQueryParams, APIView):
    """The organisation's major-incident configuration (managers)."""

    permission_classes = [IsAuthenticated]

    def _check(self, request: Request, permission: str) -> None:
        if not request.user.has_perm(f"incidents.{permission}_majorincidentconfiguration"):
            raise PermissionDenied(_("Only managers may see or change the major-incident configuration."))

    @extend_schema(responses={200: s.ConfigurationSerializer})
    def get(self, request: Request) -> Response:
        self._check(request, "view")
        return Response(s.ConfigurationSerializer(MajorIncidentConfiguration.load()).data)

    @extend_schema(request=s.ConfigurationSerializer, responses={200: s.ConfigurationSerializer})
    def patch(self, request: Request) -> Response:
        self._check(request, "change")
        configuration = MajorIncidentConfiguration.load()
        serializer = s.ConfigurationSerializer(
            configuration, data=request.data, partial=True, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        with audit_change(
            model=MajorIncidentConfiguration, pk=configuration.pk, by=request.user, via=AuditVia.API
        ):
            serializer.save()
        return Response(serializer.data)
