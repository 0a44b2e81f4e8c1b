"""What every major-incident service shares: the row lock, who may see and do what, the log."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q
from django.utils.translation import gettext as _

from config.errors import Conflict, InvalidInput, NotFound
from config.permissions import permission_check

from ..models import MajorIncident, MajorIncidentLogEntry, MajorIncidentState

# After these, the major incident's command data is history: nothing is assigned, planned or spent any more.
FINISHED_STATES = (MajorIncidentState.CLOSED, MajorIncidentState.CANCELLED)


class ConditionNotMet(Conflict):
    """The transition exists from this state, but what it needs is missing (a commander, a reason)."""

    code = "condition_not_met"


def sees_all_major_incidents(user: User | AnonymousUser | None) -> bool:
    return bool(user is None or (user.is_authenticated and user.has_perm("incidents.view_majorincident")))


def own_declarations(user: User) -> Q:
    """A reporter's own: those they declared, and those their report was joined to."""
    return Q(declared_by=user) | Q(links__incident__reporter=user)


def lock(major_incident_id: int) -> MajorIncident:
    """The major incident's row, locked for the caller's transaction; NotFound when there is none."""
    major_incident = MajorIncident.objects.select_for_update().filter(pk=major_incident_id).first()
    if major_incident is None:
        raise NotFound(_("Major incident %(id)s does not exist.") % {"id": major_incident_id})
    return major_incident


def check_can_see(*, major_incident: MajorIncident, by: User | None) -> None:
    """Agents and managers see every major incident; a reporter sees their own declarations (404 otherwise)."""
    if sees_all_major_incidents(by):
        return
    if by is not None and MajorIncident.objects.filter(own_declarations(by), pk=major_incident.pk).exists():
        return
    raise NotFound(_("Major incident %(id)s does not exist.") % {"id": major_incident.pk})


# The services' name for it: 403 unless `by` holds the permission (None is Vigil itself).
require = permission_check


def check_commandable(major_incident: MajorIncident) -> None:
    """Command data (roles, team, plan, logistics, costs) changes until the major incident is closed."""
    if major_incident.state in FINISHED_STATES:
        raise Conflict(
            _("Major incident %(ref)s is %(state)s: its command data is history.")
            % {"ref": major_incident.reference, "state": major_incident.get_state_display()},
            state=major_incident.state,
        )


# One line of the record's log, in the caller's transaction (the logs' shared `LogEntry.write`).
log = MajorIncidentLogEntry.write


def one_person(*, user: Any, person: Any, field: str = "user") -> None:
    """Exactly one of a user and an outside person: 400 naming the field otherwise."""
    if (user is None) == (person is None):
        raise InvalidInput(
            _("Name exactly one person: a user or an outside person."),
            fields={field: [_("Give a user or an outside person, not both and not neither.")]},
        )


def display_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
