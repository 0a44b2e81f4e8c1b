"""The list endpoints ask the same number of queries for 2 rows as for 8 (no query per row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.incidents.factories import IncidentFactory
from tests.incidents.problems.factories import known_error

from .factories import agent, approved, go, new_change

pytestmark = pytest.mark.django_db


def _count(api, url):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200
    return len(queries)


def _changes(n: int) -> None:
    for _ in range(n):
        go(approved(new_change(risk_level="high"), [agent()]), "cancel", reason="x")


def _problems(n: int) -> None:
    for _ in range(n):
        error = known_error()
        error.incidents.add(IncidentFactory(), through_defaults={"linked_at": error.opened_at})


@pytest.mark.parametrize(("url", "make"), [("/api/v1/changes/", _changes), ("/api/v1/problems/", _problems)])
def test_lists_do_not_ask_per_row(api, as_role, url, make):
    as_role("agents")
    make(2)
    _count(api, url)  # the first request also reads the user's permissions (then cached on the user)
    few = _count(api, url)
    make(6)
    assert _count(api, url) == few
