"""API authentication: DRF's token authentication, which also switches the request to the user's language.

API tokens are stored as digests (`api_token_digest`, in DRF's `Token.key` column): the clear token is shown
once, when `api_token_create` makes it, and a copy of the database lets nobody in. A token is 240 random
bits, so a plain SHA-256 is enough (no salt, no slow hash: nothing to guess).

DRF authenticates a token inside the view, after every middleware ran, so UserLanguageMiddleware only saw an
anonymous request: the language of its profile is activated here, before the view produces any sentence."""

import hashlib
import secrets
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
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


def api_token_digest(key: str) -> str:
    """What the database keeps of an API token: the first 40 hexadecimal digits (160 bits) of its SHA-256,
    the width of DRF's `Token.key`."""
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def api_token_issue(token: Any) -> str:
    """Gives `token` (a DRF `Token` or `TokenProxy` not saved yet, its user set) a new key, saves the key's
    digest in place of the user's previous token (DRF keeps one per user) and answers the key: the only time
    it is seen in clear."""
    key = secrets.token_urlsafe(30)
    with transaction.atomic():
        type(token)._default_manager.filter(user=token.user).delete()
        token.key = api_token_digest(key)
        token.save(force_insert=True)
    return key


def api_token_create(*, user: User) -> str:
    """A new API token for `user` (see `api_token_issue`)."""
    from rest_framework.authtoken.models import Token

    return api_token_issue(Token(user=user))


def api_token_matches(*, user: User, key: str) -> bool:
    from rest_framework.authtoken.models import Token

    return Token.objects.filter(user=user, key=api_token_digest(key)).exists()


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        """The token whose digest matches, with the user's profile read in the same query (its language is
        needed at once). Never DRF's own look-up, which compares the stored column with the clear token: a
        digest copied from the database would be taken for a token."""
        token: Any = (
            self.get_model()
            ._default_manager.select_related("user", "user__vigil_profile")
            .filter(key=api_token_digest(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
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
