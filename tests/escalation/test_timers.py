import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from escalation.models import Notification, NotificationState, Timer, TimerState
from escalation.outbox import notification_write
from escalation.registry import timer_handler_register
from escalation.retention import engine_purge
from escalation.timers import timer_cancel, timer_schedule, timer_sweep
from tests.incidents.factories import TeamFactory
from tests.services import require_postgres

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
fired: list[tuple[int, str]] = []
fired_lock = threading.Lock()


def _record(timer: Timer, now: datetime) -> None:
    with fired_lock:
        fired.append((timer.pk, timer.data.get("label", "")))


timer_handler_register("test.record", _record)


def _explode(timer: Timer, now: datetime) -> None:
    raise RuntimeError("boom")


timer_handler_register("test.explode", _explode)


@pytest.fixture(autouse=True)
def _clear() -> None:
    fired.clear()


@pytest.mark.django_db
def test_sweep_fires_due_timers_once_in_due_order_and_leaves_the_rest():
    subject = TeamFactory()
    for minutes, label in ((3, "c"), (1, "a"), (2, "b"), (10, "later")):
        timer_schedule(
            subject=subject, kind="test.record", due_at=T0 + timedelta(minutes=minutes), data={"label": label}
        )
    assert timer_sweep(now=T0 + timedelta(minutes=5)) == 3
    assert [label for _, label in fired] == ["a", "b", "c"]
    assert timer_sweep(now=T0 + timedelta(minutes=5)) == 0
    assert len(fired) == 3
    assert Timer.objects.get(data__label="later").state == TimerState.PENDING
    assert set(Timer.objects.filter(state=TimerState.FIRED).values_list("data__label", flat=True)) == {
        "a",
        "b",
        "c",
    }


@pytest.mark.django_db
def test_a_sweeper_that_was_down_fires_what_it_missed_once_in_order():
    subject = TeamFactory()
    for hour in range(24):  # a day of missed timers, scheduled in scrambled order
        timer_schedule(
            subject=subject,
            kind="test.record",
            due_at=T0 + timedelta(hours=(hour * 7) % 24),
            data={"label": f"{(hour * 7) % 24:02d}"},
        )
    assert timer_sweep(now=T0 + timedelta(days=1), batch_size=5) == 24
    assert [label for _, label in fired] == [f"{h:02d}" for h in range(24)]
    assert timer_sweep(now=T0 + timedelta(days=2)) == 0


@pytest.mark.django_db
def test_cancel_only_touches_the_subjects_pending_timers_of_those_kinds():
    a, b = TeamFactory(), TeamFactory()
    timer_schedule(subject=a, kind="test.record", due_at=T0)
    timer_schedule(subject=a, kind="test.explode", due_at=T0)
    timer_schedule(subject=b, kind="test.record", due_at=T0)
    assert timer_cancel(subject=a, kinds=["test.record"]) == 1
    states = dict(Timer.objects.values_list("subject_id", "state").filter(kind="test.record"))
    assert states == {a.pk: TimerState.CANCELLED, b.pk: TimerState.PENDING}
    timer_sweep(now=T0)
    assert len(fired) == 1


@pytest.mark.django_db
def test_a_failing_handler_rolls_back_and_is_retried_later_then_given_up():
    subject = TeamFactory()
    timer = timer_schedule(subject=subject, kind="test.explode", due_at=T0)
    good = timer_schedule(subject=subject, kind="test.record", due_at=T0 + timedelta(seconds=1))
    assert timer_sweep(now=T0 + timedelta(seconds=5)) == 1  # the good one still fires
    timer.refresh_from_db()
    assert (timer.state, timer.attempts) == (TimerState.PENDING, 1)
    assert "boom" in timer.last_error
    assert timer.due_at > T0 + timedelta(seconds=5)
    for day in range(1, 10):
        timer_sweep(now=T0 + timedelta(days=day))
    timer.refresh_from_db()
    assert timer.state == TimerState.FAILED
    assert fired == [(good.pk, "")]


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_never_fire_a_timer_twice():
    require_postgres()
    subject = TeamFactory()
    Timer.objects.bulk_create(
        Timer(
            subject_type_id=_type_id(subject),
            subject_id=subject.pk,
            kind="test.record",
            due_at=T0 + timedelta(milliseconds=i),
        )
        for i in range(400)
    )
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            with time_machine.travel(T0 + timedelta(minutes=1), tick=True):
                timer_sweep(batch_size=20)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    ids = [pk for pk, _ in fired]
    assert len(ids) == 400
    assert len(set(ids)) == 400
    assert Timer.objects.filter(state=TimerState.FIRED).count() == 400


def _type_id(obj) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(obj).pk


@pytest.mark.django_db
def test_purge_deletes_old_history_and_keeps_what_is_live_or_failed(settings):
    settings.VIGIL_ENGINE_RETENTION_DAYS = 30
    subject = TeamFactory()
    old, recent = T0 - timedelta(days=40), T0 - timedelta(days=5)
    for due, state in ((old, TimerState.FIRED), (old, TimerState.PENDING), (recent, TimerState.FIRED)):
        Timer.objects.filter(pk=timer_schedule(subject=subject, kind="test.record", due_at=due).pk).update(
            state=state
        )
    with time_machine.travel(old, tick=False):
        for key, state in (("sent", NotificationState.SENT), ("failed", NotificationState.FAILED)):
            row = notification_write(
                subject=subject, reason="x", channel="email", address="a@b.org", idempotency_key=key
            )
            Notification.objects.filter(pk=row.pk).update(state=state)
    assert engine_purge(now=T0, batch=1) == {"timers": 1, "notifications": 1}
    assert Timer.objects.count() == 2
    assert list(Notification.objects.values_list("idempotency_key", flat=True)) == ["failed"]
