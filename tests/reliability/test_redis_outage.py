"""Redis (the broker) restarted while incidents are created and timers fall due: every API call answers 201
(or a clear 503), no incident is lost, each due timer fires once when the schedulers are back, and the outbox
drains: every page is delivered."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from escalation.escalations import LEVEL_TIMER
from escalation.models import Notification, NotificationState, Timer, TimerState
from escalation.outbox import outbox_sweep
from escalation.tasks import timer_sweep_task
from incidents.models import Incident
from tests.escalation.receiver import webhook_receiver
from tests.escalation.test_worker import pager
from tests.escalation.workers import broker, thread_worker, wait_for
from tests.services import require_postgres

from .redis_server import RedisServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.postgres]


def _all_sent() -> bool:
    return not Notification.objects.exclude(state=NotificationState.SENT).exists()


def test_a_redis_restart_loses_no_incident_no_timer_and_no_page(api, as_role, tmp_path):
    require_postgres()
    server = RedisServer(tmp_path)
    server.start()
    try:
        with webhook_receiver() as receiver, broker(server.url):
            first, second = pager(receiver.url)
            as_role("agents")
            start = timezone.now()
            with time_machine.travel(start, tick=True) as clock:
                answers = [
                    api.post(
                        "/api/v1/incidents/", {"title": "before", "impact": 1, "urgency": 1}, format="json"
                    )
                ]
                server.stop()
                for n in range(3):  # Redis is down: the API still answers
                    answers.append(
                        api.post(
                            "/api/v1/incidents/",
                            {"title": f"during {n}", "impact": 1, "urgency": 1},
                            format="json",
                        )
                    )
                assert {a.status_code for a in answers} <= {201, 503}, [a.content for a in answers]
                created = [a.json()["id"] for a in answers if a.status_code == 201]
                assert created, "no incident could be created while the broker was down"
                for answer in answers:
                    if answer.status_code == 503:
                        assert answer.has_header("Retry-After")
                # Level 2 falls due while the broker (and so the beat's sweeps) are away.
                clock.move_to(start + timedelta(minutes=6))
                server.start()
                with thread_worker(server.url):
                    timer_sweep_task.delay()  # the beat, back: the sweep runs on a worker
                    wait_for(
                        lambda: not Timer.objects.filter(kind=LEVEL_TIMER, state=TimerState.PENDING).exists(),
                        what="the due level timers to fire",
                    )
                    clock.move_to(start + timedelta(minutes=7))  # what the broker lost is now stale
                    outbox_sweep()
                    wait_for(_all_sent, what="the outbox to drain")
                    time.sleep(0.5)
    finally:
        server.stop()
    assert sorted(Incident.objects.values_list("pk", flat=True)) == sorted(created)  # none lost, none extra
    pages = Notification.objects.filter(reason="page")
    for incident_id in created:
        recipients = sorted(pages.filter(subject_id=incident_id).values_list("recipient_id", flat=True))
        assert recipients == sorted([first.pk, second.pk])  # level 1 then level 2, each paged once
    assert Timer.objects.filter(kind=LEVEL_TIMER, state=TimerState.FIRED).count() >= len(created)
    delivered = receiver.deliveries()
    assert set(delivered) == set(Notification.objects.values_list("idempotency_key", flat=True))
    assert all(count <= 2 for count in delivered.values()), delivered
