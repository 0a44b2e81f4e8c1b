"""Every write to incidents. Each entry point owns its transaction: it locks the row, checks access,
changes the data and writes the timeline event in that same transaction."""

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from config.errors import InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from escalation import services as engine
from escalation.events import event_emit
from escalation.models import Timer
from escalation.timers import timer_schedule

from .creation import created_line, engage_timer
from .events import IncidentEvent
from .models import Incident, Source, TimelineEvent
from .models.incident import TRANSITION_PERMISSION, IncidentState, state_label, transition_label
from .selectors import priority_for
from .spikes import spike_check

# Fields people may edit directly. The state changes only through transitions, the priority only through
# impact and urgency, milestones only through transitions.
EDITABLE_FIELDS = (
    "title",
    "description",
    "service",
    "category",
    "impact",
    "urgency",
    "assignee",
    "team",
    "parent",
    "resolution_code",
    "resolution_notes",
)


def _lock(incident_id: int) -> Incident:
    """The incident's row, locked for the caller's transaction, and engaged first if an alert opened it a
    moment ago: its clocks and escalation must exist before anything changes them."""
    try:
        incident = Incident.objects.select_for_update().get(pk=incident_id)
    except Incident.DoesNotExist:
        raise NotFound(_("Incident %(id)s does not exist.") % {"id": incident_id}) from None
    if incident.engaged_at is None:
        incident_engage(incident=incident)
    return incident


def incident_engage(*, incident: Incident) -> None:
    """Starts what a new incident sets going: SLA clocks, escalation, reporting rules and webhooks (rows in
    the caller's transaction, sent after commit), and the spike check. The caller holds the row lock.

    People's incidents engage in the transaction that creates them. Incidents opened by alerts engage a
    moment later, from the `incident.engage` timer written with them (ingestion's hot path stays a single
    statement), or earlier, the first time anything locks them; clocks count from `reported_at` either way,
    and the timer makes it as durable as the incident itself."""
    if incident.engaged_at is not None:
        return
    incident.engaged_at = timezone.now()
    Incident.objects.filter(pk=incident.pk).update(engaged_at=incident.engaged_at)
    _engage(incident, at=incident.reported_at, by=None)


def _engage(incident: Incident, *, at: Any, by: User | None) -> None:
    # SLA clocks, escalation, reporting rules and webhooks: rows in this transaction, sent after commit.
    engine.subject_engage(subject=incident, at=at)
    event_emit(subject=incident, event=IncidentEvent.CREATED, at=at, by=by)
    # Many new incidents for one service at once: a possible major incident (docs/integrations.md).
    spike_check(incident=incident, now=at)


def on_engage_timer(timer: Timer, now: Any) -> None:
    incident = Incident.objects.select_for_update().filter(pk=timer.subject_id).first()
    if incident is not None:
        incident_engage(incident=incident)


def _timeline(
    incident: Incident, *, kind: str, by: User | None, at: Any = None, **fields: Any
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        incident=incident, kind=kind, actor=by, created_at=at or timezone.now(), **fields
    )


def check_can_see(*, incident: Incident, by: User | None) -> None:
    """Agents and managers see every incident; a reporter sees the incidents they reported."""
    if by is None or by.has_perm("incidents.view_incident") or incident.reporter_id == by.pk:
        return
    raise NotFound(_("Incident %(id)s does not exist.") % {"id": incident.pk})


