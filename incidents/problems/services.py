"""Every write to problems: opening one (from scratch, from recurring incidents), editing it, its lifecycle,
and linking incidents and major incidents to it. Each entry point owns its transaction: it locks the problem,
checks permission, changes the data and writes the log (and the incident's timeline) in that transaction."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from config.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from config.permissions import permission_check as require  # the services' name for it
from escalation.events import event_emit

from ..edits import fields_apply
from ..models import (
    Incident,
    IncidentCategory,
    MajorIncident,
    Problem,
    ProblemIncident,
    ProblemLogEntry,
    ProblemState,
    Service,
    TimelineEvent,
)
from ..models.problem import PROBLEM_TRANSITION_LABELS, TRANSITION_PERMISSION
from ..services import check_can_see as incident_check_can_see
from .events import ProblemEvent

# Fields people may edit directly; the state changes only through transitions, milestones with them.
EDITABLE_FIELDS = (
    "title",
    "symptoms",
    "priority",
    "owner",
    "team",
    "category",
    "services",
    "root_cause",
    "workaround",
    "resolution",
)


class ConditionNotMet(Conflict):
    """The transition exists from this state, but what it needs is missing (a workaround, a root cause)."""

    code = "condition_not_met"


def lock(problem_id: int) -> Problem:
    """The problem's row, locked for the caller's transaction; NotFound when there is none."""
    problem = Problem.objects.select_for_update().filter(pk=problem_id).first()
    if problem is None:
        raise NotFound(_("Problem %(id)s does not exist.") % {"id": problem_id})
    return problem


def check_can_see(*, problem: Problem, by: User | None) -> None:
    """Problems are for agents and managers (404 for others, like a missing one)."""
    if by is None or by.has_perm("incidents.view_problem"):
        return
    raise NotFound(_("Problem %(id)s does not exist.") % {"id": problem.pk})


# One line of the record's log, in the caller's transaction (the logs' shared `LogEntry.write`).
log = ProblemLogEntry.write


def problem_open(
    *,
    by: User | None,
    title: str,
    symptoms: str = "",
    priority: int = 3,
    owner: User | None = None,
    category: IncidentCategory | None = None,
    services: list[Service] | None = None,
    incidents: list[Incident] | None = None,
    major_incidents: list[MajorIncident] | None = None,
    note: str = "",
    **fields: Any,
) -> Problem:
    """Open a problem, with the incidents and major incidents it explains linked (each incident's timeline
    says so) and their services added to the affected ones."""
    require(by, "incidents.add_problem", _("You may not open problems."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be set: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if not title.strip():
        raise InvalidInput(
            _("A problem needs a title."), fields={"title": [_("This field may not be blank.")]}
        )
    now = timezone.now()
    with transaction.atomic():
        problem = Problem.objects.create(
            title=title,
            symptoms=symptoms,
            priority=priority,
            owner=owner or by,
            category=category,
            created_by=by,
            opened_at=now,
            **fields,
        )
        log(problem, kind=ProblemLogEntry.Kind.OPENED, by=by, at=now, to_state=problem.state, note=note)
        service_ids = {s.pk for s in services or []}
        for incident in incidents or []:
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            incident_check_can_see(incident=locked, by=by)
            _link_incident(problem, locked, by=by, at=now)
            if locked.service_id:
                service_ids.add(locked.service_id)
        for major_incident in major_incidents or []:
            _link_major_incident(problem, major_incident, by=by, at=now)
            service_ids.update(major_incident.services.values_list("pk", flat=True))
        problem.services.set(service_ids)
        event_emit(subject=problem, event=ProblemEvent.OPENED, at=now, by=by)
    return problem


def problem_update(*, problem_id: int, by: User | None, changes: dict[str, Any]) -> Problem:
    """Change editable fields; the log keeps what changed."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic():
        problem = lock(problem_id)
        check_can_see(problem=problem, by=by)
        require(by, "incidents.change_problem", _("You may not change problems."))
        diff = fields_apply(problem, changes)
        if not diff:
            return problem
        if problem.state == ProblemState.KNOWN_ERROR and not problem.has_workaround():
            raise ConditionNotMet(
                _("A known error keeps its workaround: resolve the problem instead of removing it."),
                state=problem.state,
                fields={"workaround": [_("A known error needs a workaround.")]},
            )
        problem.save()
        log(
            problem,
            kind=ProblemLogEntry.Kind.CHANGE,
            by=by,
            data={"changes": {k: [str(v) for v in pair] for k, pair in diff.items()}},
        )
    return problem


