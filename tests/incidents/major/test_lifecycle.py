"""The lifecycle: the commander condition, roles and hand-overs, the resolve condition, what resolving tells
post-mortems, reopening and cancelling."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from config.errors import Conflict, PermissionDenied, TransitionNotAllowed
from escalation.models import Escalation, EscalationState
from escalation.registry import event_listener_register
from incidents.major.command import member_leave, role_assign, role_end
from incidents.major.common import ConditionNotMet
from incidents.major.conditions import _root_cause_checks, root_cause_check_register
from incidents.major.services import major_incident_acknowledge, major_incident_transition
from incidents.models import MajorIncidentLogEntry, RoleAssignment, TeamMember
from tests.incidents.factories import UserFactory

from .factories import declare, outside_person

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def go(major, name, by=None, **params):
    return major_incident_transition(major_incident_id=major.pk, name=name, by=by, **params)


def test_it_cannot_leave_declared_without_a_commander():
    major = declare(by=None)
    with pytest.raises(ConditionNotMet) as refused:
        go(major, "investigate")
    assert refused.value.status == 409
    assert refused.value.extra["fields"] == {"commander": ["Assign a commander first."]}
    role_assign(major_incident_id=major.pk, role="commander", user=UserFactory(), by=None)
    assert go(major, "investigate").state == "investigating"


def test_roles_are_handed_over_with_who_and_when_and_held_by_outside_people_too():
    first, second = UserFactory(username="ann", role="agents"), UserFactory(username="ben", role="agents")
    major = declare(by=None)
    with time_machine.travel(T0, tick=False) as clock:
        role_assign(major_incident_id=major.pk, role="commander", user=first, by=first)
        clock.move_to(T0 + timedelta(minutes=30))
        role_assign(major_incident_id=major.pk, role="commander", user=second, by=first, note="shift change")
        vendor = outside_person()
        role_assign(major_incident_id=major.pk, role="technical_lead", person=vendor, by=second)
    history = list(
        RoleAssignment.objects.filter(major_incident=major, role="commander").order_by("assigned_at")
    )
    assert [(r.user, r.assigned_at, r.ended_at) for r in history] == [
        (first, T0, T0 + timedelta(minutes=30)),
        (second, T0 + timedelta(minutes=30), None),
    ]
    roles = MajorIncidentLogEntry.objects.filter(major_incident=major, kind="role").order_by("id")
    assert "handed over from ann to ben" in roles[1].note or roles[1].note == "shift change"
    assert roles[1].data["previous"] == "ann"
    assert roles[1].actor == first
    # Role holders are team members; the outside expert too.
    members = TeamMember.objects.filter(major_incident=major, left_at__isnull=True)
    assert {m.holder_name for m in members} == {"ann", "ben", str(vendor)}
    # Assigning the same holder again changes nothing.
    role_assign(major_incident_id=major.pk, role="commander", user=second, by=None)
    assert RoleAssignment.objects.filter(major_incident=major, role="commander").count() == 2
    member_leave(member_id=members.get(user=first).pk, by=None)
    assert TeamMember.objects.get(major_incident=major, user=first).left_at is not None


def test_the_commander_role_is_handed_over_never_emptied_once_under_way():
    major = declare(by=None)
    role_assign(major_incident_id=major.pk, role="commander", user=UserFactory(), by=None)
    go(major, "investigate")
    with pytest.raises(Conflict):
        role_end(major_incident_id=major.pk, role="commander", by=None)
    role_assign(major_incident_id=major.pk, role="scribe", user=UserFactory(), by=None)
    role_end(major_incident_id=major.pk, role="scribe", by=None)
    assert not RoleAssignment.objects.filter(
        major_incident=major, role="scribe", ended_at__isnull=True
    ).exists()


def _under_way(major):
    role_assign(major_incident_id=major.pk, role="commander", user=UserFactory(), by=None)
    go(major, "investigate")
    go(major, "identify")
    go(major, "mitigate")


def test_resolving_needs_a_problem_record_or_a_reason():
    major = declare(by=None)
    _under_way(major)
    with pytest.raises(ConditionNotMet) as refused:
        go(major, "resolve")
    assert "no_problem_reason" in refused.value.extra["fields"]
    assert refused.value.extra["state"] == "monitoring"
    resolved = go(
        major, "resolve", no_problem_reason="A one-off expired certificate; renewal is automated now."
    )
    assert resolved.state == "resolved"
    assert resolved.no_problem_reason.startswith("A one-off")


def test_a_registered_root_cause_check_lets_it_resolve_without_a_reason():
    major = declare(by=None)
    _under_way(major)
    saved = list(_root_cause_checks)
    root_cause_check_register(lambda m: m.pk == major.pk)
    try:
        assert go(major, "resolve").state == "resolved"
    finally:
        _root_cause_checks[:] = saved


def test_resolving_resolves_the_linked_incidents_stops_paging_and_tells_post_mortems():
    heard = []

    def listener(*, subject, event, at, by, data, info):
        heard.append(data)

    event_listener_register("major_incident.resolved", listener)
    with time_machine.travel(T0, tick=False) as clock:
        major = declare(by=None, occurred_at=T0 - timedelta(minutes=20))
        clock.move_to(T0 + timedelta(minutes=5))
        major_incident_acknowledge(major_incident_id=major.pk, by=None)
        _under_way(major)
        clock.move_to(T0 + timedelta(hours=1))
        go(major, "resolve", no_problem_reason="known", resolution_summary="Rolled back")
    major.primary_incident.refresh_from_db()
    assert major.primary_incident.state == "resolved"
    assert "Rolled back" in major.primary_incident.resolution_notes
    assert not Escalation.objects.filter(subject_id=major.pk, state=EscalationState.ACTIVE).exists()
    [data] = [d for d in heard if d.get("reference") == major.reference]
    assert data["milestones"]["declared"] == T0.isoformat()
    assert data["milestones"]["acknowledged"] == (T0 + timedelta(minutes=5)).isoformat()
    assert data["durations_seconds"]["to_resolve"] == 80 * 60
    assert data["roles"][0]["role"] == "commander"
    assert data["incidents"] == [major.primary_incident_id]


@pytest.mark.parametrize(
    ("state_path", "name", "allowed"),
    [
        ((), "identify", ["cancel"]),
        (("investigate",), "review", ["identify", "mitigate", "resolve", "cancel"]),
        (("investigate", "mitigate"), "investigate", ["resolve", "cancel"]),
    ],
)
def test_a_transition_not_allowed_from_the_state_is_refused_with_the_allowed_ones(state_path, name, allowed):
    major = declare(by=None)
    role_assign(major_incident_id=major.pk, role="commander", user=UserFactory(), by=None)
    for step in state_path:
        go(major, step)
    with pytest.raises(TransitionNotAllowed) as refused:
        go(major, name)
    expected = ["investigate", *allowed] if not state_path else allowed
    assert refused.value.extra["allowed"] == expected


def test_only_those_with_the_permission_move_it():
    major = declare(by=None)
    role_assign(major_incident_id=major.pk, role="commander", user=UserFactory(), by=None)
    reporter = UserFactory(role="reporters")
    major.declared_by = reporter
    major.save(update_fields=["declared_by"])
    with pytest.raises(PermissionDenied):
        go(major, "investigate", by=reporter)
    assert go(major, "investigate", by=UserFactory(role="agents")).state == "investigating"


def test_cancel_needs_a_reason_and_reopen_comes_back_to_investigating():
    major = declare(by=None)
    with pytest.raises(ConditionNotMet):
        go(major, "cancel")
    assert go(major, "cancel", reason="Duplicate of another").cancel_reason == "Duplicate of another"
    other = declare(by=None)
    _under_way(other)
    go(other, "resolve", no_problem_reason="x")
    reopened = go(other, "reopen")
    assert (reopened.state, reopened.resolved_at) == ("investigating", None)
    go(other, "resolve", no_problem_reason="x")
    assert go(go(other, "review"), "close").state == "closed"


def test_resolving_opens_the_post_mortem_and_the_metrics_count_it():
    """The post-mortems' listener for `major_incident.resolved` opens the review, owned by the commander; the
    metrics count declarations, cancelled ones left out."""
    from incidents.metrics import major_incident_declarations
    from postmortems.models import Postmortem

    commander = UserFactory(role="agents")
    major = declare(by=None)
    role_assign(major_incident_id=major.pk, role="commander", user=commander, by=None)
    go(major, "investigate")
    go(major, "resolve", no_problem_reason="x")
    go(declare(by=None, title="False alarm"), "cancel", reason="not major")
    [postmortem] = Postmortem.objects.all()
    assert (postmortem.subject_id, postmortem.owner) == (major.pk, commander)
    assert [row.declared_at for row in major_incident_declarations()] == [major.declared_at]
