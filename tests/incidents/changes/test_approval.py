"""Approval: the approvers each risk level needs (configurable), the self-approval ban, the rejection reason,
emergency changes approved after the fact, every decision on the log, and approvers reminded by the engine."""

from datetime import timedelta

import pytest
import time_machine

from config.errors import Conflict, InvalidInput, PermissionDenied, TransitionNotAllowed
from escalation.models import Notification, Timer
from escalation.reminders import REMINDER_TIMER
from escalation.timers import timer_sweep
from incidents.changes.selectors import approval_rule_for
from incidents.changes.services import SelfApproval
from incidents.models import (
    ChangeApproval,
    ChangeApprovalRule,
    ChangeLogEntry,
    ChangeType,
    ProblemChangeConfiguration,
)
from tests.incidents.factories import ServiceFactory, TeamFactory, UserFactory

from .factories import T0, agent, go, manager, new_change

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("risk", "rule"),
    [("low", (1, 0)), ("medium", (1, 0)), ("high", (2, 1)), ("critical", (3, 1))],
)
def test_the_default_rules(risk: str, rule: tuple[int, int]) -> None:
    found = approval_rule_for(risk)
    assert (found.approvers, found.managers) == rule


def test_low_risk_needs_one_agent() -> None:
    change = go(new_change(risk_level="low"), "submit")
    assert go(change, "approve", by=agent()).state == "approved"


def test_high_risk_needs_two_approvers_one_of_them_a_manager() -> None:
    change = go(new_change(risk_level="high"), "submit")
    change = go(change, "approve", by=agent())
    assert change.state == "submitted"
    change = go(change, "approve", by=agent())
    # Two approvals, but no manager among them: still waiting.
    assert change.state == "submitted"
    change = go(change, "approve", by=manager())
    assert change.state == "approved"
    assert ChangeApproval.objects.filter(change=change, as_manager=True).count() == 1


def test_a_manager_counts_as_an_approver_too() -> None:
    change = go(new_change(risk_level="high"), "submit")
    change = go(change, "approve", by=manager())
    assert change.state == "submitted"
    assert go(change, "approve", by=agent()).state == "approved"


def test_the_rules_are_configurable_per_risk_level() -> None:
    ChangeApprovalRule.objects.create(risk_level="low", approvers=2, managers=2)
    change = go(new_change(risk_level="low"), "submit")
    change = go(change, "approve", by=manager())
    change = go(change, "approve", by=agent())
    assert change.state == "submitted"
    assert go(change, "approve", by=manager()).state == "approved"


def test_nobody_approves_their_own_change() -> None:
    owner, requester = agent(), agent()
    change = go(new_change(by=requester, owner=owner), "submit")
    for person in (owner, requester):
        for decision in ("approve", "reject"):
            with pytest.raises(SelfApproval) as refused:
                go(change, decision, by=person, reason="mine")
            assert refused.value.status == 403
            assert refused.value.code == "self_approval"
    assert ChangeApproval.objects.filter(change=change).count() == 0
    assert go(change, "approve", by=agent()).state == "approved"


def test_approving_needs_the_permission() -> None:
    change = go(new_change(), "submit")
    viewer = UserFactory()
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_change"))
    with pytest.raises(PermissionDenied):
        go(change, "approve", by=viewer)


def test_a_rejection_needs_a_reason_and_is_logged() -> None:
    change = go(new_change(), "submit")
    person = agent()
    with pytest.raises(InvalidInput) as refused:
        go(change, "reject", by=person, reason="  ")
    assert "reason" in refused.value.extra["fields"]
    change = go(change, "reject", by=person, reason="No rollback plan.")
    assert (change.state, change.rejection_reason) == ("rejected", "No rollback plan.")
    decision = ChangeLogEntry.objects.get(change=change, kind="decision")
    assert (decision.actor, decision.note, decision.data["decision"]) == (
        person,
        "No rollback plan.",
        "rejected",
    )


def test_every_decision_is_on_the_log_and_each_approver_decides_once() -> None:
    change = go(new_change(risk_level="critical"), "submit")
    first = agent()
    go(change, "approve", by=first)
    with pytest.raises(Conflict):
        go(change, "approve", by=first)
    go(change, "approve", by=manager())
    lines = ChangeLogEntry.objects.filter(change=change, kind="decision")
    assert [line.data["as_manager"] for line in lines] == [False, True]


def test_a_draft_is_not_decided_on() -> None:
    with pytest.raises(TransitionNotAllowed):
        go(new_change(), "approve", by=agent())


def test_an_emergency_change_is_implemented_first_and_approved_after() -> None:
    change = go(new_change(change_type=ChangeType.EMERGENCY, risk_level="high"), "submit")
    change = go(change, "start")
    assert change.state == "implementing"
    assert ChangeLogEntry.objects.get(change=change, transition="start").data == {"emergency": True}
    change = go(change, "complete")
    change = go(change, "approve", by=agent())
    change = go(change, "approve", by=manager())
    assert change.state == "implemented"  # the decision does not move it
    assert change.approved_after is True
    assert change.approved_at is not None
    assert set(ChangeApproval.objects.filter(change=change).values_list("after_the_fact", flat=True)) == {
        True
    }
    # Decided: no more decisions.
    with pytest.raises(TransitionNotAllowed):
        go(change, "approve", by=agent())


def test_an_emergency_change_rejected_after_the_fact_keeps_its_state_and_the_reason() -> None:
    change = go(go(new_change(change_type=ChangeType.EMERGENCY), "submit"), "start")
    change = go(change, "reject", by=agent(), reason="Should have waited for the window.")
    assert change.state == "implementing"
    assert change.rejected_at is not None
    assert change.rejection_reason == "Should have waited for the window."


def test_approvers_are_reminded_then_their_manager() -> None:
    boss = UserFactory(username="boss")
    team = TeamFactory(manager=boss)
    approver, owner = agent(username="approver"), agent(username="owner")
    team.members.add(approver, owner)
    config = ProblemChangeConfiguration.load()
    config.approval_reminder_hours = 2
    config.save()
    with time_machine.travel(T0, tick=False) as clock:
        go(new_change(by=owner, services=[ServiceFactory(owning_team=team)]), "submit")
        assert Timer.objects.filter(kind=REMINDER_TIMER, data__key="approval", state="pending").count() == 1
        clock.move_to(T0 + timedelta(hours=2, seconds=1))
        timer_sweep()
        reminded = Notification.objects.filter(reason="reminder")
        # The owner is never asked to approve their own change.
        assert {n.recipient for n in reminded} == {approver}
        assert "waiting for your approval" in reminded.get().title
        clock.move_to(T0 + timedelta(hours=4, seconds=2))
        timer_sweep()
        assert {n.recipient for n in Notification.objects.filter(reason="reminder")} == {approver, boss}


def test_a_decided_change_stops_reminding() -> None:
    with time_machine.travel(T0, tick=False) as clock:
        change = go(new_change(), "submit")
        go(change, "approve", by=agent())
        assert not Timer.objects.filter(kind=REMINDER_TIMER, data__key="approval", state="pending").exists()
        clock.move_to(T0 + timedelta(days=2))
        timer_sweep()
    assert not Notification.objects.filter(reason="reminder").exists()
