from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationConfig(AppConfig):
    """The engine: teams, on-call, SLA clocks, timers, escalation and the notification outbox.

    It works on any subject through a small interface and never imports the apps above it."""

    name = "escalation"
    verbose_name = _("Escalation")

    def ready(self) -> None:
        # Registers the engine's own timer handlers (escalation levels, delayed pages, SLA warning/breach).
        from . import escalations, sla  # noqa: F401
