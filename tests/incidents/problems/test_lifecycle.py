"""The problem's state machine: every state x every transition, the known-error condition, the log."""

import pytest

from config.errors import NotFound, PermissionDenied, TransitionNotAllowed
from incidents.models import Problem, ProblemLogEntry, ProblemState
from incidents.problems.services import ConditionNotMet, allowed_transitions, problem_transition
from tests.incidents.factories import UserFactory

from .factories import open_problem

pytestmark = pytest.mark.django_db

# (from state, transition) -> target; every pair not listed is refused with 409.
ALLOWED = {
    ("open", "investigate"): "investigating",
    ("open", "record_known_error"): "known_error",
    ("investigating", "record_known_error"): "known_error",
    ("investigating", "resolve"): "resolved",
    ("known_error", "resolve"): "resolved",
    ("resolved", "reopen"): "investigating",
    ("resolved", "close"): "closed",
}

# How to reach each state from open.
PATHS = {
    "open": [],
    "investigating": ["investigate"],
    "known_error": ["record_known_error"],
    "resolved": ["investigate", "resolve"],
    "closed": ["investigate", "resolve", "close"],
}


def _in_state(state: str) -> Problem:
    problem = open_problem(workaround="Clear the cache.")
    for name in PATHS[state]:
        problem = problem_transition(problem_id=problem.pk, name=name, by=None)
    assert problem.state == state
    return problem


@pytest.mark.parametrize("state", ProblemState.values)
@pytest.mark.parametrize("name", Problem.TRANSITIONS)
def test_every_state_and_transition(state: str, name: str) -> None:
    problem = _in_state(state)
    target = ALLOWED.get((state, name))
    if target is None:
        with pytest.raises(TransitionNotAllowed) as refused:
            problem_transition(problem_id=problem.pk, name=name, by=None)
        assert refused.value.status == 409
        assert refused.value.extra["state"] == state
        assert name not in refused.value.extra["allowed"]
        assert Problem.objects.get(pk=problem.pk).state == state
        return
    agent = UserFactory(role="agents")
    moved = problem_transition(problem_id=problem.pk, name=name, by=agent, note="why")
    assert moved.state == target
    line = ProblemLogEntry.objects.filter(problem=problem, kind="transition").last()
    assert line is not None
    assert (line.from_state, line.to_state, line.transition, line.actor, line.note) == (
        state,
        target,
        name,
        agent,
        "why",
    )


def test_a_known_error_needs_a_workaround() -> None:
    problem = open_problem()
    assert "record_known_error" not in allowed_transitions(problem)
    with pytest.raises(ConditionNotMet) as refused:
        problem_transition(problem_id=problem.pk, name="record_known_error", by=None)
    assert "workaround" in refused.value.extra["fields"]
    moved = problem_transition(
        problem_id=problem.pk,
        name="record_known_error",
        by=None,
        workaround="Fail over to the second region.",
    )
    assert moved.state == "known_error"
    assert moved.known_error_at is not None
    assert moved.workaround == "Fail over to the second region."


def test_reporters_may_not_run_problems() -> None:
    problem = open_problem()
    with pytest.raises(NotFound) as refused:
        problem_transition(problem_id=problem.pk, name="investigate", by=UserFactory(role="reporters"))
    assert refused.value.status == 404
    viewer = UserFactory()
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_problem"))
    with pytest.raises(PermissionDenied):
        problem_transition(problem_id=problem.pk, name="investigate", by=viewer)
