"""Request plumbing shared by every app."""

import io
import ipaddress
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import LimitedStream
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.debug import ExceptionReporter

TIMEZONE_COOKIE = "vigil_tz"


def body_limit_for(path: str) -> int:
    """The body limit for a path: the longest matching prefix in VIGIL_MAX_BODY_BYTES_BY_PREFIX, else the default."""
    limit = settings.VIGIL_MAX_BODY_BYTES
    best = -1
    for prefix, prefix_limit in settings.VIGIL_MAX_BODY_BYTES_BY_PREFIX.items():
        if path.startswith(prefix) and len(prefix) > best:
            best, limit = len(prefix), prefix_limit
    return limit


def too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        {
            "code": "payload_too_large",
            "detail": _("The request body is larger than %(limit)d bytes.") % {"limit": limit},
            "limit_bytes": limit,
        },
        status=413,
    )


class BodySizeLimitMiddleware:
    """Answers 413 with a JSON body before anything reads a body over the limit.

    A declared Content-Length is checked without reading; a chunked body is read up to the limit, so a client
    that lies or streams cannot make us buffer more than that."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH"):
            limit = body_limit_for(request.path)
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse(
                    {"code": "invalid", "detail": _("The Content-Length header is not a number.")}, status=400
                )
            if declared > limit:
                return too_large(limit)
            if not declared and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                chunk = _chunked_body(request, limit)
                if chunk is None:
                    return too_large(limit)
            try:
                return self.get_response(request)
            except RequestDataTooBig:
                return too_large(limit)
        return self.get_response(request)


def _chunked_body(request: HttpRequest, limit: int) -> bytes | None:
    """Reads a chunked body (no Content-Length) up to `limit` bytes; None when it is longer. Then the request
    looks as if it had come with a Content-Length, for Django's and DRF's readers alike.

    Under WSGI, Django reads nothing from a request without a Content-Length: the server's `wsgi.input` is read
    here, to its end when the server says it ends there (`wsgi.input_terminated`, which gunicorn sets for a
    dechunked body). Under ASGI (config/serving.py) the body arrives with a Content-Length already."""
    environ = getattr(request, "environ", {})
    stream = environ.get("wsgi.input") if environ.get("wsgi.input_terminated") else None
    if stream is None:
        body = request.read(limit + 1)
    else:
        parts: list[bytes] = []
        size = 0
        while size <= limit:
            part = stream.read(min(65536, limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
        body = b"".join(parts)
    if len(body) > limit:
        return None
    request.META["CONTENT_LENGTH"] = str(len(body))
    request._body = body  # later readers use request.body
    request._stream = LimitedStream(io.BytesIO(body), len(body))  # type: ignore[assignment]  # and DRF reads it
    request._read_started = False  # type: ignore[attr-defined]
    return body


def profile_language(user: Any) -> str | None:
    """The language a signed-in user chose in their profile, when it is one of LANGUAGES; else None."""
    if user is None or not user.is_authenticated:
        return None
    code = getattr(getattr(user, "vigil_profile", None), "language", "")
    return code if code and code in dict(settings.LANGUAGES) else None


def language_activate(request: Any, code: str) -> None:
    """Switch the rest of the request to `code`. `request` is Django's, or DRF's wrapper around it."""
    translation.activate(code)
    getattr(request, "_request", request).LANGUAGE_CODE = translation.get_language()


class UserLanguageMiddleware(LocaleMiddleware):
    """The language of a request: the signed-in user's profile, else Django's LocaleMiddleware order (the
    switch's cookie, then Accept-Language, then LANGUAGE_CODE). Runs after AuthenticationMiddleware; API users
    with a token are switched by config.authentication, because DRF authenticates them inside the view."""

    def process_request(self, request: HttpRequest) -> None:
        code = profile_language(getattr(request, "user", None))
        if code is None:
            super().process_request(request)
        else:
            language_activate(request, code)


class UserTimezoneMiddleware:
    """Shows times in the user's zone: their profile's zone, else the `vigil_tz` cookie, else TIME_ZONE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = ""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            profile = getattr(user, "vigil_profile", None)
            name = getattr(profile, "time_zone", "") or ""
        name = name or request.COOKIES.get(TIMEZONE_COOKIE, "")
        try:
            zone = zoneinfo.ZoneInfo(name) if name else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        return self.get_response(request)


def client_is_local(request: HttpRequest) -> bool:
    """The client is on this machine: a loopback REMOTE_ADDR (or a Unix socket's empty one)."""
    address = request.META.get("REMOTE_ADDR") or ""
    if not address:
        return True
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class QuietExceptionReporter(ExceptionReporter):
    """What a client that is not on this machine gets instead of Django's debug page, with DEBUG on."""

    def get_traceback_html(self) -> SafeString:
        return mark_safe("<!doctype html><title>Server Error (500)</title><h1>Server Error (500)</h1>")

    def get_traceback_text(self) -> SafeString:
        return mark_safe("Server Error (500)")


class LocalDebugMiddleware:
    """With DEBUG on (`make run`), Django's debug pages (tracebacks, settings, the URL map) are shown only to
    clients on this machine; anyone else gets the plain pages production shows. Listed in the local settings."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG and not client_is_local(request):
            request.exception_reporter_class = QuietExceptionReporter
            try:
                resolve(request.path_info)
            except Resolver404 as error:
                from .urls import not_found

                return not_found(request, error)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404) and not client_is_local(request):
            from .urls import not_found

            return not_found(request, exception)
        return None
