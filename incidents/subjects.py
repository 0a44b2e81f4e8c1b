"""How the escalation engine sees an incident: registered in `IncidentsConfig.ready()`."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from escalation.models import Team
from escalation.subjects import SubjectInfo, SubjectType

from .models import Incident, IncidentState


class IncidentSubject(SubjectType):
    """Title, priority, link, team and the owning team of its service, for routing and rendering; the
    assignee owns it, the manager of its team (else of its service's team) answers for them."""

    model = Incident
    query_name = "incident"
    roles = {
        "owner": _("owner (the assignee)"),
        "owner_manager": _("the owner's manager (the team's manager)"),
        "reporter": _("reporter"),
    }

    def describe(self, obj: Any) -> SubjectInfo:
        service = obj.service if obj.service_id else None
        return SubjectInfo(
            reference=obj.reference,
            title=obj.title,
            priority=obj.priority,
            url=settings.VIGIL_BASE_URL.rstrip("/")
            + reverse("admin:incidents_incident_change", args=[obj.pk]),
            state=obj.state,
            team_id=obj.team_id,
            owner_team_id=service.owning_team_id if service is not None else None,
            service_id=obj.service_id,
            category_id=obj.category_id,
            is_open=obj.is_open,
            acknowledged=obj.acknowledged_at is not None,
            paused=obj.state == "on_hold",
            # Lazy: notifications show it in each recipient's language (escalation.notify.message_render).
            extra={
                "service": service.name if service is not None else None,
                "state_label": IncidentState(obj.state).label,
                "category": lazy(lambda: obj.category.display_name, str)() if obj.category_id else None,
                # What a report must contain (the reporting rules' notice: report_body.txt here).
                "description": obj.description[:1000],
                "reported_at": obj.reported_at,
                "occurred_at": obj.occurred_at,
                "detected_at": obj.detected_at,
                "impact_scope": obj.impact_scope,
                "affected_parties": obj.affected_parties,
                "mitigated_at": obj.mitigated_at,
                "interim_measure": obj.interim_measure,
            },
        )

    def people(self, obj: Any, role: str) -> list[User]:
        if role == "owner":
            return [obj.assignee] if obj.assignee_id else []
        if role == "reporter":
            return [obj.reporter] if obj.reporter_id else []
        if role == "owner_manager":
            team_id = obj.team_id or (obj.service.owning_team_id if obj.service_id else None)
            team = Team.objects.filter(pk=team_id).select_related("manager").first() if team_id else None
            return [team.manager] if team is not None and team.manager is not None else []
        return []
