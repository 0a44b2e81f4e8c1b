"""API authentication: DRF's token authentication, which also switches the request to the user's language.

DRF authenticates a token inside the view, after every middleware ran, so UserLanguageMiddleware only saw an
anonymous request: the language of its profile is activated here, before the view produces any sentence."""

from typing import Any

from rest_framework import authentication
from rest_framework.request import Request

from .middleware import language_activate, profile_language


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            code = profile_language(result[0])
            if code is not None:
                language_activate(request, code)
        return result
