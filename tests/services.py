"""Access to the real services tests need. A missing service skips the test, unless REQUIRE_SERVICES is set
(as in CI), where it fails instead."""

import os

import pytest
from django.db import connection


def _unavailable(what: str) -> None:
    if os.environ.get("REQUIRE_SERVICES"):
        pytest.fail(f"{what} is required (REQUIRE_SERVICES is set) but not available")
    pytest.skip(f"{what} is not available")


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        _unavailable("PostgreSQL (set DATABASE_URL=postgres://...)")


def redis_url() -> str:
    """The REDIS_URL of the tests, checked with a ping."""
    import redis

    url = os.environ.get("REDIS_URL", "")
    if not url:
        _unavailable("Redis (set REDIS_URL=redis://...)")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        _unavailable(f"Redis at {url}")
    return url
