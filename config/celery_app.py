"""The Celery app, found by `celery -A config`. It reads every `CELERY_*` Django setting."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("vigil")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Urgent work (escalation, notification) never waits behind bulk work (rollups, imports).
app.conf.task_queues = [Queue("urgent"), Queue("default"), Queue("bulk")]
app.autodiscover_tasks()
