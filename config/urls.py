"""URL map of Vigil. The paths under /api/v1/, /healthz and /readyz are pinned: other tools depend on them."""

import sys

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from incidents.api.urls import inbound_urlpatterns
from risks import views as risk_views

from .health import healthz, readyz
from .unavailable import database_unavailable, unavailable_response

api_v1 = [
    path("", include("escalation.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("postmortems.api.urls")),
    path("", include("risks.api.urls")),
]

urlpatterns = [
    # Alerts come first: most requests are theirs (incidents/api/urls.py).
    path("api/v1/", include(inbound_urlpatterns)),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("postmortems.metrics_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file: no inline script, as the Content-Security-Policy requires.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # The language switch and people's preferences (escalation/urls.py).
    path("", include("escalation.urls")),
    # The public pages: the major-incident reporting form (/declare/) and the status page (/status/).
    path("", include("incidents.major.urls")),
    # Anyone signed in reports a risk (issue #11).
    path("report-risk/", risk_views.report_risk, name="risk-report-form"),
    # The managers' pages; the risk radar (/reports/risk-radar/, issue #11) is mounted before them.
    path("reports/risk-radar/", include("risks.urls")),
    path("reports/", include("postmortems.urls")),
]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API paths answer JSON errors; pages keep Django's HTML ones."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": gettext("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while the error is being handled: a database lost inside a middleware (the session's user) is a
    # 503 too, not a 500 (config/unavailable.py).
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response()
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "server_error", "detail": gettext("Internal server error.")}, status=500)
    return defaults.server_error(request)


handler404 = not_found
handler500 = server_error

admin.site.site_header = _("Vigil")
admin.site.site_title = _("Vigil")
admin.site.index_title = _("Incidents, escalation and risks")
