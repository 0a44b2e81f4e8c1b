"""Access to the real services tests need. A missing service skips the test, unless REQUIRE_SERVICES is set
(as in CI), where it fails instead."""

import os
from urllib.parse import urlsplit, urlunsplit

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
    """The REDIS_URL of the tests, checked with a ping. Under pytest-xdist each worker process takes its own
    database (REDIS_URL's number, minus the worker's index): the worker tests flush it and run a Celery worker
    on its queues, which must never take another process's tasks."""
    import redis

    url = os.environ.get("REDIS_URL", "")
    if not url:
        _unavailable("Redis (set REDIS_URL=redis://...)")
    url = _per_xdist_worker(url)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        _unavailable(f"Redis at {url}")
    return url


def _per_xdist_worker(url: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... when pytest runs with -n
    if not worker:
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    number = base - int(worker.removeprefix("gw"))
    if number < 0:
        pytest.fail(f"REDIS_URL's database {base} leaves none for xdist worker {worker}: use a higher one")
    return urlunsplit(parts._replace(path=f"/{number}"))


def unavailable(what: str) -> None:
    """Skip (or fail under REQUIRE_SERVICES) a test whose tool or service `what` is missing."""
    _unavailable(what)
