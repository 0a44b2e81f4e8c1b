"""A Celery worker killed with SIGKILL in the middle of deliveries (pages and webhooks): every notification is
delivered, none more than twice, and a notification sent twice carries the same idempotency key both times
(so a receiver that dedupes on it, as docs/escalation.md asks, acts once)."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db.models import Max
from django.utils import timezone

from escalation.models import Notification, NotificationState
from escalation.outbox import outbox_sweep
from incidents.services import incident_create
from tests.escalation.factories import WebhookSubscriptionFactory
from tests.escalation.receiver import webhook_receiver
from tests.escalation.test_worker import pager
from tests.escalation.workers import WorkerProcess, broker, wait_for
from tests.incidents.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.postgres]


def _all_sent() -> bool:
    return not Notification.objects.exclude(state=NotificationState.SENT).exists()


def test_every_page_and_webhook_is_delivered_at_most_twice_with_one_key(redis_broker, tmp_path):
    with webhook_receiver() as receiver, broker(redis_broker):
        pager(receiver.url)
        WebhookSubscriptionFactory(url=receiver.url, events=["incident.created"])
        agent = UserFactory(role="agents")
        receiver.hold = receiver.release  # the first delivery hangs: the kill lands in the middle of it
        first = WorkerProcess(redis_broker, tmp_path / "worker1.log")
        try:
            for n in range(5):  # five P1 incidents: five pages and five webhooks, queued behind the held one
                incident_create(by=agent, title=f"Down {n}", impact=1, urgency=1)
            assert receiver.arrived.wait(90), (tmp_path / "worker1.log").read_text()
            first.kill()
        finally:
            first.stop()
        receiver.release.set()
        notifications = list(Notification.objects.all())
        assert len(notifications) == 10
        assert {n.reason for n in notifications} >= {"page"}
        second = WorkerProcess(redis_broker, tmp_path / "worker2.log")
        try:
            # What the broker still held is delivered at once; the killed worker's message (and its claim)
            # comes back through the outbox sweep once the claim has expired.
            latest = Notification.objects.aggregate(claim=Max("claimed_until"))["claim"] or timezone.now()
            with time_machine.travel(max(latest, timezone.now()) + timedelta(seconds=61), tick=True):
                outbox_sweep()
            wait_for(_all_sent, what="every notification to be sent")
            time.sleep(0.5)  # room for a wrong extra delivery to show up
        finally:
            second.stop()
    keys = {n.idempotency_key for n in Notification.objects.all()}
    delivered = receiver.deliveries()
    assert set(delivered) == keys  # every notification arrived, and under its own key only
    assert all(1 <= count <= 2 for count in delivered.values()), delivered
    assert sum(count == 2 for count in delivered.values()) >= 1  # the killed delivery was sent again
    assert all(n.attempts <= 2 for n in Notification.objects.all())
