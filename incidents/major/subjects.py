"""How the escalation engine sees a major incident and a task: registered in `IncidentsConfig.ready()`."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from escalation.models import Team
from escalation.subjects import SubjectInfo, SubjectType

from ..models import CommandRole, MajorIncident, MajorIncidentLogEntry, RoleAssignment, Task


def _admin_url(name: str, pk: int) -> str:
    return settings.VIGIL_BASE_URL.rstrip("/") + reverse(name, args=[pk])


def _holder(major_incident: MajorIncident, role: str) -> list[User]:
    assignment = (
        RoleAssignment.objects.filter(major_incident=major_incident, role=role, ended_at__isnull=True)
        .select_related("user")
        .first()
    )
    return [assignment.user] if assignment is not None and assignment.user is not None else []


class MajorIncidentSubject(SubjectType):
    """Reference, severity as priority, the command roles (a role nobody holds falls to the commander, who
    holds every role not delegated), the team; the engine's pages and acknowledgements go on the log."""

    model = MajorIncident
    roles = {
        "owner": _("owner (the commander)"),
        "team": _("the major incident team"),
        **{role.value: role.label for role in CommandRole},
    }

    def describe(self, obj: Any) -> SubjectInfo:
        primary = obj.primary_incident if obj.primary_incident_id else None
        service = primary.service if primary is not None and primary.service_id else None
        return SubjectInfo(
            reference=obj.reference,
            title=obj.title,
            priority=obj.severity,
            url=_admin_url("admin:incidents_majorincident_change", obj.pk),
            state=obj.state,
            team_id=primary.team_id if primary is not None else None,
            owner_team_id=service.owning_team_id if service is not None else None,
            service_id=service.pk if service is not None else None,
            category_id=obj.category_id,
            is_open=obj.is_active,
            acknowledged=obj.acknowledged_at is not None,
            extra={
                "severity": obj.get_severity_display(),
                "bridge_url": obj.bridge_url,
                "war_room": obj.war_room,
                "state": obj.get_state_display(),
                # What the page of an action link shows (escalation/views.py), as for incidents.
                "state_label": obj.get_state_display(),
            },
        )

    def people(self, obj: Any, role: str) -> list[User]:
        if role == "team":
            return [
                m.user
                for m in obj.team_members.filter(left_at__isnull=True, user__isnull=False).select_related(
                    "user"
                )
            ]
        if role == "owner":
            role = CommandRole.COMMANDER
        if role not in CommandRole.values:
            return []
        return _holder(obj, role) or (
            _holder(obj, CommandRole.COMMANDER) if role != CommandRole.COMMANDER else []
        )

    # The commander's page carries a link to acknowledge it (escalation/actions.py); resolving a major
    # incident has conditions (a problem record or a reason) that a one-button page cannot meet.
    actions = {"acknowledge": _("acknowledge")}

    def action_offered(self, obj: Any, action: str) -> bool:
        return obj.is_active and obj.acknowledged_at is None

    def action_perform(self, pk: int, *, action: str, by: User) -> MajorIncident:
        from .services import major_incident_acknowledge

        return major_incident_acknowledge(major_incident_id=pk, by=by, strict=True)

    def record(self, obj: Any, *, what: str, at: datetime, data: dict[str, Any]) -> None:
        if what == "escalated":
            MajorIncidentLogEntry.objects.create(
                major_incident=obj,
                kind=MajorIncidentLogEntry.Kind.PAGED,
                created_at=at,
                note=", ".join(data.get("users", [])),
                data=data,
            )


class TaskSubject(SubjectType):
    """A task is reminded to its owner, then to whoever leads the response (`lead`: the major incident's
    commander; a plain incident's assignee, else its team's manager)."""

    model = Task
    roles = {"owner": _("the task's owner"), "lead": _("who leads the response (commander or assignee)")}

    def describe(self, obj: Any) -> SubjectInfo:
        parent = obj.parent
        open_parent = parent.is_active if obj.major_incident_id else parent.is_open
        return SubjectInfo(
            reference=obj.reference,
            title=obj.title,
            priority=obj.priority,
            url=_admin_url("admin:incidents_task_change", obj.pk),
            state=obj.state,
            is_open=obj.is_open and open_parent,
            extra={"owner": obj.owner_name, "parent": parent.reference},
        )

    def people(self, obj: Any, role: str) -> list[User]:
        if role == "owner":
            return [obj.owner_user] if obj.owner_user is not None else []
        if role != "lead":
            return []
        if obj.major_incident_id:
            return _holder(obj.major_incident, CommandRole.COMMANDER)
        incident = obj.incident
        if incident.assignee_id:
            return [incident.assignee]
        team = (
            Team.objects.filter(pk=incident.team_id).select_related("manager").first()
            if incident.team_id
            else None
        )
        return [team.manager] if team is not None and team.manager is not None else []
