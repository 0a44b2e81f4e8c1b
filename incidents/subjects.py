"""How the escalation engine sees an incident: registered in `IncidentsConfig.ready()`."""

from typing import Any

from django.conf import settings
from django.urls import reverse

from escalation.subjects import SubjectInfo

from .models import IncidentState


class IncidentAdapter:
    """Title, priority, link, team and the owning team of its service, for routing and rendering."""

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
            },
        )
