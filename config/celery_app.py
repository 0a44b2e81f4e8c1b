"""The Celery app, found by `celery -A config`. It reads every `CELERY_*` Django setting."""

import os

from celery import Celery, signals
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("vigil")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Urgent work (escalation, notification) never waits behind bulk work (rollups, imports).
app.conf.task_queues = [
    Queue(name, Exchange(name), routing_key=name) for name in ("urgent", "default", "bulk")
]
app.autodiscover_tasks()


@signals.worker_init.connect
def _refuse_to_start_with_unhandled_timers(**kwargs: object) -> None:
    """A worker that would fail a pending timer (or an event a rule names) for want of its handler does not
    start: the engine's system check (escalation/checks.py) runs here, and its errors stop the worker."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.core.checks import run_checks
    from django.core.management.base import SystemCheckError

    from escalation.checks import TAG

    errors = [message for message in run_checks(tags=[TAG]) if message.is_serious()]
    if errors:
        raise SystemCheckError("\n".join(str(error) for error in errors))
