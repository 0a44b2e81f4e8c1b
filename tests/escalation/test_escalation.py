"""Escalation through the incident lifecycle, with the timer sweep driven by hand and time moved by
time_machine. Delivery itself is covered in test_outbox.py and test_worker.py."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction

from escalation.escalations import escalation_acknowledge, escalation_start
from escalation.models import (
    Channel,
    Escalation,
    EscalationPolicy,
    EscalationState,
    Notification,
    NotificationState,
    Timer,
    TimerState,
)
from escalation.notify import PAGE_TIMER
from escalation.registry import timer_handler_register
from escalation.timers import timer_schedule, timer_sweep
from tests.escalation.factories import (
    ContactMethodFactory,
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NotificationRuleFactory,
    RotationFactory,
    ScheduleFactory,
    SlaPolicyFactory,
)
from tests.incidents.factories import TeamFactory, UserFactory
from tests.services import require_postgres

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def two_levels():
    """P1 -> a policy paging `first` at once and `second` 5 minutes later."""
    first, second = UserFactory(), UserFactory()
    policy = EscalationPolicyFactory(name="P1 policy")
    EscalationLevelFactory(policy=policy, position=1, delay=timedelta(0), users=[first])
    EscalationLevelFactory(policy=policy, position=2, delay=timedelta(minutes=5), users=[second])
    SlaPolicyFactory(priority=1, escalation_policy=policy)
    return first, second


def pages_for(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, reason="page"))


def create_p1(api, as_role) -> int:
    as_role("agents")
    response = api.post(
        "/api/v1/incidents/", {"title": "Payments down", "impact": 1, "urgency": 1}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["priority"] == 1
    return response.json()["id"]


def test_unacknowledged_p1_reaches_level_1_at_once_then_level_2_after_its_delay(
    api, as_role, two_levels, django_capture_on_commit_callbacks
):
    first, second = two_levels
    with time_machine.travel(T0, tick=False) as clock:
        with django_capture_on_commit_callbacks() as callbacks:
            create_p1(api, as_role)
        assert len(pages_for(first)) == 1
        assert pages_for(first)[0].address == first.email
        assert callbacks, "delivery is enqueued after commit"
        assert pages_for(second) == []

        clock.move_to(T0 + timedelta(minutes=4, seconds=59))
        timer_sweep()
        assert pages_for(second) == []

        clock.move_to(T0 + timedelta(minutes=5))
        assert timer_sweep() == 1
        [page] = pages_for(second)
        assert page.created_at == T0 + timedelta(minutes=5)
        assert len(pages_for(first)) == 1  # level 1 is not paged again
        escalation = Escalation.objects.get()
        assert (escalation.level, escalation.state) == (2, EscalationState.EXHAUSTED)


def test_acknowledging_stops_the_escalation_and_cancels_pending_pages(api, as_role, two_levels):
    first, second = two_levels
    sms = ContactMethodFactory(user=first, channel=Channel.APPRISE, address="json://127.0.0.1:9/sms")
    NotificationRuleFactory(contact_method=ContactMethodFactory(user=first))
    NotificationRuleFactory(contact_method=sms, delay=timedelta(minutes=2))
    with time_machine.travel(T0, tick=False) as clock:
        incident_id = create_p1(api, as_role)
        assert [p.channel for p in pages_for(first)] == [Channel.EMAIL]  # the SMS rule waits 2 minutes
        clock.move_to(T0 + timedelta(minutes=1))
        response = api.post(f"/api/v1/incidents/{incident_id}/acknowledge/", {}, format="json")
        assert response.status_code == 200
        escalation = Escalation.objects.get()
        assert escalation.state == EscalationState.ACKNOWLEDGED
        assert escalation.acknowledged_at == T0 + timedelta(minutes=1)
        # The pending first page (never delivered here) is cancelled with the rest.
        assert pages_for(first)[0].state == NotificationState.CANCELLED
        assert not Timer.objects.filter(kind__startswith="escalation.", state=TimerState.PENDING).exists()

        clock.move_to(T0 + timedelta(hours=1))
        timer_sweep()
        assert pages_for(second) == []
        assert [p.channel for p in pages_for(first)] == [Channel.EMAIL]


def test_delayed_personal_rule_pages_when_still_unacknowledged(api, as_role, two_levels):
    first, _ = two_levels
    sms = ContactMethodFactory(user=first, channel=Channel.APPRISE, address="json://127.0.0.1:9/sms")
    NotificationRuleFactory(contact_method=ContactMethodFactory(user=first))
    NotificationRuleFactory(contact_method=sms, delay=timedelta(minutes=2))
    with time_machine.travel(T0, tick=False) as clock:
        create_p1(api, as_role)
        clock.move_to(T0 + timedelta(minutes=2))
        timer_sweep()
        assert sorted(p.channel for p in pages_for(first)) == [Channel.APPRISE, Channel.EMAIL]


def test_the_running_escalation_keeps_its_snapshot_when_the_policy_is_edited(api, as_role, two_levels):
    _, second = two_levels
    with time_machine.travel(T0, tick=False) as clock:
        create_p1(api, as_role)
        level2 = Escalation.objects.get().policy.levels.get(position=2)
        level2.users.clear()
        level2.delay = timedelta(hours=3)
        level2.save()
        clock.move_to(T0 + timedelta(minutes=5))
        timer_sweep()
        assert len(pages_for(second)) == 1


def test_repeat_starts_again_from_the_first_level(api, as_role):
    user = UserFactory()
    policy = EscalationPolicyFactory(repeat_count=1, repeat_delay=timedelta(minutes=10))
    EscalationLevelFactory(policy=policy, position=1, users=[user])
    SlaPolicyFactory(priority=1, escalation_policy=policy)
    with time_machine.travel(T0, tick=False) as clock:
        create_p1(api, as_role)
        clock.move_to(T0 + timedelta(minutes=10))
        timer_sweep()
        clock.move_to(T0 + timedelta(minutes=40))
        timer_sweep()
    assert [p.created_at for p in Notification.objects.filter(reason="page").order_by("created_at")] == [
        T0,
        T0 + timedelta(minutes=10),
    ]
    assert Escalation.objects.get().state == EscalationState.EXHAUSTED


def test_a_sweeper_down_for_an_hour_pages_every_missed_level_once_in_order(api, as_role, two_levels):
    first, second = two_levels
    third = UserFactory()
    policy = EscalationPolicy.objects.get(name="P1 policy")
    EscalationLevelFactory(policy=policy, position=3, delay=timedelta(minutes=10), users=[third])
    with time_machine.travel(T0, tick=False) as clock:
        create_p1(api, as_role)
        clock.move_to(T0 + timedelta(hours=1))
        timer_sweep()  # one sweep catches up on both missed levels
        assert timer_sweep() == 0
    pages = Notification.objects.filter(reason="page").order_by("id")
    assert [(p.recipient_id, p.created_at) for p in pages] == [
        (first.pk, T0),
        (second.pk, T0 + timedelta(hours=1)),
        (third.pk, T0 + timedelta(hours=1)),
    ]
    fired = Timer.objects.filter(kind="escalation.level").order_by("fired_at", "due_at")
    assert [t.due_at for t in fired] == [T0 + timedelta(minutes=5), T0 + timedelta(minutes=15)]


_held, _go = threading.Event(), threading.Event()


def _hold_the_batch(timer: Timer, now: datetime) -> None:
    """Keeps the sweep's batch (and so its row locks) open until the test says go."""
    _held.set()
    _go.wait(30)


