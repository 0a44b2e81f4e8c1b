"""The incident state machine through its one service: milestones, hold time, timeline, 409s."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from config.errors import PermissionDenied, TransitionNotAllowed
from incidents.models import Incident, IncidentState, TimelineEvent
from incidents.services import incident_create, incident_transition, incident_update

from .factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# Every (state, transition) pair the lifecycle of DESIGN.md allows, and the state it leads to.
ALLOWED = {
    ("new", "acknowledge"): "acknowledged",
    ("new", "resolve"): "resolved",
    ("new", "cancel"): "cancelled",
    ("acknowledged", "start"): "in_progress",
    ("acknowledged", "resolve"): "resolved",
    ("acknowledged", "cancel"): "cancelled",
    ("in_progress", "hold"): "on_hold",
    ("in_progress", "resolve"): "resolved",
    ("in_progress", "cancel"): "cancelled",
    ("on_hold", "resume"): "in_progress",
    ("on_hold", "resolve"): "resolved",
    ("on_hold", "cancel"): "cancelled",
    ("resolved", "close"): "closed",
    ("resolved", "reopen"): "in_progress",
}
# The shortest path from new to each state.
PATHS = {
    "new": [],
    "acknowledged": ["acknowledge"],
    "in_progress": ["acknowledge", "start"],
    "on_hold": ["acknowledge", "start", "hold"],
    "resolved": ["acknowledge", "start", "resolve"],
    "closed": ["acknowledge", "start", "resolve", "close"],
    "cancelled": ["cancel"],
}


@pytest.fixture
def agent():
    return UserFactory(role="agents")


def _incident_in(state: str, agent) -> Incident:
    incident = incident_create(by=agent, title="Printer on fire", impact=3, urgency=3)
    for name in PATHS[state]:
        incident = incident_transition(incident_id=incident.pk, name=name, by=agent)
    assert incident.state == state
    return incident


@pytest.mark.parametrize("state", list(PATHS))
@pytest.mark.parametrize("name", Incident.TRANSITIONS)
def test_every_transition_from_every_state(state, name, agent):
    incident = _incident_in(state, agent)
    events_before = TimelineEvent.objects.filter(incident=incident).count()
    expected = ALLOWED.get((state, name))
    if expected is None:
        with pytest.raises(TransitionNotAllowed) as caught:
            incident_transition(incident_id=incident.pk, name=name, by=agent)
        assert caught.value.extra["state"] == state
        assert sorted(caught.value.extra["allowed"]) == sorted(n for (s, n) in ALLOWED if s == state)
        assert TimelineEvent.objects.filter(incident=incident).count() == events_before
    else:
        moved = incident_transition(incident_id=incident.pk, name=name, by=agent, note="why not")
        assert moved.state == expected
        event = TimelineEvent.objects.filter(incident=incident).latest("id")
        assert (event.kind, event.transition, event.from_state, event.to_state, event.note, event.actor) == (
            "transition",
            name,
            state,
            expected,
            "why not",
            agent,
        )


def test_milestones_and_time_on_hold(agent):
    with time_machine.travel(T0, tick=False) as clock:
        incident = incident_create(by=agent, title="VPN down", impact=2, urgency=1)
        clock.move_to(T0 + timedelta(minutes=4))
        incident_transition(incident_id=incident.pk, name="acknowledge", by=agent)
        clock.move_to(T0 + timedelta(minutes=5))
        incident_transition(incident_id=incident.pk, name="start", by=agent)
        clock.move_to(T0 + timedelta(minutes=10))
        incident_transition(incident_id=incident.pk, name="hold", by=agent)
        clock.move_to(T0 + timedelta(minutes=40))
        incident_transition(incident_id=incident.pk, name="resume", by=agent)
        clock.move_to(T0 + timedelta(minutes=50))
        incident_transition(incident_id=incident.pk, name="hold", by=agent)
        clock.move_to(T0 + timedelta(minutes=55))
        incident = incident_transition(
            incident_id=incident.pk,
            name="resolve",
            by=agent,
            resolution_code="fixed",
            resolution_notes="rebooted",
        )
        clock.move_to(T0 + timedelta(hours=2))
        incident = incident_transition(incident_id=incident.pk, name="close", by=agent)
    assert incident.reported_at == T0
    assert incident.acknowledged_at == T0 + timedelta(minutes=4)
    assert incident.work_started_at == T0 + timedelta(minutes=5)
    assert incident.resolved_at == T0 + timedelta(minutes=55)
    assert incident.closed_at == T0 + timedelta(hours=2)
    # 30 minutes in the first hold, 5 in the second, which resolving ended.
    assert incident.time_on_hold == timedelta(minutes=35)
    assert incident.on_hold_since is None
    assert (incident.resolution_code, incident.resolution_notes) == ("fixed", "rebooted")


def test_reopen_clears_the_resolution(agent):
    incident = _incident_in("resolved", agent)
    incident = incident_transition(incident_id=incident.pk, name="reopen", by=agent, note="came back")
    assert incident.state == IncidentState.IN_PROGRESS
    assert incident.resolved_at is None
    assert incident.resolution_code == ""


def test_priority_follows_impact_and_urgency_and_the_timeline_says_so(agent):
    incident = incident_create(by=agent, title="Slow", impact=4, urgency=4)
    assert incident.priority == 4
    incident = incident_update(incident_id=incident.pk, by=agent, changes={"impact": 1, "urgency": 2})
    assert incident.priority == 1
    change = TimelineEvent.objects.filter(incident=incident, kind="change").get()
    assert change.data["changes"]["priority"] == [4, 1]
    assert "P4 -> P1" in change.note


def test_the_edited_matrix_is_used(agent):
    from incidents.models import PriorityMatrixCell

    PriorityMatrixCell.objects.filter(impact=4, urgency=4).update(priority=2)
    assert incident_create(by=agent, title="x", impact=4, urgency=4).priority == 2


def test_an_update_that_changes_nothing_writes_no_event(agent):
    incident = incident_create(by=agent, title="Same", impact=3, urgency=3)
    incident_update(incident_id=incident.pk, by=agent, changes={"title": "Same", "impact": 3})
    assert not TimelineEvent.objects.filter(incident=incident, kind="change").exists()


def test_reporter_cannot_transition(agent):
    reporter = UserFactory(role="reporters")
    incident = incident_create(by=reporter, title="My laptop", impact=4, urgency=4)
    with pytest.raises(PermissionDenied):
        incident_transition(incident_id=incident.pk, name="acknowledge", by=reporter)
    incident.refresh_from_db()
    assert incident.state == "new"


def test_state_cannot_be_assigned_directly(agent):
    incident = incident_create(by=agent, title="x", impact=3, urgency=3)
    with pytest.raises(AttributeError):
        incident.state = "closed"
