import pytest

pytestmark = pytest.mark.django_db


def test_create_then_acknowledge_then_409(api, as_role):
    as_role("agents")
    created = api.post("/api/v1/incidents/", {"title": "Disk full", "impact": 2, "urgency": 2}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "new"
    assert body["reference"] == f"INC-{body['id']:06d}"
    assert body["priority"] == 2
    ok = api.post(f"/api/v1/incidents/{body['id']}/acknowledge/", {"note": "mine"}, format="json")
    assert ok.status_code == 200
    again = api.post(f"/api/v1/incidents/{body['id']}/acknowledge/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "transition_not_allowed"
    assert again.json()["state"] == "acknowledged"
    assert set(again.json()["allowed"]) == {"start", "resolve", "cancel"}
