"""Security headers on every page, JSON for every error under /api/, and 415 for alerts that are not JSON."""

import pytest
from django.test import Client

from tests.incidents.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/healthz", "/admin/login/", "/status/", "/declare/", "/api/v1/incidents/", "/api/docs/", "/nope/"],
)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/admin/login/", "/status/", "/declare/", "/api/docs/"])
def test_pages_have_no_inline_script_or_style(client, path):
    content = client.get(path).content.decode()
    assert "<script>" not in content
    assert "<style" not in content
    assert " style=" not in content
    assert " onclick=" not in content


def test_errors_under_api_are_json_whatever_produced_them(client, settings):
    settings.DEBUG = True  # Django's debug 404 page would be HTML
    odd_key = client.post("/api/v1/integrations/not-a-key!/generic/", "{}", content_type="application/json")
    assert odd_key.status_code == 404
    assert odd_key.json()["code"] == "integration_not_found"
    unknown = client.get("/api/v1/integrations/abc/def/ghi/")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    csrf = Client(enforce_csrf_checks=True).post("/api/v1/incidents/", {})
    assert csrf["Content-Type"] == "application/json"
    bad_host = client.get("/api/v1/incidents/", HTTP_HOST="evil.example")
    assert bad_host.status_code == 400
    assert bad_host.json()["code"] == "bad_request"


def test_json_errors_keep_allow_and_retry_after():
    from django.http import HttpResponseNotAllowed

    from config.security import _as_json

    answer = _as_json(HttpResponseNotAllowed(["GET"]))
    assert answer.status_code == 405
    assert answer["Allow"] == "GET"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_alert_endpoints_refuse_a_body_that_is_not_json_with_415(api, content_type):
    integration = IntegrationFactory(kind="generic")
    response = api.generic(
        "POST",
        f"/api/v1/integrations/{integration.key}/generic/",
        b'{"title": "x"}',
        content_type=content_type,
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_alert_endpoints_take_json_with_a_charset_or_a_json_subtype(api):
    integration = IntegrationFactory(kind="generic")
    url = f"/api/v1/integrations/{integration.key}/generic/"
    for content_type in ("application/json; charset=utf-8", "application/vnd.vigil+json"):
        response = api.generic("POST", url, b'{"title": "x", "dedup_key": "d"}', content_type=content_type)
        assert response.status_code == 202, response.content


def test_the_admins_incident_pages_have_no_inline_style(admin_client, admin_user):
    """The priority and SLA badges, the transition buttons: classes of static/vigil/vigil.css."""
    from incidents.services import incident_create

    incident = incident_create(by=admin_user, title="Disk full", impact=1, urgency=1)
    for path in ("/admin/incidents/incident/", f"/admin/incidents/incident/{incident.pk}/change/"):
        response = admin_client.get(path)
        assert response.status_code == 200
        content = response.content.decode()
        assert " style=" not in content, path
        assert "<script>" not in content, path


def test_no_admin_list_has_an_inline_script_or_style(admin_client):
    """Every model the admin shows, today's and tomorrow's: its list (badges, buttons, labels)."""
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    checked = 0
    for model in admin.site._registry:
        meta = model._meta
        for view in ("changelist",):
            try:
                path = reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}")
            except NoReverseMatch:
                continue
            response = admin_client.get(path)
            if response.status_code != 200:
                continue  # a list this user may not open
            content = response.content.decode()
            assert " style=" not in content, path
            assert "<script>" not in content, path
            assert " onclick=" not in content, path
            checked += 1
    assert checked > 20
