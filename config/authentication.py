"""API authentication: DRF's token authentication, which also switches the request to the user's language.

DRF authenticates a token inside the view, after every middleware ran, so UserLanguageMiddleware only saw an
anonymous request: the language of its profile is activated here, before the view produces any sentence."""

from typing import Any

from rest_framework import authentication
from rest_framework.request import Request

from .middleware import language_activate, profile_language


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
        result = super().authenticate(request)
        if result is not None:
            code = profile_language(result[0])
            if code is not None:
                language_activate(request, code)
        return result
