"""How the escalation engine sees a change: registered in `IncidentsConfig.ready()`."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from escalation.models import Team
from escalation.subjects import SubjectInfo, SubjectType

from ..models import Change, ChangeLogEntry, ChangeState
from ..models.change import IMPLEMENTED_STATES
from ..problems.subjects import team_manager
from ..roles import MANAGERS


def _teams(change: Change) -> list[int]:
    ids = {change.team_id} if change.team_id else set()
    ids.update(t for t in change.services.values_list("owning_team_id", flat=True) if t)
    return sorted(ids)


def pending_approvers(change: Change) -> list[User]:
    """Who may still decide on the change's current round: members of its team and of the teams owning its
    services who hold the approve permission, not its owner or requester, not those who decided already."""
    decided = change.approvals.filter(approval_round=change.approval_round).values("approver_id")
    members = (
        User.objects.filter(is_active=True, vigil_teams__in=_teams(change))
        .exclude(pk__in=decided)
        .exclude(pk__in=[p for p in (change.owner_id, change.requested_by_id) if p])
        .distinct()
    )
    return [user for user in members if user.has_perm("incidents.approve_change")]


def approvers_managers(change: Change) -> list[User]:
    """The managers of those teams; when there are none, the managers' group."""
    managers = [m for m in Team.objects.filter(pk__in=_teams(change)).select_related("manager") if m.manager]
    found = [team.manager for team in managers if team.manager is not None]
    if found:
        return found
    group = Group.objects.filter(name=MANAGERS).first()
    return list(group.user_set.filter(Q(is_active=True))) if group is not None else []


class ChangeSubject(SubjectType):
    """Reference, risk as priority, the owner, the approvers still to decide and their managers; approval and
    review reminders are the engine's (`escalation.reminders`)."""

    model = Change
    roles = {
        "owner": _("the change's owner"),
        "owner_manager": _("the owner's manager (the team's manager)"),
        "approvers": _("the approvers who have not decided yet"),
        "approvers_manager": _("the approvers' managers"),
    }

    def describe(self, obj: Any) -> SubjectInfo:
        service = obj.services.first()
        priority = {"critical": 1, "high": 2, "medium": 3, "low": 4}.get(obj.risk_level, 4)
        return SubjectInfo(
            reference=obj.reference,
            title=obj.title,
            priority=priority,
            url=settings.VIGIL_BASE_URL.rstrip("/") + reverse("admin:incidents_change_change", args=[obj.pk]),
            state=obj.state,
            team_id=obj.team_id,
            owner_team_id=service.owning_team_id if service is not None else None,
            service_id=service.pk if service is not None else None,
            is_open=obj.state not in (ChangeState.CLOSED, ChangeState.CANCELLED),
            extra={
                "state_label": obj.get_state_display(),
                "risk_label": obj.get_risk_level_display(),
                "type_label": obj.get_change_type_display(),
                "planned_start": obj.planned_start.isoformat() if obj.planned_start else None,
                "planned_end": obj.planned_end.isoformat() if obj.planned_end else None,
            },
        )

    def people(self, obj: Any, role: str) -> list[User]:
        if role == "owner":
            return [obj.owner] if obj.owner_id else []
        if role == "owner_manager":
            return team_manager(obj.team_id)
        if role == "approvers":
            return pending_approvers(obj)
        if role == "approvers_manager":
            return approvers_managers(obj)
        return []

    def still_due(self, obj: Any, *, kind: str, data: dict[str, Any]) -> bool:
        if kind == "approval":
            # Waiting for approval: submitted, or an emergency change carried out before it was approved.
            return obj.state == ChangeState.SUBMITTED or (
                obj.is_emergency
                and obj.approved_at is None
                and obj.rejected_at is None
                and obj.state not in (ChangeState.CLOSED, ChangeState.CANCELLED, ChangeState.DRAFT)
            )
        if kind == "review":
            return obj.state in IMPLEMENTED_STATES
        return self.describe(obj).is_open

    def record(self, obj: Any, *, what: str, at: Any, data: dict[str, Any]) -> None:
        if what == "notified" and data.get("reason") == "reminder":
            ChangeLogEntry.objects.create(
                change=obj,
                kind=ChangeLogEntry.Kind.NOTE,
                created_at=at,
                note=str(_("Reminder sent to %(who)s.") % {"who": data.get("username", "")}),
                data=data,
            )
