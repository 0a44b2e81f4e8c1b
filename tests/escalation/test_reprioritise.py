"""A priority change and a reopen, seen from the engine."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from escalation.models import Escalation, EscalationState, Notification, SlaClock, SlaClockKind, SlaClockState
from escalation.timers import timer_sweep
from tests.escalation.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    SlaPolicyFactory,
)
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def paged(user) -> int:
    return Notification.objects.filter(reason="page", recipient=user).count()


@pytest.fixture
def p1_pager():
    urgent = UserFactory()
    policy = EscalationPolicyFactory(name="P1")
    EscalationLevelFactory(policy=policy, users=[urgent])
    SlaPolicyFactory(priority=1, escalation_policy=policy, time_to_resolve=timedelta(hours=4))
    return urgent


def create(api, impact: int, urgency: int) -> int:
    response = api.post(
        "/api/v1/incidents/", {"title": "x", "impact": impact, "urgency": urgency}, format="json"
    )
    assert response.status_code == 201
    return response.json()["id"]


def test_upgrading_an_incident_without_any_policy_starts_clocks_and_paging(api, as_role, p1_pager):
    as_role("agents")
    with time_machine.travel(T0, tick=False) as clock:
        incident = create(api, 2, 3)  # P3: no SLA policy, no escalation
        assert not SlaClock.objects.exists()
        clock.move_to(T0 + timedelta(minutes=30))
        api.patch(f"/api/v1/incidents/{incident}/", {"impact": 1, "urgency": 1}, format="json")
    assert paged(p1_pager) == 1
    assert SlaClock.objects.get(kind=SlaClockKind.RESOLVE).due_at == T0 + timedelta(minutes=30, hours=4)


def test_an_unacknowledged_escalation_switches_to_the_new_priority_policy(api, as_role, p1_pager):
    slow, later = UserFactory(), UserFactory()
    p3 = EscalationPolicyFactory(name="P3")
    EscalationLevelFactory(policy=p3, position=1, users=[slow])
    EscalationLevelFactory(policy=p3, position=2, delay=timedelta(hours=1), users=[later])
    SlaPolicyFactory(
        priority=3,
        escalation_policy=p3,
        time_to_acknowledge=timedelta(hours=2),
        time_to_resolve=timedelta(days=1),
    )
    as_role("agents")
    with time_machine.travel(T0, tick=False) as clock:
        incident = create(api, 2, 3)
        assert paged(slow) == 1
        clock.move_to(T0 + timedelta(minutes=10))
        api.patch(f"/api/v1/incidents/{incident}/", {"impact": 1, "urgency": 1}, format="json")
        assert paged(p1_pager) == 1
        clock.move_to(T0 + timedelta(hours=2))
        timer_sweep()
    assert paged(later) == 0  # the P3 policy's second level never comes
    states = dict(Escalation.objects.values_list("policy__name", "state"))
    assert states == {"P3": EscalationState.STOPPED, "P1": EscalationState.EXHAUSTED}


def test_an_acknowledged_incident_is_not_paged_again_on_upgrade(api, as_role, p1_pager):
    SlaPolicyFactory(priority=3, time_to_acknowledge=timedelta(hours=2), time_to_resolve=timedelta(days=1))
    as_role("agents")
    incident = create(api, 2, 3)
    api.post(f"/api/v1/incidents/{incident}/acknowledge/", {}, format="json")
    api.patch(f"/api/v1/incidents/{incident}/", {"impact": 1, "urgency": 1}, format="json")
    assert paged(p1_pager) == 0
    assert SlaClock.objects.get(kind=SlaClockKind.ACKNOWLEDGE).state == SlaClockState.MET
    assert SlaClock.objects.get(kind=SlaClockKind.RESOLVE).target == timedelta(hours=4)


def test_reopening_runs_a_met_resolve_clock_again_from_where_it_stopped(api, as_role, p1_pager):
    as_role("agents")
    with time_machine.travel(T0, tick=False) as clock:
        incident = create(api, 1, 1)
        clock.move_to(T0 + timedelta(hours=1))
        api.post(f"/api/v1/incidents/{incident}/resolve/", {}, format="json")
        assert SlaClock.objects.get(kind=SlaClockKind.RESOLVE).state == SlaClockState.MET
        clock.move_to(T0 + timedelta(hours=5))
        assert api.post(f"/api/v1/incidents/{incident}/reopen/", {}, format="json").status_code == 200
    resolve = SlaClock.objects.get(kind=SlaClockKind.RESOLVE)
    assert (resolve.state, resolve.met_at) == (SlaClockState.RUNNING, None)
    assert resolve.due_at == T0 + timedelta(hours=8)  # 1 hour used, 3 left from the reopen
