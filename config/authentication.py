"""API authentication: DRF's token authentication, which also switches the request to the user's language.

DRF authenticates a token inside the view, after every middleware ran, so UserLanguageMiddleware only saw an
anonymous request: the language of its profile is activated here, before the view produces any sentence."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest
from rest_framework import authentication, exceptions, throttling
from rest_framework.request import Request

from .middleware import language_activate, profile_language


class RefusedTokenThrottle(throttling.SimpleRateThrottle):
    """Requests refused for their token, per client address (`refused_tokens` rate, in the cache: Redis in
    production, so every web process counts together). Over the rate, a refused token answers 429 with
    Retry-After instead of 401: guessing tokens costs a minute per handful. Accepted tokens never count."""

    scope = "refused_tokens"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        """DRF's, with the user's profile read in the same query (its language is needed at once). An unknown
        token or an inactive user: DRF's own answer."""
        token: Any = (
            self.get_model()
            ._default_manager.select_related("user", "user__vigil_profile")
            .filter(key=key)
            .first()
        )
        if token is None or not token.user.is_active:
            return super().authenticate_credentials(key)
        return (token.user, token)

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        try:
            result = super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle = RefusedTokenThrottle()
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]  # no view needed
                raise exceptions.Throttled(wait=throttle.wait()) from None
            raise
        if result is not None:
            code = profile_language(result[0])
            if code is not None:
                language_activate(request, code)
        return result


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every sign-in that comes with a request (the admin's and the reporting
    form's login pages, DRF's session login). A call without one (`authenticate(username=..., password=...)`
    from code, the test client's `login()`) has no client address to lock out, and is left to the next
    backend instead of failing: django-axes would raise."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
