from django.apps import AppConfig


class EngineSubjectConfig(AppConfig):
    """Registers the test-only subject type exactly as a real app would: subject type, events, timer."""

    name = "tests.engine_subject"
    label = "engine_subject"
    verbose_name = "Engine test subject"

    def ready(self) -> None:
        from escalation.registry import (
            event_listener_register,
            event_register,
            subject_type_register,
            timer_handler_register,
        )

        from .subjects import CHORE_EXPIRE_TIMER, ChoreSubject, on_chore_opened, on_expire_timer

        subject_type_register(ChoreSubject())
        event_register(name="chore.opened", label="chore opened", app="engine_subject")
        event_register(name="chore.done", label="chore done", app="engine_subject")
        timer_handler_register(CHORE_EXPIRE_TIMER, on_expire_timer)
        event_listener_register("chore.opened", on_chore_opened)
