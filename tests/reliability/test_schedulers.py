"""The schedulers: two beats at once (every sweep and the weekly digest triggered twice at the same moment, on
separate database connections) fire no timer twice and send no digest twice; a worker down for a while
(the clock moved ahead) fires each missed timer once, in due order, with the breach time recorded as the
time it was due, not the time the sweep came round."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from escalation.models import Notification, SlaClock, SlaClockState, Timer, TimerState
from escalation.registry import event_listener_register
from escalation.tasks import timer_sweep_task
from incidents.services import incident_create
from postmortems.models import WeeklyDigest
from postmortems.tasks import weekly_digest_task
from tests.escalation.factories import EscalationLevelFactory, EscalationPolicyFactory, SlaPolicyFactory
from tests.incidents.factories import UserFactory
from tests.services import require_postgres

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday
breaches: list[tuple[int, str, object]] = []


def _breach_heard(*, subject: object, event: str, at: object, data: dict, **kwargs: object) -> None:
    breaches.append((subject.pk, data["clock"], data["due_at"]))


event_listener_register("sla.breached", _breach_heard)


def _p1_world() -> UserFactory:
    oncall = UserFactory()
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, position=1, users=[oncall])
    SlaPolicyFactory(priority=1, escalation_policy=policy, warning_percent=80)
    UserFactory(role="managers")
    return UserFactory(role="agents")


def _at_once(jobs: list[Callable[[], object]]) -> list[BaseException]:
    """Run the jobs in threads released together, each on its own database connection (two beats, two
    workers): what a second scheduler does to the first."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as error:  # pragma: no cover - reported by the assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_two_beats_at_once_fire_no_timer_twice_and_send_no_digest_twice() -> None:
    require_postgres()
    agent = _p1_world()
    with time_machine.travel(T0, tick=False):
        for n in range(8):
            incident_create(by=agent, title=f"Down {n}", impact=1, urgency=1)
    due = Timer.objects.filter(state=TimerState.PENDING).count()
    assert due >= 16  # per incident: SLA warnings and breaches, escalation levels
    with time_machine.travel(T0 + timedelta(days=6), tick=True):  # everything due; next Monday's digest
        errors = _at_once([timer_sweep_task.apply, timer_sweep_task.apply, weekly_digest_task.apply] * 2)
    assert not errors, errors
    assert Timer.objects.filter(state=TimerState.PENDING).count() == 0
    fired = Timer.objects.filter(state=TimerState.FIRED)
    assert fired.count() == due
    # Each firing leaves its own notification keys: a timer fired twice would have tried the same keys twice
    # (refused by the unique key) or written a second breach: one breach per clock, one warning per clock.
    clocks = SlaClock.objects.all()
    assert clocks.count() >= 8
    assert all(clock.state == SlaClockState.BREACHED for clock in clocks)
    keys = list(Notification.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))
    assert WeeklyDigest.objects.count() == 1
    assert Notification.objects.filter(reason="digest").count() == 1  # one manager, once


def test_a_worker_down_for_a_day_fires_each_missed_timer_once_in_order_breached_at_the_due_time() -> None:
    require_postgres()
    agent = _p1_world()
    for n in range(3):  # opened a minute apart: their clocks fall due a minute apart
        with time_machine.travel(T0 + timedelta(minutes=n), tick=False):
            incident_create(by=agent, title=f"Down {n}", impact=1, urgency=1)
    due_by_clock = {clock.pk: clock.due_at for clock in SlaClock.objects.all()}
    assert len(due_by_clock) >= 3
    pending = Timer.objects.filter(state=TimerState.PENDING).count()
    breaches.clear()
    # Nothing swept for a day; then one sweep catches up.
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        timer_sweep_task.apply()
    assert Timer.objects.filter(state=TimerState.FIRED).count() == pending
    assert len(breaches) == len(due_by_clock)  # each clock breached once
    assert [due for _, _, due in breaches] == sorted(
        due for _, _, due in breaches
    )  # in the order they fell due
    for clock in SlaClock.objects.all():
        assert clock.state == SlaClockState.BREACHED
        assert clock.breached_at == due_by_clock[clock.pk]  # the due time, not the catch-up sweep's time
    # A second sweep finds nothing more to fire.
    before = Notification.objects.count()
    with time_machine.travel(T0 + timedelta(days=1, minutes=1), tick=False):
        timer_sweep_task.apply()
    assert Notification.objects.count() == before
    assert len(breaches) == len(due_by_clock)
