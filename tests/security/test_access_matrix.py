"""Role x route x method, over every route of the URLconf (the API, the admin, the pages), with real requests
through the test client against PostgreSQL.

The routes come from `get_resolver()`, so a new route cannot be forgotten: one with no row in the expectations
table (tests/security/access.py) fails `test_every_route_has_a_row` with the line to add. One test per role
requests every route and method, each request in a savepoint rolled back after it (a DELETE leaves the world
whole for the next request), and compares the outcome with the table:

- allowed: the view ran past its permission checks: not 401, not 403, not a redirect to a login page, not 5xx
  (a 400 for the matrix's empty body, a 404 for a row the world lacks, a 409 for a transition are fine);
- denied: 401, 403, a redirect to a login page, or 404 (a row the user may not see answers as a missing one).
"""

import itertools
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.test import Client

from config.authentication import api_token_create

from .access import ROLES, expectation_for
from .routes import Route, routes
from .world import build

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, loaded once per module (and process) in a transaction rolled back at its end; each role's
    test runs inside it in its own transaction, and each request in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build()
        transaction.set_rollback(True)


LOGIN_PATHS = ("/admin/login/", "/login/", "/accounts/login/")
_addresses = itertools.count(1)


def _address() -> str:
    # Each request from its own address: the anonymous throttle (per address) must not answer 429 to the matrix.
    n = next(_addresses)
    return f"10.{(n >> 16) % 256}.{(n >> 8) % 256}.{n % 256}"


def _client(role: str, keys: dict[str, str]) -> tuple[Client, dict[str, str]]:
    client = Client()
    headers: dict[str, str] = {}
    if role == "anonymous":
        return client, headers
    if role == "integration":
        # An integration's key acts only on its own endpoints: as an API token it is no one.
        headers["HTTP_AUTHORIZATION"] = f"Token {keys['generic']}"
        return client, headers
    user = User.objects.create(username=f"matrix-{role}", is_staff=role in ("agents", "managers"))
    if role == "administrators":
        user.is_superuser = user.is_staff = True
        user.save()
    elif role != "nobody":
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    headers["HTTP_AUTHORIZATION"] = f"Token {api_token_create(user=user)}"
    return client, headers


def _outcome(response: object) -> str:
    status = response.status_code
    if status >= 500:
        return "error"
    if status == 429:
        return "throttled"
    if status in (401, 403):
        return "denied"
    if status in (301, 302) and response["Location"].split("?")[0].endswith(LOGIN_PATHS):
        return "denied"
    if status == 404:
        return "missing"
    if status in (301, 302) and response["Location"] == "/admin/":
        return "missing"  # the admin's answer to an object that does not exist (or is not the user's)
    return "allowed"


def _requests(role: str) -> Iterator[tuple[Route, str, bool]]:
    for route in routes():
        expected = expectation_for(route)
        assert expected is not None, route.route
        for method in route.methods:
            if role == "integration" and route.is_admin:
                continue  # a token means nothing to the admin's pages: that is the anonymous column
            if role == "administrators" and route.model_label:
                continue  # a superuser holds every permission: Django's own admin, not Vigil's rules
            yield route, method, expected.allows(role, method)


@pytest.mark.parametrize("role", ROLES)
def test_access(role: str, world: dict) -> None:
    client, headers = _client(role, world["keys"])
    wrong = []
    for route, method, allowed in _requests(role):
        url = route.url(world)
        with transaction.atomic():
            response = getattr(client, method)(
                url, content_type="application/json", REMOTE_ADDR=_address(), **headers
            )
            transaction.set_rollback(True)
        outcome = _outcome(response)
        if outcome in ("error", "throttled"):
            wrong.append(f"{method.upper()} {url}: {response.status_code}")
        elif allowed and outcome == "denied":
            wrong.append(f"{method.upper()} {url}: {response.status_code}, the table allows {role}")
        elif not allowed and outcome == "allowed":
            wrong.append(f"{method.upper()} {url}: {response.status_code}, the table denies {role}")
    assert not wrong, (
        f"{role}: {len(wrong)} routes answer otherwise than tests/security/access.py:\n" + "\n".join(wrong)
    )


def test_every_route_has_a_row() -> None:
    missing = [route.route for route in routes() if expectation_for(route) is None]
    assert not missing, (
        "routes with no row in tests/security/access.py (add each to ROUTES, or a family to FAMILIES, saying "
        "which roles may call it with which methods):\n" + "\n".join(missing)
    )
