"""A lost database connection answers 503 JSON with Retry-After on every kind of endpoint (config/unavailable.py):
an API view, an alert endpoint on its prepared-statement path, the admin, a page; never a 500 or a debug page.
The connection is cut for real: a second connection terminates this test's backend."""

import json

import psycopg
import pytest
from django.db import connection
from django.test import Client

from config.authentication import api_token_create
from config.unavailable import database_unavailable
from config.urls import server_error
from tests.incidents.factories import IntegrationFactory, UserFactory
from tests.reliability.web_server import served_database_url
from tests.services import require_postgres

pytestmark = pytest.mark.django_db(transaction=True)


def _terminate_own_backend() -> None:
    pid = connection.connection.info.backend_pid
    with psycopg.connect(served_database_url(), autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == "unavailable"


@pytest.fixture
def cut(settings):
    """Terminates this test's backend right before the request (with DEBUG on, as under `make run`)."""
    require_postgres()
    settings.DEBUG = True

    def cut_now() -> None:
        connection.ensure_connection()
        connection.health_check_done = True  # as mid-request: the next query meets the cut connection
        _terminate_own_backend()

    yield cut_now
    connection.close()


def test_api_view(client, cut):
    token = api_token_create(user=UserFactory(role="agents"))
    cut()
    _assert_unavailable(client.get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {token}"))


def test_alert_endpoint_prepared_statement_path(client, cut):
    integration = IntegrationFactory(kind="generic")
    url = f"/api/v1/integrations/{integration.key}/generic/"
    body = json.dumps({"title": "Disk", "dedup_key": "a"})
    assert client.post(url, body, content_type="application/json").status_code == 202  # integration cached
    cut()
    _assert_unavailable(
        client.post(url, json.dumps({"title": "Disk", "dedup_key": "b"}), content_type="application/json")
    )


def test_admin_page(client, cut, admin_user):
    client.force_login(admin_user)
    cut()
    _assert_unavailable(client.get("/admin/incidents/incident/"))


def test_session_lost_in_a_middleware(cut, admin_user):
    """The session's user is loaded before any view: answered 503 there, whatever the page."""
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    cut()
    _assert_unavailable(client.get("/status/"))


def test_any_other_error_in_a_middleware_reaches_the_500_handler_as_a_503(rf, settings):
    """Errors that escape to Django's 500 machinery (a session saved after the view) are 503s there."""
    request = rf.get("/api/v1/incidents/")
    try:
        raise psycopg.OperationalError("connection lost")
    except psycopg.OperationalError:
        _assert_unavailable(server_error(request))
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


def test_the_drivers_own_errors_count():
    assert database_unavailable(psycopg.OperationalError("server closed the connection unexpectedly"))
    assert database_unavailable(psycopg.InterfaceError("the connection is closed"))
    assert not database_unavailable(ValueError("no"))
