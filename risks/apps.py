from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisksConfig(AppConfig):
    """Risk register, key risk indicators and the weekly radar. Depends on incidents and escalation."""

    name = "risks"
    verbose_name = _("Risks")

    def ready(self) -> None:
        from escalation.registry import event_listener_register, subject_type_register, timer_handler_register

        from .checklists import on_incident_created
        from .drills import DRILL_TIMER, on_drill_timer
        from .events import events_register
        from .kris import RED_ESCALATION_TIMER, on_red_escalation_timer
        from .subjects import SUBJECT_TYPES

        for subject_type in SUBJECT_TYPES:
            subject_type_register(subject_type())
        events_register()
        # An unacknowledged red KRI escalates; a drill's next run is a timer.
        timer_handler_register(RED_ESCALATION_TIMER, on_red_escalation_timer)
        timer_handler_register(DRILL_TIMER, on_drill_timer)
        # Response checklists: tasks on every new incident of the checklist's category, in its transaction.
        event_listener_register("incident.created", on_incident_created)
        # Visibility of areas, and the configuration the audit log records (issue #14).
        from .visibility import risks_register

        risks_register()