def allowed_transitions(problem: Problem) -> list[str]:
    """Transitions possible from the current state (conditions on the row included), in lifecycle order."""
    available = {t.name for t in problem.get_available_state_transitions()}  # type: ignore[attr-defined]  # django-fsm's mixin, untyped
    return [name for name in Problem.TRANSITIONS if name in available]


TRANSITION_EVENTS = {
    "investigate": ProblemEvent.INVESTIGATING,
    "record_known_error": ProblemEvent.KNOWN_ERROR,
    "resolve": ProblemEvent.RESOLVED,
    "reopen": ProblemEvent.REOPENED,
    "close": ProblemEvent.CLOSED,
}


def problem_transition(
    *,
    problem_id: int,
    name: str,
    by: User | None,
    note: str = "",
    workaround: str = "",
    root_cause: str = "",
    resolution: str = "",
) -> Problem:
    """Move a problem through its lifecycle: the one path the API, the admin and changes' reviews take.

    409 `transition_not_allowed` (with `state` and `allowed`) from a state the transition does not leave;
    403 without the permission; 409 `condition_not_met` when a known error has no `workaround` (given here or
    already on the problem). `root_cause` and `resolution` may be written with the transition."""
    if name not in Problem.TRANSITIONS:
        raise NotFound(_("There is no transition named %(name)s.") % {"name": name})
    with transaction.atomic():
        problem = lock(problem_id)
        check_can_see(problem=problem, by=by)
        return problem_transition_locked(
            problem,
            name=name,
            by=by,
            note=note,
            workaround=workaround,
            root_cause=root_cause,
            resolution=resolution,
        )


