"""The events problems emit, declared to the engine in `IncidentsConfig.ready()`."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from escalation.registry import event_register


class ProblemEvent(models.TextChoices):
    OPENED = "problem.opened", _("problem opened")
    INVESTIGATING = "problem.investigating", _("problem under investigation")
    KNOWN_ERROR = "problem.known_error", _("known error recorded (a workaround exists)")
    RESOLVED = "problem.resolved", _("problem resolved")
    REOPENED = "problem.reopened", _("problem reopened")
    CLOSED = "problem.closed", _("problem closed")


def problem_events_register() -> None:
    for event in ProblemEvent:
        event_register(name=event.value, label=event.label, app="incidents")