def incident_create(
    *,
    by: User | None,
    title: str,
    impact: int,
    urgency: int,
    description: str = "",
    source: str = Source.API,
    reported_at: Any = None,
    engage_later: bool = False,
    created_note: str = "",
    created_data: dict[str, Any] | None = None,
    **fields: Any,
) -> Incident:
    """Open an incident. `by` is the reporter (None when Vigil itself opens it, for example from an alert).

    `engage_later` leaves SLA clocks, escalation and webhooks to the `incident.engage` timer (for ingestion,
    so that ingestion's general path and its one-statement path behave alike: incidents/creation.py).
    `created_note` and `created_data` add to the "created" line of the timeline (what opened it)."""
    if by is not None and not by.has_perm("incidents.add_incident"):
        raise PermissionDenied(_("You may not report incidents."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    now = timezone.now()
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            description=description,
            impact=impact,
            urgency=urgency,
            priority=priority_for(impact=impact, urgency=urgency),
            source=source,
            reporter=by,
            reported_at=reported_at or now,
            engaged_at=None if engage_later else now,
            **fields,
        )
        TimelineEvent.objects.create(
            incident=incident,
            **created_line(
                priority=incident.priority,
                source=source,
                at=now,
                actor_id=by.pk if by is not None else None,
                note=created_note,
                data=created_data,
            ),
        )
        if engage_later:
            timer_schedule(subject=incident, **engage_timer(reported_at=incident.reported_at))
        else:
            _engage(incident, at=now, by=by)
    return incident


def incident_update(*, incident_id: int, by: User | None, changes: dict[str, Any]) -> Incident:
    """Change editable fields. A new impact or urgency recomputes the priority, and the timeline says so."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    now = timezone.now()
    with transaction.atomic():
        incident = _lock(incident_id)
        check_can_see(incident=incident, by=by)
        if by is not None and not by.has_perm("incidents.change_incident"):
            raise PermissionDenied(_("You may not change incidents."))
        diff: dict[str, list[Any]] = {}
        for field, value in changes.items():
            old = getattr(incident, field)
            if old != value:
                diff[field] = [_plain(old), _plain(value)]
                setattr(incident, field, value)
        if "impact" in diff or "urgency" in diff:
            priority = priority_for(impact=incident.impact, urgency=incident.urgency)
            if priority != incident.priority:
                diff["priority"] = [incident.priority, priority]
                incident.priority = priority
        if not diff:
            return incident
        incident.save()
        note = ""
        if "priority" in diff:
            note = _("Priority recomputed from impact and urgency: P%(old)s -> P%(new)s.") % {
                "old": diff["priority"][0],
                "new": diff["priority"][1],
            }
        _timeline(incident, kind=TimelineEvent.Kind.CHANGE, by=by, at=now, note=note, data={"changes": diff})
        if {"priority", "service", "category"} & set(diff):
            engine.subject_reprioritise(subject=incident, at=now)
        if "priority" in diff:
            event_emit(
                subject=incident,
                event=IncidentEvent.PRIORITY_CHANGED,
                at=now,
                by=by,
                data={"from": diff["priority"][0], "to": diff["priority"][1]},
            )
    return incident


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value for the timeline: related rows by id."""
    if hasattr(value, "pk"):
        return value.pk
    return value


def allowed_transitions(incident: Incident) -> list[str]:
    """Transition names possible from the incident's current state (conditions included), in lifecycle order."""
    available = {t.name for t in incident.get_available_state_transitions()}  # type: ignore[attr-defined]
    return [name for name in Incident.TRANSITIONS if name in available]


def incident_transition(
    *, incident_id: int, name: str, by: User | None, note: str = "", **params: Any
) -> Incident:
    """Move an incident through its lifecycle: the one path every caller (API, admin, tasks) takes.

    Locks the row so concurrent callers are serialised: the first wins, the rest see the new state and get 409.
    Raises NotFound, PermissionDenied (403) or TransitionNotAllowed (409, with the state and what is allowed)."""
    if name not in Incident.TRANSITIONS:
        raise NotFound(_("There is no transition named %(name)s.") % {"name": name})
    with transaction.atomic():
        incident = _lock(incident_id)
        check_can_see(incident=incident, by=by)
        method = getattr(incident, name)
        if not can_proceed(method):
            raise TransitionNotAllowed(
                _("An incident in state %(state)s cannot %(name)s.")
                % {"state": state_label(incident.state), "name": transition_label(name)},
                state=incident.state,
                allowed=allowed_transitions(incident),
            )
        if by is not None and not has_transition_perm(method, by):
            raise PermissionDenied(_("You may not %(name)s incidents.") % {"name": transition_label(name)})
        at = timezone.now()
        from_state = incident.state
        method(at=at, **params)
        incident.save()
        _timeline(
            incident,
            kind=TimelineEvent.Kind.TRANSITION,
            by=by,
            at=at,
            from_state=from_state,
            to_state=incident.state,
            transition=name,
            note=note,
            data={k: v for k, v in params.items() if v not in ("", None)},
        )
        _tell_engine(incident, name=name, by=by, at=at)
    return incident


# What outbound webhooks and the communication plan hear of each transition (the others are internal).
TRANSITION_EVENTS = {
    "acknowledge": IncidentEvent.ACKNOWLEDGED,
    "resolve": IncidentEvent.RESOLVED,
    "cancel": IncidentEvent.CANCELLED,
    "reopen": IncidentEvent.REOPENED,
}


def _tell_engine(incident: Incident, *, name: str, by: User | None, at: Any) -> None:
    """The escalation engine's side of a transition, in the transition's transaction (row locked)."""
    if name == "acknowledge":
        engine.subject_acknowledge(subject=incident, by=by, at=at)
    elif name == "hold":
        engine.subject_pause(subject=incident, at=at)
    elif name == "resume":
        engine.subject_resume(subject=incident, at=at)
    elif name in ("resolve", "cancel"):
        engine.subject_finish(subject=incident, at=at, cancelled=name == "cancel")
    elif name == "reopen":
        # Paged again from the first level; answered with incident_page_acknowledge (it is past `new`).
        engine.subject_reopen(subject=incident, at=at, page=True)
    event = TRANSITION_EVENTS.get(name)
    if event:
        event_emit(subject=incident, event=event, at=at, by=by)


def incident_page_acknowledge(*, incident_id: int, by: User | None, note: str = "") -> Incident:
    """Answer the page about an incident: a new one is acknowledged (the transition); one past `new` that is
    paged all the same (reopened) stops being paged, and the timeline says by whom. Nobody paging about it:
    409 with the state, as for a transition that is not allowed."""
    with transaction.atomic():
        incident = _lock(incident_id)
        if incident.state == IncidentState.NEW:
            return incident_transition(incident_id=incident_id, name="acknowledge", by=by, note=note)
        check_can_see(incident=incident, by=by)
        if not engine.subject_paging(subject=incident):
            raise TransitionNotAllowed(
                _("An incident in state %(state)s cannot %(name)s.")
                % {"state": state_label(incident.state), "name": transition_label("acknowledge")},
                state=incident.state,
                allowed=allowed_transitions(incident),
            )
        if by is not None and not by.has_perm(TRANSITION_PERMISSION):
            raise PermissionDenied(
                _("You may not %(name)s incidents.") % {"name": transition_label("acknowledge")}
            )
        engine.subject_acknowledge(subject=incident, by=by, at=timezone.now())
    return incident


def incident_comment(*, incident_id: int, by: User, body: str, public: bool = False) -> TimelineEvent:
    """Add a work note (internal) or a public reply. Reporters may only add public replies to their own."""
    if not body.strip():
        raise InvalidInput(
            _("A comment needs some text."), fields={"body": [_("This field may not be blank.")]}
        )
    with transaction.atomic():
        incident = _lock(incident_id)
        check_can_see(incident=incident, by=by)
        is_agent = by.has_perm("incidents.change_incident")
        if not is_agent and not public:
            raise PermissionDenied(_("Only agents may add internal work notes."))
        return _timeline(incident, kind=TimelineEvent.Kind.COMMENT, by=by, note=body, is_public=public)
