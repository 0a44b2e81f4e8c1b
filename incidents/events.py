"""The events incidents and major incidents emit, declared to the engine in `IncidentsConfig.ready()`.

Webhook receivers and the communication plan know them by these names; `X-Vigil-Event` carries them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from escalation.registry import event_register


class IncidentEvent(models.TextChoices):
    CREATED = "incident.created", _("incident created")
    ACKNOWLEDGED = "incident.acknowledged", _("incident acknowledged")
    RESOLVED = "incident.resolved", _("incident resolved")
    CANCELLED = "incident.cancelled", _("incident cancelled")
    REOPENED = "incident.reopened", _("incident reopened")
    PRIORITY_CHANGED = "incident.priority_changed", _("incident priority changed")
    POSSIBLE_MAJOR = "incident.possible_major", _("possible major incident (storm or spike)")


class MajorIncidentEvent(models.TextChoices):
    DECLARED = "major_incident.declared", _("major incident declared")
    ACKNOWLEDGED = "major_incident.acknowledged", _("major incident acknowledged by its commander")
    COMMANDER_ASSIGNED = "major_incident.commander_assigned", _("major incident commander assigned")
    ROLE_ASSIGNED = "major_incident.role_assigned", _("major incident role assigned")
    INVESTIGATING = "major_incident.investigating", _("major incident under investigation")
    IDENTIFIED = "major_incident.identified", _("major incident cause identified")
    MITIGATED = "major_incident.mitigated", _("major incident mitigated")
    RESOLVED = "major_incident.resolved", _("major incident resolved")
    REOPENED = "major_incident.reopened", _("major incident reopened")
    REVIEWED = "major_incident.reviewed", _("major incident reviewed")
    CLOSED = "major_incident.closed", _("major incident closed")
    CANCELLED = "major_incident.cancelled", _("major incident cancelled")
    STATUS_UPDATE = "major_incident.status_update", _("major incident status update")
    ESCALATED_TO_MANAGEMENT = (
        "major_incident.escalated_to_management",
        _("major incident escalated to management"),
    )
    HELP_REQUESTED = "major_incident.help_requested", _("another team or an outside agency brought in")
    REPORTED_AGAIN = "major_incident.reported_again", _("major incident reported again (joined)")


def events_register() -> None:
    for choices in (IncidentEvent, MajorIncidentEvent):
        for event in choices:
            event_register(name=event.value, label=event.label, app="incidents")