def problem_transition_locked(
    problem: Problem,
    *,
    name: str,
    by: User | None,
    note: str = "",
    workaround: str = "",
    root_cause: str = "",
    resolution: str = "",
    data: dict[str, Any] | None = None,
) -> Problem:
    """`problem_transition` for a caller that holds the problem's lock in its own transaction (a change's
    review resolves the problem it fixed)."""
    method = getattr(problem, name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionNotAllowed(
            _("A problem in state %(state)s cannot %(name)s.")
            % {"state": problem.get_state_display(), "name": PROBLEM_TRANSITION_LABELS[name]},
            state=problem.state,
            allowed=allowed_transitions(problem),
        )
    if by is not None and not by.has_perm(TRANSITION_PERMISSION):
        raise PermissionDenied(_("You may not run problems through their lifecycle."))
    if workaround.strip():
        problem.workaround = workaround
    if root_cause.strip():
        problem.root_cause = root_cause
    if resolution.strip():
        problem.resolution = resolution
    if name == "record_known_error" and not problem.has_workaround():
        raise ConditionNotMet(
            _("A known error needs a workaround: write what helps until the fix."),
            state=problem.state,
            allowed=allowed_transitions(problem),
            fields={"workaround": [_("This field is required to record a known error.")]},
        )
    at = timezone.now()
    from_state = problem.state
    method(at=at)
    problem.save()
    log(
        problem,
        kind=ProblemLogEntry.Kind.TRANSITION,
        by=by,
        at=at,
        from_state=from_state,
        to_state=problem.state,
        transition=name,
        note=note or resolution or (workaround if name == "record_known_error" else ""),
        data=data,
    )
    event_emit(subject=problem, event=TRANSITION_EVENTS[name], at=at, by=by, data={"state": problem.state})
    return problem


def workaround_line(problem: Problem) -> str:
    return _("Workaround from known error %(ref)s (%(title)s): %(workaround)s") % {
        "ref": problem.reference,
        "title": problem.title,
        "workaround": problem.workaround,
    }


def _link_incident(problem: Problem, incident: Incident, *, by: User | None, at: datetime) -> ProblemIncident:
    """Link an incident (the caller holds both locks): a line on each history, and for a known error the
    workaround copied onto the incident's timeline so that it is applied at once."""
    link, created = ProblemIncident.objects.get_or_create(
        problem=problem, incident=incident, defaults={"linked_at": at, "linked_by": by}
    )
    if not created:
        return link
    TimelineEvent.objects.create(
        incident=incident,
        kind=TimelineEvent.Kind.CHANGE,
        actor=by,
        created_at=at,
        note=_("Linked to problem %(ref)s.") % {"ref": problem.reference},
        data={"problem": problem.pk},
    )
    if problem.state == ProblemState.KNOWN_ERROR and problem.has_workaround():
        TimelineEvent.objects.create(
            incident=incident,
            kind=TimelineEvent.Kind.COMMENT,
            actor=by,
            created_at=at,
            note=workaround_line(problem),
            data={"problem": problem.pk, "workaround": True},
        )
        link.workaround_applied_at = at
        link.save(update_fields=["workaround_applied_at"])
    log(
        problem,
        kind=ProblemLogEntry.Kind.LINK,
        by=by,
        at=at,
        note=_("%(inc)s linked: %(title)s") % {"inc": incident.reference, "title": incident.title},
        data={"incident": incident.pk, "workaround_copied": link.workaround_applied_at is not None},
    )
    return link


def _link_major_incident(
    problem: Problem, major_incident: MajorIncident, *, by: User | None, at: datetime
) -> None:
    if problem.major_incidents.filter(pk=major_incident.pk).exists():
        return
    problem.major_incidents.add(major_incident)
    log(
        problem,
        kind=ProblemLogEntry.Kind.LINK,
        by=by,
        at=at,
        note=_("%(mi)s linked: %(title)s") % {"mi": major_incident.reference, "title": major_incident.title},
        data={"major_incident": major_incident.pk},
    )
    # The major incident's log says where its root cause is investigated (the resolve condition reads it).
    from ..major.common import log as major_log
    from ..models import MajorIncidentLogEntry

    major_log(
        major_incident,
        kind=MajorIncidentLogEntry.Kind.NOTE,
        by=by,
        at=at,
        note=_("Root cause investigated in problem %(ref)s.") % {"ref": problem.reference},
        data={"problem": problem.pk},
    )


def problem_link_incident(*, problem_id: int, incident_id: int, by: User | None) -> ProblemIncident:
    """Link an incident to the problem; linking to a known error copies its workaround onto the incident's
    timeline. Linking twice does nothing more."""
    require(by, "incidents.change_problem", _("You may not change problems."))
    with transaction.atomic():
        problem = lock(problem_id)
        check_can_see(problem=problem, by=by)
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None:
            raise InvalidInput(_("No such incident."), fields={"incident": [_("Unknown incident.")]})
        try:
            incident_check_can_see(incident=incident, by=by)
        except NotFound:
            raise InvalidInput(
                _("No such incident."), fields={"incident": [_("Unknown incident.")]}
            ) from None
        if problem.state == ProblemState.CLOSED:
            raise Conflict(
                _("Problem %(ref)s is closed: open a new one.") % {"ref": problem.reference},
                state=problem.state,
            )
        link = _link_incident(problem, incident, by=by, at=timezone.now())
        if incident.service_id:
            problem.services.add(incident.service_id)
    return link


def problem_unlink_incident(*, problem_id: int, incident_id: int, by: User | None) -> None:
    require(by, "incidents.change_problem", _("You may not change problems."))
    with transaction.atomic():
        problem = lock(problem_id)
        check_can_see(problem=problem, by=by)
        deleted, _details = ProblemIncident.objects.filter(problem=problem, incident_id=incident_id).delete()
        if not deleted:
            raise NotFound(_("That incident is not linked."))
        log(
            problem,
            kind=ProblemLogEntry.Kind.LINK,
            by=by,
            note=_("Incident %(id)s unlinked.") % {"id": incident_id},
            data={"incident": incident_id, "unlinked": True},
        )


def problem_link_major_incident(*, problem_id: int, major_incident_id: int, by: User | None) -> Problem:
    """Link a major incident whose root cause this problem investigates (what resolving it needs)."""
    require(by, "incidents.change_problem", _("You may not change problems."))
    with transaction.atomic():
        problem = lock(problem_id)
        check_can_see(problem=problem, by=by)
        major_incident = MajorIncident.objects.select_for_update().filter(pk=major_incident_id).first()
        if major_incident is None or (by is not None and not by.has_perm("incidents.view_majorincident")):
            raise InvalidInput(
                _("No such major incident."), fields={"major_incident": [_("Unknown major incident.")]}
            )
        _link_major_incident(problem, major_incident, by=by, at=timezone.now())
        problem.services.add(*major_incident.services.values_list("pk", flat=True))
    return problem


def problem_unlink_major_incident(*, problem_id: int, major_incident_id: int, by: User | None) -> None:
    require(by, "incidents.change_problem", _("You may not change problems."))
    with transaction.atomic():
        problem = lock(problem_id)
        check_can_see(problem=problem, by=by)
        if not problem.major_incidents.filter(pk=major_incident_id).exists():
            raise NotFound(_("That major incident is not linked."))
        problem.major_incidents.remove(major_incident_id)
        log(
            problem,
            kind=ProblemLogEntry.Kind.LINK,
            by=by,
            note=_("Major incident %(id)s unlinked.") % {"id": major_incident_id},
            data={"major_incident": major_incident_id, "unlinked": True},
        )


def problem_open_from_recurring(
    *, by: User | None, service_id: int | None, category_id: int | None, now: datetime | None = None
) -> Problem:
    """The admin's one click on a row of recurring incidents: a problem for that service and category with the
    window's unlinked incidents linked to it. 409 when the row is no longer recurring."""
    from .selectors import recurring_incidents

    rows = [
        row
        for row in recurring_incidents(now=now)
        if row["service_id"] == service_id and row["category_id"] == category_id
    ]
    if not rows:
        raise Conflict(_("These incidents are no longer recurring without a problem."))
    row = rows[0]
    incidents = list(Incident.objects.filter(pk__in=row["incident_ids"]).order_by("reported_at"))
    service = Service.objects.filter(pk=service_id).first() if service_id else None
    category = IncidentCategory.objects.filter(pk=category_id).first() if category_id else None
    title = _("Recurring incidents: %(service)s, %(category)s") % {
        "service": service.name if service else _("no service"),
        "category": category.name if category else _("no category"),
    }
    return problem_open(
        by=by,
        title=title,
        symptoms="\n".join(f"{i.reference} {i.title}" for i in incidents),
        priority=min((i.priority for i in incidents), default=3),
        category=category,
        services=[service] if service else [],
        incidents=incidents,
        note=_("Opened from %(count)d recurring incidents.") % {"count": len(incidents)},
    )


__all__ = [
    "EDITABLE_FIELDS",
    "allowed_transitions",
    "problem_link_incident",
    "problem_link_major_incident",
    "problem_open",
    "problem_open_from_recurring",
    "problem_transition",
    "problem_unlink_incident",
    "problem_unlink_major_incident",
    "problem_update",
]
