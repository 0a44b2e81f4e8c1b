"""A lost database answers 503 with `Retry-After`, never a 500 or a debug page, on every endpoint.

Three places see the error, depending on where it is raised: DRF's exception handler (`config.exceptions`, API
views), `DatabaseUnavailableMiddleware.process_exception` (every other view: admin, pages, health), and the 500
handler (`config.urls.server_error`, errors raised in middleware, such as loading the session's user). The
connection itself recovers on the next request: Django closes a connection that failed, and
`CONN_HEALTH_CHECKS` replaces a stale one before use."""

from collections.abc import Callable

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

# Django's wrapped errors, and the driver's own (statements run on psycopg's cursor directly raise these).
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
RETRY_AFTER_SECONDS = 5


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, says the database cannot be reached or was lost."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DATABASE_ERRORS):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def unavailable_body() -> dict[str, object]:
    return {
        "code": "unavailable",
        "detail": _("The database is unavailable; retry shortly."),
        "retry_after_seconds": RETRY_AFTER_SECONDS,
    }


def unavailable_response() -> JsonResponse:
    response = JsonResponse(unavailable_body(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database error raised by any view into the 503, whatever DEBUG says. Placed right after
    AuthenticationMiddleware, it also loads the session's user itself, so that a database lost there (the
    first query of most requests) is answered here and not by Django's 500 machinery further out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None:
            try:
                user.is_authenticated  # noqa: B018 (evaluates the lazy user: session and user rows)
            except DATABASE_ERRORS:
                return unavailable_response()
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_response() if database_unavailable(exception) else None
