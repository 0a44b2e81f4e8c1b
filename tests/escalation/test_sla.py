"""SLA clocks on incidents: snapshot, warning and breach by the sweep, pause on hold, priority change."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.test import override_settings

from escalation.models import Notification, SlaClock, SlaClockKind, SlaClockState
from escalation.sla import WARNING_TIMER
from escalation.timers import timer_schedule, timer_sweep
from incidents.models import Incident
from tests.escalation.factories import (
    BusinessCalendarFactory,
    EscalationLevelFactory,
    EscalationPolicyFactory,
    SlaPolicyFactory,
    WebhookSubscriptionFactory,
    office_hours,
)
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def clock(kind: str) -> SlaClock:
    return SlaClock.objects.get(kind=kind)


def post(api, path: str, body: dict | None = None) -> dict:
    response = api.post(path, body or {}, format="json")
    assert response.status_code in (200, 201), response.content
    return response.json()


@pytest.fixture
def p1_policy():
    oncall = UserFactory()
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, users=[oncall])
    sla = SlaPolicyFactory(
        priority=1,
        time_to_acknowledge=timedelta(minutes=20),
        time_to_resolve=timedelta(hours=4),
        escalation_policy=policy,
    )
    return sla, oncall


def test_clocks_start_with_a_snapshot_and_acknowledge_meets_the_ack_clock(api, as_role, p1_policy):
    sla, _ = p1_policy
    as_role("agents")
    with time_machine.travel(T0, tick=False) as travel:
        incident = post(api, "/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1})
        ack = clock(SlaClockKind.ACKNOWLEDGE)
        assert ack.due_at == T0 + timedelta(minutes=20)
        assert ack.warn_at == T0 + timedelta(minutes=15)  # 75 % by default
        sla.time_to_acknowledge = timedelta(minutes=1)
        sla.save()  # editing the policy does not touch the running clock
        travel.move_to(T0 + timedelta(minutes=10))
        post(api, f"/api/v1/incidents/{incident['id']}/acknowledge/")
    ack.refresh_from_db()
    assert (ack.state, ack.met_at, ack.target) == (
        SlaClockState.MET,
        T0 + timedelta(minutes=10),
        timedelta(minutes=20),
    )
    assert clock(SlaClockKind.RESOLVE).state == SlaClockState.RUNNING


def test_warning_then_breach_are_recorded_and_notify_the_escalation_targets(api, as_role, p1_policy):
    _, oncall = p1_policy
    as_role("agents")
    with time_machine.travel(T0, tick=False) as travel:
        post(api, "/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1})
        travel.move_to(T0 + timedelta(minutes=15))
        timer_sweep()
        assert clock(SlaClockKind.ACKNOWLEDGE).warned_at == T0 + timedelta(minutes=15)
        assert Notification.objects.filter(reason="sla.warning", recipient=oncall).count() == 1
        travel.move_to(T0 + timedelta(minutes=21))  # the sweeper was late: the breach instant is still exact
        timer_sweep()
    ack = clock(SlaClockKind.ACKNOWLEDGE)
    assert (ack.state, ack.breached_at) == (SlaClockState.BREACHED, T0 + timedelta(minutes=20))
    assert Notification.objects.filter(reason="sla.breach", recipient=oncall).count() == 1


def test_hold_pauses_the_resolve_clock_and_resume_continues_it(api, as_role, p1_policy):
    as_role("agents")
    with time_machine.travel(T0, tick=False) as travel:
        incident = post(api, "/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1})
        base = f"/api/v1/incidents/{incident['id']}"
        post(api, f"{base}/acknowledge/")
        post(api, f"{base}/start/")
        travel.move_to(T0 + timedelta(hours=1))
        post(api, f"{base}/hold/")
        resolve = clock(SlaClockKind.RESOLVE)
        assert (resolve.state, resolve.due_at, resolve.elapsed) == (
            SlaClockState.PAUSED,
            None,
            timedelta(hours=1),
        )
        travel.move_to(T0 + timedelta(hours=10))
        assert timer_sweep() == 0  # no breach while paused
        post(api, f"{base}/resume/")
        resolve.refresh_from_db()
        assert resolve.due_at == T0 + timedelta(hours=13)  # 3 hours left, from the resume
        assert len(resolve.segments) == 1
        travel.move_to(T0 + timedelta(hours=12))
        post(api, f"{base}/resolve/")
    resolve.refresh_from_db()
    assert (resolve.state, resolve.elapsed) == (SlaClockState.MET, timedelta(hours=3))


def test_priority_change_recomputes_from_the_time_already_run(api, as_role, p1_policy):
    SlaPolicyFactory(priority=3, time_to_acknowledge=timedelta(hours=2), time_to_resolve=timedelta(hours=24))
    as_role("agents")
    with time_machine.travel(T0, tick=False) as travel:
        incident = post(api, "/api/v1/incidents/", {"title": "x", "impact": 2, "urgency": 3})
        assert clock(SlaClockKind.RESOLVE).due_at == T0 + timedelta(hours=24)
        travel.move_to(T0 + timedelta(hours=1))
        response = api.patch(
            f"/api/v1/incidents/{incident['id']}/", {"impact": 1, "urgency": 1}, format="json"
        )
        assert response.json()["priority"] == 1
        resolve = clock(SlaClockKind.RESOLVE)
        # 1 hour has run; P1 allows 4: due 3 hours from now.
        assert resolve.due_at == T0 + timedelta(hours=4)
        assert resolve.snapshot["priority"] == 1
        ack = clock(SlaClockKind.ACKNOWLEDGE)
        # 1 hour run against a new 20-minute target: breached as of the change, on the next sweep.
        assert ack.due_at == T0 + timedelta(hours=1)
        timer_sweep()
    ack.refresh_from_db()
    assert (ack.state, ack.breached_at) == (SlaClockState.BREACHED, T0 + timedelta(hours=1))


def test_business_calendar_counts_only_working_hours(api, as_role):
    calendar = office_hours(BusinessCalendarFactory(time_zone="UTC"), spans=((time(9), time(17)),))
    SlaPolicyFactory(
        priority=3,
        time_to_acknowledge=timedelta(hours=2),
        time_to_resolve=timedelta(hours=8),
        calendar=calendar,
    )
    as_role("agents")
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    with time_machine.travel(friday_4pm, tick=False):
        post(api, "/api/v1/incidents/", {"title": "x", "impact": 2, "urgency": 3})
    # 1 hour on Friday, the second on Monday morning.
    assert clock(SlaClockKind.ACKNOWLEDGE).due_at == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    calendar.intervals.all().delete()  # the clock runs on its snapshot of the calendar
    assert clock(SlaClockKind.RESOLVE).snapshot["calendar"]["week"][0] == [[9 * 3600, 17 * 3600]]


def test_cancel_cancels_the_clocks_and_breaches_show_in_the_api(api, as_role, p1_policy):
    as_role("agents")
    with time_machine.travel(T0, tick=False) as travel:
        a = post(api, "/api/v1/incidents/", {"title": "a", "impact": 1, "urgency": 1})
        b = post(api, "/api/v1/incidents/", {"title": "b", "impact": 1, "urgency": 1})
        post(api, f"/api/v1/incidents/{a['id']}/cancel/")
        travel.move_to(T0 + timedelta(hours=5))
        timer_sweep()
    assert set(SlaClock.objects.filter(subject_id=a["id"]).values_list("state", flat=True)) == {
        SlaClockState.CANCELLED
    }
    assert set(SlaClock.objects.filter(subject_id=b["id"]).values_list("state", flat=True)) == {
        SlaClockState.BREACHED
    }
    assert Incident.objects.count() == 2


def test_breach_reaches_webhook_subscribers_with_json_safe_data(api, as_role, p1_policy):
    from escalation.models import WebhookSubscription

    subscription = WebhookSubscription.objects.create(
        name="crm", url="https://crm.example.org/hook", events=["sla.breached"]
    )
    as_role("agents")
    with time_machine.travel(T0, tick=False) as travel:
        post(api, "/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1})
        travel.move_to(T0 + timedelta(minutes=25))
        timer_sweep()
    [row] = Notification.objects.filter(subscription=subscription)
    assert row.payload["event"] == "sla.breached"
    assert row.payload["data"]["due_at"] == "2026-03-02T10:20:00Z"
    assert clock(SlaClockKind.ACKNOWLEDGE).state == SlaClockState.BREACHED


def test_a_calendar_without_working_time_never_blocks_an_incident(api, as_role):
    """Such a calendar (made in the admin, or emptied later) makes business_add raise. A reporter must still
    get their incident, and the clocks and paging fall back to plain elapsed time instead."""
    oncall = UserFactory()
    empty = BusinessCalendarFactory(is_24x7=False)  # no working interval at all
    policy = EscalationPolicyFactory(calendar=empty)
    EscalationLevelFactory(policy=policy, users=[oncall], delay=timedelta(minutes=5))
    SlaPolicyFactory(
        priority=1,
        time_to_acknowledge=timedelta(minutes=20),
        time_to_resolve=timedelta(hours=4),
        calendar=empty,
        escalation_policy=policy,
    )
    as_role("agents")
    with time_machine.travel(T0, tick=False):
        response = api.post("/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1}, format="json")
    assert response.status_code == 201, response.content
    assert clock(SlaClockKind.ACKNOWLEDGE).due_at == T0 + timedelta(minutes=20)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        timer_sweep()
    assert Notification.objects.filter(recipient=oncall, reason="page").exists()


def test_a_breach_whose_handler_failed_once_is_still_recorded_on_the_retry(api, as_role, p1_policy):
    """A failing handler is retried later by moving the timer's `due_at`; the SLA handlers compared that
    moved instant with the clock's and dropped the retry as stale, so the breach was never recorded."""
    as_role("agents")
    with time_machine.travel(T0, tick=False):
        post(api, "/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1})
    no_templates = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": False}]
    with (
        time_machine.travel(T0 + timedelta(minutes=21), tick=False),
        override_settings(TEMPLATES=no_templates),
    ):
        assert timer_sweep() == 0  # rendering the warning and the breach fails: both are retried
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        timer_sweep()
    ack = clock(SlaClockKind.ACKNOWLEDGE)
    assert (ack.state, ack.breached_at) == (SlaClockState.BREACHED, T0 + timedelta(minutes=20))
    assert ack.warned_at is not None


def test_a_second_warning_timer_for_the_same_instant_does_not_warn_twice(api, as_role, p1_policy):
    """A clock recomputed while a sweeper held its warning timer keeps that timer (cancel skips locked rows)
    next to the new one; when both are due at the same instant only the first may warn."""
    WebhookSubscriptionFactory(events=["sla.warning"])
    as_role("agents")
    with time_machine.travel(T0, tick=False):
        post(api, "/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1})
    ack = clock(SlaClockKind.ACKNOWLEDGE)
    timer_schedule(
        subject=Incident.objects.get(), kind=WARNING_TIMER, due_at=ack.warn_at, data={"clock_id": ack.pk}
    )
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        timer_sweep()
    assert Notification.objects.filter(reason="sla.warning", channel="webhook").count() == 1


def test_a_breach_found_only_when_the_clock_stops_is_still_told_to_subscribers(api, as_role, p1_policy):
    """Acknowledged after the target but before a sweep fired the breach (the sweeper was behind): the clock
    is recorded breached, and the `sla.breached` event must not be lost with the cancelled timer."""
    WebhookSubscriptionFactory(events=["sla.breached"])
    as_role("agents")
    with time_machine.travel(T0, tick=False) as travel:
        incident = post(api, "/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1})
        travel.move_to(T0 + timedelta(minutes=25))
        post(api, f"/api/v1/incidents/{incident['id']}/acknowledge/")
        timer_sweep()
    ack = clock(SlaClockKind.ACKNOWLEDGE)
    assert (ack.state, ack.breached_at) == (SlaClockState.BREACHED, T0 + timedelta(minutes=20))
    [told] = Notification.objects.filter(reason="sla.breached", channel="webhook")
    assert told.payload["data"]["clock"] == SlaClockKind.ACKNOWLEDGE
