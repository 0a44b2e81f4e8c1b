"""The Celery app, found by `celery -A config`. It reads every `CELERY_*` Django setting."""

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("vigil")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Urgent work (escalation, notification) never waits behind bulk work (rollups, imports).
app.conf.task_queues = [
    Queue(name, Exchange(name), routing_key=name) for name in ("urgent", "default", "bulk")
]
app.autodiscover_tasks()
