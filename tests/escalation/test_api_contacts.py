"""The API of contact methods and notification rules: each user their own, test messages, hidden tokens."""

import pytest

from escalation.models import Channel
from escalation.outbox import notification_deliver, notification_write
from tests.escalation.factories import (
    ContactMethodFactory,
)
from tests.escalation.receiver import webhook_receiver
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_users_manage_their_own_contact_methods_only(api, as_role):
    other = ContactMethodFactory()
    me = as_role("agents")
    created = api.post(
        "/api/v1/contact-methods/", {"channel": "email", "address": "me@example.org"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["user"] == me.pk
    assert [m["id"] for m in api.get("/api/v1/contact-methods/").json()["results"]] == [created.json()["id"]]
    assert api.get(f"/api/v1/contact-methods/{other.pk}/").status_code == 404
    steal = api.post(
        "/api/v1/contact-methods/",
        {"channel": "email", "address": "x@example.org", "user": other.user_id},
        format="json",
    )
    assert steal.status_code == 403
    bad = api.post(
        "/api/v1/contact-methods/", {"channel": "email", "address": "not an address"}, format="json"
    )
    assert bad.status_code == 400
    rule = api.post(
        "/api/v1/notification-rules/", {"contact_method": other.pk, "delay_seconds": 60}, format="json"
    )
    assert rule.status_code == 400


def test_a_user_sends_a_test_message_to_their_own_webhook(api, as_role, django_capture_on_commit_callbacks):
    me = as_role("agents")
    with webhook_receiver() as receiver:
        method = ContactMethodFactory(user=me, channel=Channel.WEBHOOK, address=receiver.url, secret="mine")
        with django_capture_on_commit_callbacks() as callbacks:
            response = api.post(f"/api/v1/contact-methods/{method.pk}/test/")
        assert response.status_code == 202
        assert len(callbacks) == 1
        assert notification_deliver(notification_id=response.json()["id"]) == "sent"
    [request] = receiver.requests
    assert request.json()["event"] == "test"
    assert "X-Vigil-Signature" in request.headers
    other = ContactMethodFactory()
    assert api.post(f"/api/v1/contact-methods/{other.pk}/test/").status_code == 404


def test_the_outbox_and_other_peoples_contact_methods_do_not_show_apprise_tokens(api, as_role):
    """An Apprise URL holds the service's credentials (a bot token here): lists show Apprise's redacted form."""
    token = "123456789:ABCdefGhIJKlmnOPQRsTUVwxyZ"
    url = f"tgram://{token}/12345"
    method = ContactMethodFactory(channel=Channel.APPRISE, address=url)
    notification_write(
        subject=IncidentFactory(), reason="page", channel="apprise", address=url, idempotency_key="apprise-1"
    )
    as_role("managers")
    for path in ("/api/v1/notifications/", "/api/v1/contact-methods/"):
        response = api.get(path)
        assert response.status_code == 200
        assert token not in response.content.decode(), path
    api.force_authenticate(method.user)  # the owner sees (and can correct) their own address
    assert api.get(f"/api/v1/contact-methods/{method.pk}/").json()["address"] == url
