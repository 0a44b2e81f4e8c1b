"""How the escalation engine sees a problem: registered in `IncidentsConfig.ready()`."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from escalation.models import Team
from escalation.subjects import SubjectInfo, SubjectType

from ..models import Problem, ProblemLogEntry


def team_manager(team_id: int | None) -> list[User]:
    team = Team.objects.filter(pk=team_id).select_related("manager").first() if team_id else None
    return [team.manager] if team is not None and team.manager is not None else []


class ProblemSubject(SubjectType):
    """Reference, priority, the owner and their team's manager; reminders and notices go on the problem's log."""

    model = Problem
    roles = {
        "owner": _("the problem's owner"),
        "owner_manager": _("the owner's manager (the team's manager)"),
    }

    def describe(self, obj: Any) -> SubjectInfo:
        service = obj.services.first()
        return SubjectInfo(
            reference=obj.reference,
            title=obj.title,
            priority=obj.priority,
            url=settings.VIGIL_BASE_URL.rstrip("/")
            + reverse("admin:incidents_problem_change", args=[obj.pk]),
            state=obj.state,
            team_id=obj.team_id,
            owner_team_id=service.owning_team_id if service is not None else None,
            service_id=service.pk if service is not None else None,
            category_id=obj.category_id,
            is_open=obj.is_active,
            extra={"state_label": obj.get_state_display(), "workaround": obj.workaround},
        )

    def people(self, obj: Any, role: str) -> list[User]:
        if role == "owner":
            return [obj.owner] if obj.owner_id else []
        if role == "owner_manager":
            return team_manager(obj.team_id)
        return []

    def record(self, obj: Any, *, what: str, at: Any, data: dict[str, Any]) -> None:
        if what == "notified" and data.get("reason") == "reminder":
            ProblemLogEntry.objects.create(
                problem=obj, kind=ProblemLogEntry.Kind.REMINDED, created_at=at, data=data
            )
