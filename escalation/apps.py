from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationConfig(AppConfig):
    """The engine: teams, on-call, SLA clocks, timers, escalation and the notification outbox.

    It works on any subject through a small interface (`escalation.registry`) and never imports the apps
    above it; they register their subject types, events and timer handlers from their own `ready()`."""

    name = "escalation"
    verbose_name = _("Escalation")

    def ready(self) -> None:
        from django.core import checks

        from .checks import TAG, audit_admin_check, engine_registry_check
        from .escalations import LEVEL_TIMER, on_level_timer, on_page_timer
        from .events import engine_events_register
        from .models import ContactMethod
        from .notify import PAGE_TIMER
        from .registry import subject_type_register, timer_handler_register
        from .reminders import REMINDER_TIMER, on_reminder_timer
        from .sla import BREACH_TIMER, WARNING_TIMER, on_breach_timer, on_warning_timer
        from .subjects import ContactMethodSubject

        timer_handler_register(LEVEL_TIMER, on_level_timer)
        timer_handler_register(PAGE_TIMER, on_page_timer)
        timer_handler_register(WARNING_TIMER, on_warning_timer)
        timer_handler_register(BREACH_TIMER, on_breach_timer)
        timer_handler_register(REMINDER_TIMER, on_reminder_timer)
        engine_events_register()
        # A test message is about the contact method itself.
        subject_type_register(ContactMethodSubject(ContactMethod))
        checks.register(engine_registry_check, TAG)
        checks.register(audit_admin_check, checks.Tags.admin)
        # config is not an app: the lowest app registers the check of the keys that encrypt stored secrets.
        from config.encryption import field_keys_check

        checks.register(field_keys_check, checks.Tags.security, deploy=True)
        from .audited import audited_register
        from .visibility import visibility_register

        visibility_register()
        audited_register()
