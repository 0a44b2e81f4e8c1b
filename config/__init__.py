"""Project configuration: settings, URLs, the Celery app and the HTTP plumbing every app shares."""

from .celery_app import app as celery_app

__all__ = ("celery_app",)
