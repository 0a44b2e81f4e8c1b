"""The events changes emit, declared to the engine in `IncidentsConfig.ready()`."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from escalation.registry import event_register


class ChangeEvent(models.TextChoices):
    SUBMITTED = "change.submitted", _("change submitted for approval")
    APPROVED = "change.approved", _("change approved")
    REJECTED = "change.rejected", _("change rejected")
    SCHEDULED = "change.scheduled", _("change scheduled")
    STARTED = "change.started", _("change implementation started")
    IMPLEMENTED = "change.implemented", _("change implemented")
    FAILED = "change.failed", _("change failed")
    ROLLED_BACK = "change.rolled_back", _("change rolled back")
    REVIEWED = "change.reviewed", _("change reviewed")
    CLOSED = "change.closed", _("change closed")
    CANCELLED = "change.cancelled", _("change cancelled")


def change_events_register() -> None:
    for event in ChangeEvent:
        event_register(name=event.value, label=event.label, app="incidents")
