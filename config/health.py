"""Liveness and readiness probes."""

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from .celery_app import app as celery_app
from .unavailable import RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"{type(exc).__name__}: {exc}"
    return None


def _broker_ok() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:  # any transport error means "not ready"
        return f"{type(exc).__name__}: {exc}"
    return None


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database and the broker are reachable; 503 naming what is down otherwise. The errors'
    text goes to the log, and to staff who are signed in: it can name hosts, users and paths."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    down = {name: error for name, error in checks.items() if error}
    body = {
        "status": "ok" if not down else "unavailable",
        "checks": {name: ("ok" if not error else "down") for name, error in checks.items()},
    }
    for name, error in down.items():
        logger.warning("readyz: %s is down: %s", name, error)
    if down and _staff(request):
        body["errors"] = down
    response = JsonResponse(body, status=503 if down else 200)
    if down:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _staff(request: HttpRequest) -> bool:
    try:
        return bool(request.user.is_authenticated and request.user.is_staff)
    except Exception:  # the session store is the database that is down
        return False
