"""The change's state machine: every state x every transition, the conditions each transition has, and the
log line every transition writes."""

import pytest

from config.errors import TransitionNotAllowed
from incidents.changes.services import ConditionNotMet
from incidents.models import Change, ChangeLogEntry, ChangeState, ChangeType

from .factories import agent, approved, go, new_change

pytestmark = pytest.mark.django_db

# (from state, transition) -> target for a normal change; every pair not listed is refused with 409.
ALLOWED = {
    ("draft", "submit"): "submitted",
    ("draft", "cancel"): "cancelled",
    ("submitted", "approve"): "approved",
    ("submitted", "reject"): "rejected",
    ("submitted", "cancel"): "cancelled",
    ("approved", "schedule"): "scheduled",
    ("approved", "cancel"): "cancelled",
    ("rejected", "revise"): "draft",
    ("rejected", "close"): "closed",
    ("scheduled", "start"): "implementing",
    ("scheduled", "cancel"): "cancelled",
    ("implementing", "complete"): "implemented",
    ("implementing", "fail"): "failed",
    ("implemented", "roll_back"): "rolled_back",
    ("implemented", "review"): "reviewed",
    ("failed", "roll_back"): "rolled_back",
    ("failed", "review"): "reviewed",
    ("rolled_back", "review"): "reviewed",
    ("reviewed", "close"): "closed",
}

PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "approved": ["submit", "approve"],
    "rejected": ["submit", "reject"],
    "scheduled": ["submit", "approve", "schedule"],
    "implementing": ["submit", "approve", "schedule", "start"],
    "implemented": ["submit", "approve", "schedule", "start", "complete"],
    "failed": ["submit", "approve", "schedule", "start", "fail"],
    "rolled_back": ["submit", "approve", "schedule", "start", "fail", "roll_back"],
    "reviewed": ["submit", "approve", "schedule", "start", "complete", "review"],
    "closed": ["submit", "approve", "schedule", "start", "complete", "review", "close"],
    "cancelled": ["cancel"],
}

# What each transition is given (the conditions are tested on their own below).
PARAMS = {
    "reject": {"reason": "No rollback plan."},
    "fail": {"reason": "The migration timed out."},
    "cancel": {"reason": "Not needed any more."},
    "review": {"fixed": True, "side_effects": "None seen."},
}


def _in_state(state: str) -> Change:
    change = new_change()
    for name in PATHS[state]:
        by = agent() if name in ("approve", "reject") else None
        change = go(change, name, by=by, **PARAMS.get(name, {}))
    assert change.state == state
    return change


def test_every_state_is_covered() -> None:
    assert set(PATHS) == set(ChangeState.values)


@pytest.mark.parametrize("state", ChangeState.values)
@pytest.mark.parametrize("name", Change.TRANSITIONS)
def test_every_state_and_transition(state: str, name: str) -> None:
    change = _in_state(state)
    target = ALLOWED.get((state, name))
    person = agent()
    if target is None:
        with pytest.raises(TransitionNotAllowed) as refused:
            go(change, name, by=person, **PARAMS.get(name, {}))
        assert refused.value.status == 409
        assert refused.value.extra["state"] == state
        assert name not in refused.value.extra["allowed"]
        assert Change.objects.get(pk=change.pk).state == state
        return
    moved = go(change, name, by=person, **PARAMS.get(name, {}))
    assert moved.state == target
    line = ChangeLogEntry.objects.filter(change=change, kind="transition").last()
    assert line is not None
    assert (line.from_state, line.to_state, line.transition, line.actor) == (state, target, name, person)


def test_scheduling_needs_a_window() -> None:
    change = approved(new_change(planned_start=None, planned_end=None))
    with pytest.raises(ConditionNotMet) as refused:
        go(change, "schedule")
    assert "planned_start" in refused.value.extra["fields"]


def test_fail_and_cancel_need_a_reason() -> None:
    change = _in_state("implementing")
    with pytest.raises(ConditionNotMet) as refused:
        go(change, "fail")
    assert "reason" in refused.value.extra["fields"]
    assert go(change, "fail", reason="Disk full").failure_reason == "Disk full"
    draft = new_change()
    with pytest.raises(ConditionNotMet):
        go(draft, "cancel")


def test_review_needs_to_know_whether_it_fixed_it() -> None:
    change = _in_state("implemented")
    with pytest.raises(ConditionNotMet) as refused:
        go(change, "review")
    assert "fixed" in refused.value.extra["fields"]


def test_submitting_needs_a_service() -> None:
    change = new_change(services=[])
    with pytest.raises(ConditionNotMet) as refused:
        go(change, "submit")
    assert "services" in refused.value.extra["fields"]


def test_a_standard_change_is_pre_approved_on_submission() -> None:
    change = go(new_change(change_type=ChangeType.STANDARD), "submit")
    assert change.state == "approved"
    line = ChangeLogEntry.objects.filter(change=change, transition="approve").get()
    assert line.actor is None
    assert line.data == {"standard": True}


def test_a_normal_change_does_not_start_before_it_is_scheduled() -> None:
    change = approved(new_change())
    with pytest.raises(TransitionNotAllowed) as refused:
        go(change, "start")
    assert refused.value.extra["allowed"] == ["schedule", "cancel"]
    assert Change.objects.get(pk=change.pk).state == "approved"


def test_a_rejected_change_is_revised_and_approved_afresh() -> None:
    first = agent()
    change = go(new_change(), "submit")
    change = go(change, "reject", by=first, reason="Too risky on a Friday.")
    change = go(change, "revise")
    change = go(change, "submit")
    assert change.approval_round == 2
    assert change.rejection_reason == ""
    # The same person decides again in the new round.
    assert go(change, "approve", by=first).state == "approved"
