"""The events risks emit, declared to the engine in `RisksConfig.ready()`."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from escalation.registry import event_register


class RiskEvent(models.TextChoices):
    RAISED = "risk.raised", _("risk raised")
    LEVEL_UP = "risk.level_up", _("risk level went up")
    REVIEW_OPENED = "risk.review_opened", _("risk review opened")
    KRI_YELLOW = "kri.yellow", _("key risk indicator turned yellow")
    KRI_RED = "kri.red", _("key risk indicator turned red")
    KRI_GREEN = "kri.green", _("key risk indicator back to green")
    RADAR_ALERT = "radar.alert", _("risk radar: area above its threshold")
    PRECURSOR = "precursor.raised", _("precursor warning raised")
    DRILL_DUE = "drill.due", _("drill due")
    PROCEDURE_PUBLISHED = "procedure.published", _("reporting procedure version published")


def events_register() -> None:
    for event in RiskEvent:
        event_register(name=event.value, label=event.label, app="risks")
