"""System checks that prove the engine's plug-ins are complete in this process.

Registered in `EscalationConfig.ready()`, so they run with `manage.py check` (and every management command
that checks, `migrate` included), in `make test`, and when a Celery worker starts (`config.celery_app`): a
worker that would fail a pending timer for want of its handler refuses to start instead of leaving someone
unpaged."""

from typing import Any

from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError, connection

from .models import CommunicationRule, Timer, TimerState, WebhookSubscription
from .registry import event_types, subject_types, timer_handler_for

TAG = "vigil_engine"


def engine_registry_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every pending timer's kind has a handler; every event a communication rule or a webhook subscription
    names is registered; every registered subject type can describe its rows."""
    problems: list[CheckMessage] = []
    for subject_type in subject_types():
        if type(subject_type).describe is _base_describe():
            problems.append(
                Error(
                    f"subject type {type(subject_type).__qualname__} does not implement describe()",
                    id="escalation.E003",
                )
            )
    try:
        # Before the first `migrate` there is nothing pending that could lack a handler.
        if Timer._meta.db_table in connection.introspection.table_names():
            problems += _pending_timers_check() + _events_in_rules_check()
    except DatabaseError as error:
        # A database that is down: said as a warning, so that such a run does not pass silently.
        problems.append(
            CheckWarning(
                f"could not read pending timers and rules to check their handlers: {type(error).__name__}",
                id="escalation.W001",
            )
        )
    return problems


def _base_describe() -> Any:
    from .subjects import SubjectType

    return SubjectType.describe


def _pending_timers_check() -> list[CheckMessage]:
    kinds = Timer.objects.filter(state=TimerState.PENDING).values_list("kind", flat=True).distinct()
    return [
        Error(
            f"pending timers of kind {kind!r} have no registered handler",
            hint="Register it with escalation.registry.timer_handler_register from the owning app's "
            "AppConfig.ready(), or cancel those timers.",
            id="escalation.E001",
        )
        for kind in sorted(set(kinds))
        if timer_handler_for(kind) is None
    ]


def _events_in_rules_check() -> list[CheckMessage]:
    known = {event.name for event in event_types()}
    named: dict[str, str] = {}
    for event in CommunicationRule.objects.filter(is_active=True).values_list("event", flat=True).distinct():
        named.setdefault(event, "a communication rule")
    for events in WebhookSubscription.objects.filter(is_active=True).values_list("events", flat=True):
        for event in events or []:
            named.setdefault(event, "a webhook subscription")
    return [
        Error(
            f"{where} names the event {event!r}, which no app registers",
            hint="Register it with escalation.registry.event_register, or change the rule.",
            id="escalation.E002",
        )
        for event, where in sorted(named.items())
        if event not in known
    ]


def audit_admin_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every configuration model (escalation.audit) that has admin pages records its changes there too."""
    from django.contrib import admin

    from .admin.base import AuditedAdminMixin
    from .audit import audited_models

    problems: list[CheckMessage] = []
    for model in audited_models():
        model_admin = admin.site._registry.get(model)
        if model_admin is not None and not isinstance(model_admin, AuditedAdminMixin):
            problems.append(
                Error(
                    f"{model._meta.label} is audited configuration but its admin "
                    f"{type(model_admin).__qualname__} does not use escalation.admin.base.AuditedAdminMixin",
                    id="escalation.E010",
                )
            )
    return problems
