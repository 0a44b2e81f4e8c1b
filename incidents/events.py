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


def events_register() -> None:
    for choices in (IncidentEvent, MajorIncidentEvent):
        for event in choices:
            event_register(name=event.value, label=event.label, app="incidents")
