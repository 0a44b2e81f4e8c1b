"""The whole path with real components: PostgreSQL, Redis as the broker, real Celery workers and a local
webhook receiver. Time that matters to the engine is moved with time_machine; the waits below only wait for
other processes to do their work."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from escalation.escalations import LEVEL_TIMER
from escalation.models import Channel, Notification, NotificationState, Timer, TimerState
from escalation.outbox import notification_write, outbox_sweep
from escalation.tasks import timer_sweep_task
from escalation.timers import timer_sweep
from tests.escalation.factories import (
    ContactMethodFactory,
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NotificationRuleFactory,
    SlaPolicyFactory,
    WebhookSubscriptionFactory,
)
from tests.escalation.receiver import webhook_receiver
from tests.escalation.workers import WorkerProcess, broker, redis_flush, thread_worker, wait_for
from tests.incidents.factories import IncidentFactory, UserFactory
from tests.services import redis_url, require_postgres

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def redis_broker() -> str:
    require_postgres()
    ContentType.objects.clear_cache()  # the flush between transactional tests renumbers content types
    url = redis_url()
    redis_flush(url)
    return url


def pager(receiver_url: str):
    """A P1 policy: level 1 pages `first`, level 2 pages `second` 5 minutes later; both by webhook."""
    first, second = UserFactory(), UserFactory()
    for user in (first, second):
        method = ContactMethodFactory(user=user, channel=Channel.WEBHOOK, address=receiver_url, secret="s")
        NotificationRuleFactory(contact_method=method)
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, position=1, users=[first])
    EscalationLevelFactory(policy=policy, position=2, delay=timedelta(minutes=5), users=[second])
    SlaPolicyFactory(priority=1, escalation_policy=policy)
    return first, second


def all_sent() -> bool:
    return not Notification.objects.exclude(state=NotificationState.SENT).exists()


def test_p1_pages_level_1_then_level_2_through_the_worker_each_exactly_once(api, as_role, redis_broker):
    with webhook_receiver() as receiver:
        _, second = pager(receiver.url)
        WebhookSubscriptionFactory(url=receiver.url, events=["incident.created"])
        as_role("agents")
        start = timezone.now()
        with thread_worker(redis_broker), time_machine.travel(start, tick=True) as clock:
            response = api.post(
                "/api/v1/incidents/", {"title": "Down", "impact": 1, "urgency": 1}, format="json"
            )
            assert response.status_code == 201
            wait_for(lambda: len(receiver.requests) == 2, what="level 1 and the created event")
            assert {r.json()["event"] for r in receiver.requests} == {"page", "incident.created"}
            clock.move_to(start + timedelta(minutes=4, seconds=50))
            timer_sweep_task.delay()  # the beat's job, run by the worker
            clock.move_to(start + timedelta(minutes=5, seconds=1))
            timer_sweep_task.delay()
            wait_for(lambda: len(receiver.requests) == 3, what="level 2")
            wait_for(all_sent, what="the outbox to drain")
            time.sleep(0.5)  # room for a wrong second delivery to show up
    pages = [r for r in receiver.requests if r.json()["event"] == "page"]
    assert [r.json()["data"]["level"] for r in pages] == [1, 2]
    assert Notification.objects.get(recipient=second).created_at >= start + timedelta(minutes=5)
    assert set(receiver.deliveries().values()) == {1}
    assert len(receiver.requests) == Notification.objects.count() == 3


def test_acknowledging_through_the_api_stops_level_2(api, as_role, redis_broker):
    with webhook_receiver() as receiver:
        _, second = pager(receiver.url)
        as_role("agents")
        start = timezone.now()
        with thread_worker(redis_broker), time_machine.travel(start, tick=True) as clock:
            incident = api.post(
                "/api/v1/incidents/", {"title": "Down", "impact": 1, "urgency": 1}, format="json"
            )
            wait_for(lambda: len(receiver.requests) == 1, what="level 1")
            assert api.post(f"/api/v1/incidents/{incident.json()['id']}/acknowledge/").status_code == 200
            clock.move_to(start + timedelta(minutes=30))
            # Swept here rather than by a task and a sleep: on a loaded machine the task might not have run
            # yet, and the test would pass without level 2 having had its chance.
            timer_sweep()
            assert not Notification.objects.filter(recipient=second).exists()
            assert not Timer.objects.filter(kind=LEVEL_TIMER, state=TimerState.PENDING).exists()
            wait_for(
                lambda: not Notification.objects.filter(state=NotificationState.PENDING).exists(),
                what="the outbox to drain",
            )
    assert len(receiver.requests) == 1


def test_a_worker_killed_during_a_delivery_still_ends_with_one_delivery(redis_broker, tmp_path):
    """Worker 1 sends and is killed -9 before it can record the outcome. The claim expires, the outbox sweep
    enqueues the row again, worker 2 sends it again with the same Idempotency-Key, and the receiver (which
    dedupes on that key, as docs/escalation.md asks receivers to) acts on it once."""
    with webhook_receiver() as receiver, broker(redis_broker):
        receiver.hold = receiver.release  # the first request waits, so the kill lands mid-delivery
        first = WorkerProcess(redis_broker, tmp_path / "worker1.log")
        try:
            with transaction.atomic():
                notification = notification_write(
                    subject=IncidentFactory(),
                    reason="page",
                    channel=Channel.WEBHOOK,
                    address=receiver.url,
                    idempotency_key="kill-test",
                    payload={"event": "page"},
                )
            assert receiver.arrived.wait(90), (tmp_path / "worker1.log").read_text()
            first.kill()
        finally:
            first.stop()
        receiver.release.set()
        notification.refresh_from_db()
        assert notification.state == NotificationState.PENDING
        assert notification.claimed_until is not None
        second = WorkerProcess(redis_broker, tmp_path / "worker2.log")
        try:
            assert outbox_sweep() == 0  # the claim is still live: nobody may send it now
            with time_machine.travel(notification.claimed_until + timedelta(seconds=1), tick=True):
                assert outbox_sweep() == 1
            wait_for(lambda: Notification.objects.get(pk=notification.pk).state == NotificationState.SENT)
            time.sleep(0.5)
        finally:
            second.stop()
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert receiver.deliveries() == {"kill-test": 2}  # two requests, one key: one delivery for the receiver
    assert notification.delivery_attempts.count() == 1  # the killed attempt never recorded an outcome


def test_with_the_broker_down_incidents_are_still_created_and_paged_once_it_is_back(
    api, as_role, redis_broker
):
    with webhook_receiver() as receiver:
        first, _ = pager(receiver.url)
        as_role("agents")
        with broker("redis://127.0.0.1:1/0"):  # nothing listens there
            started = time.monotonic()
            response = api.post(
                "/api/v1/incidents/", {"title": "Down", "impact": 1, "urgency": 1}, format="json"
            )
            took = time.monotonic() - started
        assert response.status_code == 201, response.content
        # A hang is a publish that retries with backoff or waits on TCP timeouts; the request itself (the
        # incident and its escalation) can take a few seconds on a loaded CI machine.
        assert took < 15, f"a dead broker must not hang the request ({took:.1f} s)"
        page = Notification.objects.get(recipient=first)
        assert page.state == NotificationState.PENDING
        with thread_worker(redis_broker):
            assert outbox_sweep() == 0  # too early: the row counts as just enqueued
            with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=True):
                assert outbox_sweep() == 1
            wait_for(all_sent, what="the page after the broker came back")
            time.sleep(0.5)
    assert receiver.deliveries() == {page.idempotency_key: 1}
