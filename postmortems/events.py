"""The events post-mortems emit, declared to the engine in `PostmortemsConfig.ready()`."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from escalation.registry import event_register


class PostmortemEvent(models.TextChoices):
    OPENED = "postmortem.opened", _("post-mortem opened")
    SUBMITTED = "postmortem.submitted", _("post-mortem submitted for review")
    PUBLISHED = "postmortem.published", _("post-mortem published")


def events_register() -> None:
    for event in PostmortemEvent:
        event_register(name=event.value, label=event.label, app="postmortems")
