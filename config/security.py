"""Response headers every page carries, and JSON for every error under /api/.

Django's SecurityMiddleware already sends `X-Content-Type-Options: nosniff` and `Referrer-Policy`, and
XFrameOptionsMiddleware `X-Frame-Options: DENY`; this adds a Content-Security-Policy (Django 5.2 has none of
its own): scripts and styles from Vigil's own origin only, never inline, and no framing. The API docs page
(Swagger UI) loads its files from VIGIL_SWAGGER_UI_ORIGIN, which its policy names."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Codes of the errors answered under /api/ when whatever produced them was not DRF (Django's own 400, 403 of
# CSRF, 404 of an unknown path or an odd key, 405 of a plain view, 413, 500...).
API_ERROR_CODES = {
    400: ("bad_request", _("The request is malformed.")),
    401: ("not_authenticated", _("Authentication credentials were not provided.")),
    403: ("permission_denied", _("You do not have permission to do this.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    408: ("request_timeout", _("The request took too long to arrive.")),
    413: ("payload_too_large", _("The request body is too large.")),
    415: ("unsupported_media_type", _("Send the body as JSON (Content-Type: application/json).")),
    429: ("throttled", _("Too many requests; retry later.")),
    500: ("server_error", _("Internal server error.")),
    503: ("unavailable", _("The service is unavailable; retry shortly.")),
}
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _docs_policy() -> str:
    origin = settings.VIGIL_SWAGGER_UI_ORIGIN
    return CSP.replace("script-src 'self'", f"script-src 'self' {origin}").replace(
        "style-src 'self'", f"style-src 'self' {origin}"
    )


class SecurityHeadersMiddleware:
    """The Content-Security-Policy on every response, and JSON for any error under /api/ that is not JSON yet.
    Listed first (after the metrics' own), so it sees the answers Django made of errors raised further in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/") and response.status_code >= 400 and not _is_json(response):
            response = _as_json(response)
        if "Content-Security-Policy" not in response:
            docs = request.path.startswith("/api/docs/")
            response["Content-Security-Policy"] = _docs_policy() if docs else CSP
        return response


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";", 1)[0].strip().endswith("json")


def _as_json(response: HttpResponse) -> HttpResponse:
    code, detail = API_ERROR_CODES.get(
        response.status_code, ("error", _("The request could not be processed."))
    )
    replacement = JsonResponse({"code": code, "detail": str(detail)}, status=response.status_code)
    for name in KEPT_HEADERS:
        if name in response:
            replacement[name] = response[name]
    for cookie in response.cookies.values():
        replacement.cookies[cookie.key] = cookie
    return replacement
