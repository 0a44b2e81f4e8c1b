"""The API of the outbox and of webhook subscriptions."""

import pytest

from escalation.models import NotificationState
from escalation.outbox import notification_write
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_webhook_subscription_answers_its_secret_once(api, as_role):
    as_role("managers")
    created = api.post(
        "/api/v1/webhook-subscriptions/",
        {"name": "CRM", "url": "https://crm.example.org/hook", "events": ["incident.created"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert len(created.json()["secret"]) >= 32
    again = api.get(f"/api/v1/webhook-subscriptions/{created.json()['id']}/").json()
    assert "secret" not in again
    bad = api.post(
        "/api/v1/webhook-subscriptions/",
        {"name": "x", "url": "https://x.org", "events": ["nope"]},
        format="json",
    )
    assert bad.status_code == 400


def test_outbox_list_and_retry(api, as_role):
    row = notification_write(
        subject=IncidentFactory(),
        reason="page",
        channel="email",
        address="a@example.org",
        idempotency_key="api-1",
    )
    row.state = NotificationState.FAILED
    row.save()
    as_role("managers")
    listed = api.get("/api/v1/notifications/?state=failed").json()["results"]
    assert [n["id"] for n in listed] == [row.pk]
    retried = api.post(f"/api/v1/notifications/{row.pk}/retry/")
    assert retried.status_code == 200
    assert retried.json()["state"] == "pending"
    row.state = NotificationState.SENT
    row.save()
    assert api.post(f"/api/v1/notifications/{row.pk}/retry/").status_code == 409
    assert api.post("/api/v1/notifications/999999/retry/").status_code == 404
