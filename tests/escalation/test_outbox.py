"""Delivery from the outbox to real receivers: a local HTTP server (webhooks, Apprise's json://) and
Django's locmem mail backend. The task body is called directly here; test_worker.py runs it in Celery."""

import hashlib
import hmac
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from config.errors import Conflict
from escalation.channels import webhook_signature
from escalation.models import Channel, DeliveryAttempt, Notification, NotificationState
from escalation.outbox import notification_deliver, notification_retry, notification_write, outbox_sweep
from tests.escalation.factories import ContactMethodFactory, WebhookSubscriptionFactory
from tests.escalation.receiver import webhook_receiver
from tests.incidents.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def write(subject, **fields) -> Notification:
    defaults = {
        "reason": "test",
        "channel": Channel.WEBHOOK,
        "address": "http://127.0.0.1:9/",
        "idempotency_key": "k-1",
        "title": "Hello",
        "body": "World",
        "payload": {"event": "test", "n": 1},
    }
    notification = notification_write(subject=subject, **{**defaults, **fields})
    assert notification is not None
    return notification


def test_signed_webhook_reaches_the_receiver_once_with_documented_headers(django_capture_on_commit_callbacks):
    incident = IncidentFactory()
    with webhook_receiver() as receiver:
        subscription = WebhookSubscriptionFactory(url=receiver.url, secret="topsecret")
        with django_capture_on_commit_callbacks() as callbacks:
            notification = write(incident, address=receiver.url, subscription_id=subscription.pk)
        assert len(callbacks) == 1  # delivery waits for the commit
        assert receiver.requests == []
        assert notification_deliver(notification_id=notification.pk) == "sent"
        assert notification_deliver(notification_id=notification.pk) == "already sent"
    [request] = receiver.requests
    headers = request.headers
    assert headers["Idempotency-Key"] == "k-1"
    assert headers["X-Vigil-Event"] == "test"
    expected = hmac.new(
        b"topsecret", headers["X-Vigil-Timestamp"].encode() + b"." + request.body, hashlib.sha256
    )
    assert headers["X-Vigil-Signature"] == "sha256=" + expected.hexdigest()
    assert request.json() == {"event": "test", "n": 1}
    notification.refresh_from_db()
    assert (notification.state, notification.attempts, notification.claimed_until) == (
        NotificationState.SENT,
        1,
        None,
    )
    assert DeliveryAttempt.objects.get().status_code == 200


def test_signature_helper_matches_the_documented_formula():
    assert webhook_signature(secret="k", timestamp="1", body=b"{}") == (
        "sha256=" + hmac.new(b"k", b"1.{}", hashlib.sha256).hexdigest()
    )


def test_a_failing_receiver_is_retried_with_growing_backoff_then_marked_failed(settings):
    settings.VIGIL_OUTBOX_MAX_ATTEMPTS = 3
    incident = IncidentFactory()
    with webhook_receiver() as receiver:
        receiver.statuses = [500, 503, 502]
        notification = write(incident, address=receiver.url)
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            assert notification_deliver(notification_id=notification.pk) == "retry"
            notification.refresh_from_db()
            assert notification.next_attempt_at == start + timedelta(seconds=10)
            assert notification_deliver(notification_id=notification.pk) == "not due"
            clock.move_to(start + timedelta(seconds=10))
            assert notification_deliver(notification_id=notification.pk) == "retry"
            notification.refresh_from_db()
            assert notification.next_attempt_at == start + timedelta(seconds=30)  # 10 s, then 20 s
            clock.move_to(start + timedelta(seconds=30))
            assert notification_deliver(notification_id=notification.pk) == "failed"
        assert len(receiver.requests) == 3
        notification.refresh_from_db()
        assert notification.state == NotificationState.FAILED
        assert "HTTP 502" in notification.last_error
        notification_retry(notification_id=notification.pk)  # the admin action
        assert notification_deliver(notification_id=notification.pk) == "sent"
    assert {r.headers["Idempotency-Key"] for r in receiver.requests} == {"k-1"}


