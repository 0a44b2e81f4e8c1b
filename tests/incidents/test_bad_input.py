"""Bad input answers a clear JSON error, never a 500."""

import pytest

from .factories import IncidentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents/"


@pytest.fixture
def agent_api(api, as_role):
    as_role("agents")
    return api


def test_malformed_json(agent_api):
    response = agent_api.post(URL, '{"title": "x", ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "JSON" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"impact": 2, "urgency": 2}, "title"),
        ({"title": "x", "impact": "high", "urgency": 2}, "impact"),
        ({"title": "x", "impact": 9, "urgency": 2}, "impact"),
        ({"title": "x", "impact": 2, "urgency": None}, "urgency"),
        ({"title": ["x"], "impact": 2, "urgency": 2}, "title"),
        ({"title": "x" * 201, "impact": 2, "urgency": 2}, "title"),
        ({"title": "x", "impact": 2, "urgency": 2, "service": 999999}, "service"),
        ({"title": "x", "impact": 2, "urgency": 2, "source": "carrier-pigeon"}, "source"),
        ({"title": "x", "impact": 2, "urgency": 2, "state": "closed"}, "state"),
        ({"title": "x", "impact": 2, "urgency": 2, "colour": "red"}, "colour"),
        ({"title": "bad\x00byte", "impact": 2, "urgency": 2}, "title"),
        ({"title": "x", "description": "nul \x00 inside", "impact": 2, "urgency": 2}, "description"),
    ],
)
def test_invalid_fields_are_named(agent_api, body, field):
    response = agent_api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == "invalid"
    assert field in payload["fields"]
    assert payload["detail"].startswith(field)


def test_body_not_an_object(agent_api):
    response = agent_api.post(URL, [1, 2, 3], format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_unknown_ids_are_404(agent_api):
    for method, path in [
        ("get", f"{URL}999999/"),
        ("patch", f"{URL}999999/"),
        ("post", f"{URL}999999/acknowledge/"),
        ("get", f"{URL}999999/timeline/"),
        ("post", f"{URL}999999/comments/"),
        ("get", "/api/v1/nothing-here/"),
    ]:
        body = {"body": "x"} if path.endswith("comments/") else ({} if method != "get" else None)
        response = getattr(agent_api, method)(path, body, format="json")
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"


def test_body_over_the_limit_is_413(agent_api, settings):
    settings.VIGIL_MAX_BODY_BYTES = 1024
    response = agent_api.post(
        URL, {"title": "x", "description": "y" * 2000, "impact": 2, "urgency": 2}, format="json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["limit_bytes"] == 1024


def test_default_limit_is_one_mebibyte(agent_api):
    big = agent_api.post(
        URL, {"title": "x", "description": "y" * (1024 * 1024), "impact": 2, "urgency": 2}, format="json"
    )
    assert big.status_code == 413
    fits = agent_api.post(
        URL, {"title": "x", "description": "y" * 90_000, "impact": 2, "urgency": 2}, format="json"
    )
    assert fits.status_code == 201


def test_wrong_method_is_405_json(agent_api):
    incident = IncidentFactory()
    response = agent_api.get(f"{URL}{incident.pk}/acknowledge/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_non_json_content_type_is_415(agent_api):
    response = agent_api.post(URL, "title=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
