"""Helpers for problems: open one through the service, move it along."""

from typing import Any

from incidents.models import Problem
from incidents.problems.services import problem_open, problem_transition


def open_problem(by: Any = None, **kwargs: Any) -> Problem:
    kwargs.setdefault("title", "Checkout times out under load")
    return problem_open(by=by, **kwargs)


def known_error(
    by: Any = None, workaround: str = "Restart the checkout worker pool.", **kwargs: Any
) -> Problem:
    problem = open_problem(by=by, **kwargs)
    return problem_transition(problem_id=problem.pk, name="record_known_error", by=by, workaround=workaround)