def test_an_unreachable_receiver_records_the_error():
    notification = write(IncidentFactory(), address="http://127.0.0.1:9/closed")
    assert notification_deliver(notification_id=notification.pk) == "retry"
    attempt = DeliveryAttempt.objects.get()
    assert not attempt.ok
    assert "ConnectionError" in attempt.error


def test_same_idempotency_key_is_written_once():
    incident = IncidentFactory()
    write(incident)
    assert (
        notification_write(
            subject=incident, reason="x", channel="email", address="a@b", idempotency_key="k-1"
        )
        is None
    )
    assert Notification.objects.count() == 1


def test_email_goes_through_djangos_mail_backend_with_a_stable_message_id():
    user = UserFactory()
    notification = write(IncidentFactory(), channel=Channel.EMAIL, address=user.email, recipient=user)
    assert notification_deliver(notification_id=notification.pk) == "sent"
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "Hello"
    assert message.extra_headers["Idempotency-Key"] == "k-1"
    assert message.extra_headers["Message-ID"].endswith("@vigil>")


def test_apprise_urls_are_delivered_by_apprise():
    with webhook_receiver() as receiver:
        url = receiver.url.replace("http://", "json://")
        method = ContactMethodFactory(channel=Channel.APPRISE, address=url)
        notification = write(
            IncidentFactory(), channel=Channel.APPRISE, address=url, contact_method_id=method.pk
        )
        assert notification_deliver(notification_id=notification.pk) == "sent"
    [request] = receiver.requests
    assert request.json()["title"] == "Hello"
    assert request.json()["message"] == "World"


def test_apprise_rejects_an_unknown_scheme_without_crashing():
    notification = write(IncidentFactory(), channel=Channel.APPRISE, address="nonsense://x")
    assert notification_deliver(notification_id=notification.pk) == "retry"
    notification.refresh_from_db()
    assert "Apprise" in notification.last_error


def test_sweep_resends_what_the_broker_lost_but_not_what_is_in_flight(
    settings, django_capture_on_commit_callbacks
):
    settings.VIGIL_OUTBOX_RESEND_AFTER = 30
    incident = IncidentFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        lost = write(incident, idempotency_key="lost")
        in_flight = write(incident, idempotency_key="in-flight")
        Notification.objects.filter(pk=in_flight.pk).update(claimed_until=start + timedelta(minutes=2))
        sent = write(incident, idempotency_key="sent")
        Notification.objects.filter(pk=sent.pk).update(state=NotificationState.SENT)
        assert outbox_sweep() == 0  # just enqueued: give the broker its chance
        clock.move_to(start + timedelta(seconds=31))
        with django_capture_on_commit_callbacks() as callbacks:
            assert outbox_sweep() == 1
        assert len(callbacks) == 1
        assert Notification.objects.get(pk=lost.pk).enqueued_at == start + timedelta(seconds=31)
        assert outbox_sweep() == 0  # and not again right away
        clock.move_to(start + timedelta(minutes=3))  # the in-flight claim expired: its worker died
        assert outbox_sweep() == 2
        assert Notification.objects.get(pk=in_flight.pk).claimed_until is None


def test_a_claimed_row_is_not_sent_twice_at_once():
    notification = write(IncidentFactory())
    Notification.objects.filter(pk=notification.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert notification_deliver(notification_id=notification.pk) == "in flight"


def test_retry_refuses_a_row_a_worker_is_sending_right_now():
    """Retry used to clear the claim: a second worker could then send while the first was still sending."""
    notification = write(IncidentFactory())
    Notification.objects.filter(pk=notification.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=1)
    )
    with pytest.raises(Conflict):
        notification_retry(notification_id=notification.pk)
    assert notification_deliver(notification_id=notification.pk) == "in flight"
