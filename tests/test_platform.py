"""Probes, the OpenAPI schema and its docs page."""

import pytest

from config.celery_app import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.fixture
def broker_down():
    """Points the Celery app at a port where nothing listens, then puts the configured broker back."""
    before = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:9/0"
    yield
    celery_app.conf.broker_url = before


def test_readyz_names_the_broker_when_it_is_down(client, broker_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.json()
    assert body["checks"] == {"database": "ok", "broker": "down"}
    # Anonymous callers (a load balancer) learn what is down, not the error's text (hosts, ports, users).
    assert "errors" not in body
    assert "127.0.0.1" not in response.content.decode()


def test_readyz_shows_the_errors_to_signed_in_staff(client, broker_down, admin_user):
    client.force_login(admin_user)
    body = client.get("/readyz").json()
    assert "broker" in body["errors"]


def test_openapi_schema_lists_the_pinned_paths(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/incidents/" in paths
    assert "/api/v1/incidents/{id}/timeline/" in paths
    transition = next(p for p in paths if p.startswith("/api/v1/incidents/{id}/") and "{transition}" in p)
    parameter = next(p for p in paths[transition]["post"]["parameters"] if p["name"] == "transition")
    assert "acknowledge" in parameter["schema"]["enum"]


def test_swagger_ui(client):
    assert client.get("/api/docs/").status_code == 200


def test_api_errors_are_json_outside_drf_views(client):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_schema_generates_without_warnings(tmp_path):
    """Every view documents itself: no guessed serializer, no colliding operation id or enum name."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/events/v2/enqueue" in (tmp_path / "schema.yaml").read_text()
