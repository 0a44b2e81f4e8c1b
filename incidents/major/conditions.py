"""What resolving a major incident needs: a problem record for the root cause, or a written reason why none is
needed.

Problem records (issue #10) register how to tell that one is linked, from `IncidentsConfig.ready()`:
a major incident with a linked problem (`major_incident.problems`) resolves without the reason."""

from collections.abc import Callable

from django.utils.translation import gettext as _

from ..models import MajorIncident

RootCauseCheck = Callable[[MajorIncident], bool]

_root_cause_checks: list[RootCauseCheck] = []


def root_cause_check_register(check: RootCauseCheck) -> None:
    """Add a way to tell that the root cause is recorded (a linked problem record)."""
    if check not in _root_cause_checks:
        _root_cause_checks.append(check)


def root_cause_recorded(major_incident: MajorIncident) -> bool:
    return any(check(major_incident) for check in _root_cause_checks)


def resolve_blockers(major_incident: MajorIncident, *, no_problem_reason: str) -> dict[str, list[str]]:
    """The fields that stop the major incident from resolving, with why; empty when it may resolve."""
    if root_cause_recorded(major_incident) or no_problem_reason.strip():
        return {}
    return {
        "no_problem_reason": [
            _("Link a problem record for the root cause, or write why none is needed."),
        ]
    }
