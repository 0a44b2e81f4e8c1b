"""Monitoring tools push readings with an integration's key (`X-Vigil-Integration-Key`), as they push
alerts; people and scripts use their API token."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from incidents.integrations.selectors import integration_by_key
from incidents.models import Integration

HEADER = "HTTP_X_VIGIL_INTEGRATION_KEY"


class IntegrationKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        key = request.META.get(HEADER, "").strip()
        if not key:
            return None
        integration = integration_by_key(key)
        if integration is None or not integration.enabled:
            raise AuthenticationFailed(_("Unknown or disabled integration key."))
        return AnonymousUser(), integration

    def authenticate_header(self, request: Request) -> str:
        return "Token"


class UserOrIntegration(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated) or isinstance(request.auth, Integration)


class IntegrationKeyScheme(OpenApiAuthenticationExtension):
    target_class = "risks.api.auth.IntegrationKeyAuthentication"
    name = "integrationKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "X-Vigil-Integration-Key"}


class ReadingsThrottle(SimpleRateThrottle):
    """Readings come from monitoring tools, far more often than people post: the ingestion endpoints' rate
    (`integrations` scope, THROTTLE_INTEGRATIONS), counted per integration or per account, not the `anon`
    rate an integration's requests would otherwise fall under."""

    scope = "integrations"

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, Integration):
            return f"kri-readings:integration:{request.auth.pk}"
        return f"kri-readings:user:{request.user.pk}"
