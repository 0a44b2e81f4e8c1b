"""Fixed-window request counters in the cache (Redis in production, so every web process shares them).

A fixed window costs one `INCR` per request. DRF's SimpleRateThrottle keeps every request's timestamp in one
cache value and rewrites it each time, which grows with the rate: too slow for ingestion at thousands a
minute."""

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from config.errors import VigilError

WINDOW_SECONDS = 60
SIGNATURE_HEADER = "X-Vigil-Signature"
TIMESTAMP_HEADER = "X-Vigil-Timestamp"
SIGNATURE_TOLERANCE_SECONDS = 300


class RateLimited(VigilError):
    code = "rate_limited"
    status = 429


class InvalidSignature(VigilError):
    code = "invalid_signature"
    status = 401


_redis_clients: dict[int, Any] = {}


def _redis_client() -> Any:
    """The cache's Redis client, made once per connection pool: Django builds a new client object on every
    call, which costs more than the INCR it sends. redis-py clients are safe to share between threads."""
    backend = caches["default"]  # `cache` is a proxy: isinstance() needs the backend itself
    if not isinstance(backend, RedisCache):
        return None
    redis_cache: Any = backend._cache  # Django's RedisCacheClient: its pool and client factory are private
    pool = redis_cache._get_connection_pool(True)
    client = _redis_clients.get(id(pool))
    if client is None:
        client = _redis_clients[id(pool)] = redis_cache._client(connection_pool=pool)
    return client


def _count(key: str, *, ttl: int) -> int:
    """INCR with a time to live. On Redis one round trip (two on a window's first hit); Django's cache.incr()
    costs two every time there (it checks the key exists first), and this runs on every ingestion request."""
    client = _redis_client()
    if client is not None:
        full_key = cache.make_and_validate_key(key)
        count = int(client.incr(full_key))
        if count == 1:
            # The window's first hit gives its key a time to live; windows are keyed by their start, so a
            # key that missed its EXPIRE (a crash in between) only lingers, it never counts twice.
            client.expire(full_key, ttl)
        return count
    try:
        return cache.incr(key)
    except ValueError:
        # First hit of the window; add() loses only to a concurrent first hit, which incr() then counts.
        return 1 if cache.add(key, 1, timeout=ttl) else cache.incr(key)


def window_hit(name: str, limit: int, *, seconds: int = WINDOW_SECONDS, now: float | None = None) -> int:
    """Counts one hit in the current window and answers 0 while within `limit`, else the seconds until the
    window ends (the Retry-After). A limit of 0 means no limit."""
    if not limit:
        return 0
    now = time.time() if now is None else now
    window = int(now // seconds)
    count = _count(f"vigil:window:{name}:{seconds}:{window}", ttl=seconds * 2)
    if count <= limit:
        return 0
    return max(1, int((window + 1) * seconds - now + 0.999))


def integration_cap_check(*, integration_id: int, name: str, limit: int) -> None:
    """The hard cap of an integration: raises RateLimited (429, naming the integration and the limit)."""
    retry_after = window_hit(f"cap:{integration_id}", limit)
    if retry_after:
        raise RateLimited(
            _("Integration %(name)s accepts at most %(limit)d requests a minute.")
            % {"name": name, "limit": limit},
            integration=name,
            limit_per_minute=limit,
            retry_after_seconds=retry_after,
        )


def signature_expected(*, secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_check(
    *, secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
) -> None:
    """Checks `X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` and a
    `X-Vigil-Timestamp` (Unix seconds) within five minutes, in constant time. Raises InvalidSignature."""
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    now = time.time() if now is None else now
    if not timestamp or not signature:
        raise InvalidSignature(
            _("This integration requires the %(sig)s and %(ts)s headers.")
            % {"sig": SIGNATURE_HEADER, "ts": TIMESTAMP_HEADER}
        )
    try:
        fresh = abs(now - int(timestamp)) <= SIGNATURE_TOLERANCE_SECONDS
    except ValueError:
        fresh = False
    if not fresh:
        raise InvalidSignature(_("%(ts)s is not within five minutes of now.") % {"ts": TIMESTAMP_HEADER})
    expected = signature_expected(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise InvalidSignature(_("The signature does not match the body."))


def signature_claim(*, integration_id: int, headers: Mapping[str, str]) -> str:
    """Claims a valid signature for this request, in the cache every web process shares (one atomic add), and
    answers its key; InvalidSignature when another request holds it: a signed request replayed within its
    timestamp's five minutes is refused. A request that is not accepted gives its claim back
    (`signature_release`), so a sender may resend what failed, as it was."""
    signature = headers.get(SIGNATURE_HEADER, "").strip()
    key = f"vigil:signature:{integration_id}:{hashlib.sha256(signature.encode()).hexdigest()}"
    # Twice the tolerance: a timestamp may be up to five minutes in the future as in the past.
    if not cache.add(key, 1, timeout=2 * SIGNATURE_TOLERANCE_SECONDS):
        raise InvalidSignature(_("This signed request was already received (a replay)."))
    return key


def signature_release(key: str) -> None:
    cache.delete(key)


class IngestRateThrottle(SimpleRateThrottle):
    """The ingestion endpoints' own throttle scope (`integrations`), per client address, fixed window,
    counted for refused requests only (`_InboundView.refuse` in incidents/api/integrations_inbound.py).

    They must not fall under the `anon` rate meant for people: monitoring tools post far more often."""

    scope = "integrations"
    # Set by SimpleRateThrottle.__init__ from the rate (the stubs do not declare them).
    num_requests: int
    duration: int

    def get_cache_key(self, request: Request, view: object) -> str:
        return f"ip:{self.get_ident(request)}"

    def allow_request(self, request: Request, view: object) -> bool:
        if self.rate is None:
            return True
        self.retry_after = window_hit(
            self.get_cache_key(request, view), self.num_requests, seconds=self.duration
        )
        return not self.retry_after

    def wait(self) -> float | None:
        return self.retry_after