timer_handler_register("test.hold_the_batch", _hold_the_batch)


@pytest.mark.django_db(transaction=True)
def test_a_delayed_page_claimed_by_a_sweep_during_an_acknowledge_is_not_sent():
    """The sweeper holds the delayed page's timer, so the acknowledge cannot cancel it (SKIP LOCKED) and relies
    on the handler seeing the acknowledgement. The handler must wait for the acknowledging transaction rather
    than read the escalation before it commits and page anyway."""
    require_postgres()
    _held.clear()
    _go.clear()
    user = UserFactory()
    NotificationRuleFactory(contact_method=ContactMethodFactory(user=user), delay=timedelta(minutes=5))
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, users=[user])
    subject = TeamFactory()
    with transaction.atomic():
        escalation_start(subject=subject, policy=policy, at=T0)
    timer_schedule(subject=subject, kind="test.hold_the_batch", due_at=T0 + timedelta(minutes=4))
    assert Timer.objects.filter(kind=PAGE_TIMER, state=TimerState.PENDING).count() == 1

    def sweep() -> None:
        try:
            timer_sweep(now=T0 + timedelta(minutes=6))
        finally:
            connection.close()

    sweeper = threading.Thread(target=sweep)
    sweeper.start()
    try:
        assert _held.wait(30)
        with transaction.atomic():
            escalation_acknowledge(subject=subject, by=user, at=T0 + timedelta(minutes=6))
            _go.set()
            # Before the fix the sweep paged and committed in here; after it, it waits for this commit.
            sweeper.join(3)
    finally:
        _go.set()
        sweeper.join(30)
    assert not Notification.objects.filter(
        recipient=user, reason="page", state__in=[NotificationState.PENDING, NotificationState.SENT]
    ).exists()


def test_a_deactivated_person_on_call_is_skipped_and_the_team_is_paged_instead():
    """Someone who left stays in a rotation until it is edited; paging only them would page nobody."""
    gone, member = UserFactory(is_active=False), UserFactory()
    schedule = ScheduleFactory()
    schedule.team.members.add(member)
    RotationFactory(schedule=schedule, users=[gone])
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, team=schedule.team)
    other_policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=other_policy, schedule=schedule, users=[member])
    with transaction.atomic():
        escalation_start(subject=TeamFactory(), policy=policy, at=T0)
        escalation_start(subject=TeamFactory(), policy=other_policy, at=T0)
    assert {n.recipient for n in Notification.objects.filter(reason="page")} == {member}
