"""Declaring major incidents (the form, the API, the admin, a possible-major flag), joining a second report to
an open one, linking incidents, and the lifecycle. Each entry point owns its transaction: it locks the major
incident, checks access, changes the data, writes the log and tells the engine, all in that transaction."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from config.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from escalation import services as engine
from escalation.events import event_emit
from escalation.models import Audience
from escalation.oncall import oncall_users

from ..edits import fields_apply
from ..events import MajorIncidentEvent
from ..models import (
    CommandRole,
    Incident,
    IncidentCategory,
    MajorIncident,
    MajorIncidentConfiguration,
    MajorIncidentFlag,
    MajorIncidentLink,
    MajorIncidentLogEntry,
    MajorIncidentState,
    OutsidePerson,
    Service,
    Severity,
    Source,
    TimelineEvent,
)
from ..models.major_incident import TRANSITION_PERMISSION, DeclaredVia
from ..services import incident_create, incident_transition
from .actionplan import template_for, template_instantiate
from .command import role_assign_locked
from .common import ConditionNotMet, check_can_see, lock, log, require
from .comms import cadence_schedule, cadence_stop
from .conditions import resolve_blockers
from .selectors import review_data

# The report behind a declaration becomes an incident of this impact and urgency (P1, P2, P3 by default).
SEVERITY_IMPACT_URGENCY = {Severity.SEV1: (1, 1), Severity.SEV2: (2, 2), Severity.SEV3: (3, 2)}

# The source of the primary incident a declaration opens.
VIA_SOURCE: dict[str, str] = {DeclaredVia.FORM: Source.FORM, DeclaredVia.ADMIN: Source.ADMIN}

# Fields people may edit directly; the state changes only through transitions, milestones with them.
EDITABLE_FIELDS = (
    "title",
    "summary",
    "severity",
    "cause",
    "category",
    "services",
    "impact",
    "customer_impact",
    "bridge_url",
    "war_room",
    "occurred_at",
    "detected_at",
    "resolution_summary",
)


def _link(
    major_incident: MajorIncident,
    incident: Incident,
    *,
    by: User | None,
    at: datetime,
    primary: bool,
) -> MajorIncidentLink:
    """Gather an incident under the major incident (the caller holds both locks): a line on each history.

    A linked incident that nobody has acknowledged yet is acknowledged by Vigil, since the major incident team
    handles it: its own escalation stops paging (the primary incident keeps paging its service's on-call)."""
    existing = MajorIncidentLink.objects.filter(incident=incident).select_related("major_incident").first()
    if existing is not None:
        if existing.major_incident_id == major_incident.pk:
            return existing
        raise Conflict(
            _("%(inc)s is already part of %(mi)s.")
            % {"inc": incident.reference, "mi": existing.major_incident.reference},
            fields={"incidents": [_("Already part of another major incident.")]},
        )
    link = MajorIncidentLink.objects.create(
        major_incident=major_incident, incident=incident, is_primary=primary, linked_at=at, linked_by=by
    )
    TimelineEvent.objects.create(
        incident=incident,
        kind=TimelineEvent.Kind.CHANGE,
        actor=by,
        created_at=at,
        note=_("Part of major incident %(ref)s.") % {"ref": major_incident.reference},
        data={"major_incident": major_incident.pk, "primary": primary},
    )
    if not primary:
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.LINK,
            by=by,
            at=at,
            note=_("%(inc)s linked: %(title)s") % {"inc": incident.reference, "title": incident.title},
            data={"incident": incident.pk},
        )
        if incident.state == "new":
            incident_transition(
                incident_id=incident.pk,
                name="acknowledge",
                by=None,
                note=_("Handled as part of major incident %(ref)s.") % {"ref": major_incident.reference},
            )
    return link


def _commander_on_call(config: MajorIncidentConfiguration, at: datetime) -> User | None:
    if config.commander_schedule is None:
        return None
    return next((u for u in oncall_users(schedule=config.commander_schedule, at=at) if u.is_active), None)


def major_incident_declare(
    *,
    by: User | None,
    title: str,
    severity: int = Severity.SEV2,
    summary: str = "",
    incidents: list[Incident] | None = None,
    services: list[Service] | None = None,
    via: str = DeclaredVia.API,
    cause: str = "",
    category: IncidentCategory | None = None,
    commander: User | None = None,
    commander_person: OutsidePerson | None = None,
    flag: MajorIncidentFlag | None = None,
    **fields: Any,
) -> MajorIncident:
    """Declare a major incident, in one transaction: its primary incident (the first of `incidents`, or a new
    one from the report), the other incidents linked, the commander (the one given, else whoever is on call
    in the configured schedule), the action plan template's tasks, paging through the engine (the configured
    escalation policy; SLA clocks and reporting rules for major incidents), the communication plan's first
    notices (`major_incident.declared`) and the update cadence."""
    require(by, "incidents.add_majorincident", _("You may not declare major incidents."))
    unknown = set(fields) - {*EDITABLE_FIELDS, "still_ongoing", "reporter_contact"}
    if unknown:
        raise InvalidInput(_("These fields cannot be set: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if not title.strip():
        raise InvalidInput(
            _("A major incident needs a title."), fields={"title": [_("This field may not be blank.")]}
        )
    if severity not in Severity.values:
        raise InvalidInput(_("Unknown severity."), fields={"severity": [_("One of 1, 2, 3.")]})
    config = MajorIncidentConfiguration.load()
    now = timezone.now()
    with transaction.atomic():
        gathered = list(
            Incident.objects.select_for_update().filter(pk__in=[i.pk for i in incidents or []]).order_by("pk")
        )
        # The order given: the first is the primary incident.
        order = {incident.pk: index for index, incident in enumerate(incidents or [])}
        gathered.sort(key=lambda incident: order[incident.pk])
        if not gathered:
            impact, urgency = SEVERITY_IMPACT_URGENCY[Severity(severity)]
            report = incident_create(
                by=by if by is not None and by.has_perm("incidents.add_incident") else None,
                title=title,
                description=summary,
                impact=impact,
                urgency=urgency,
                source=VIA_SOURCE.get(via, Source.API),
                service=services[0] if services else None,
                category=category,
            )
            gathered = [Incident.objects.select_for_update().get(pk=report.pk)]
        major_incident = MajorIncident.objects.create(
            title=title,
            summary=summary,
            severity=severity,
            cause=cause or MajorIncident._meta.get_field("cause").default,
            category=category or gathered[0].category,
            primary_incident=gathered[0],
            declared_by=by,
            declared_via=via,
            flag=flag,
            declared_at=now,
            detected_at=fields.pop("detected_at", None) or gathered[0].reported_at,
            **{k: v for k, v in fields.items() if k != "services"},
        )
        chosen = services or [i.service for i in gathered if i.service is not None]
        major_incident.services.set({s.pk for s in chosen if s is not None})
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.DECLARED,
            by=by,
            at=now,
            to_state=major_incident.state,
            note=summary,
            data={"via": via, "severity": severity, "flag": flag.pk if flag else None},
        )
        for index, incident in enumerate(gathered):
            _link(major_incident, incident, by=by, at=now, primary=index == 0)
        on_call = None if commander or commander_person else _commander_on_call(config, now)
        commander = commander or on_call
        if commander is not None or commander_person is not None:
            role_assign_locked(
                major_incident,
                role=CommandRole.COMMANDER,
                user=commander,
                person=commander_person,
                by=by,
                at=now,
                note=_("On call when the major incident was declared.") if on_call else "",
            )
        template = template_for(major_incident)
        if template is not None:
            template_instantiate(major_incident, template=template, by=by, at=now)
        engine.subject_engage(subject=major_incident, at=now, policy=config.escalation_policy)
        event_emit(
            subject=major_incident,
            event=MajorIncidentEvent.DECLARED,
            at=now,
            by=by,
            data={"severity": severity, "via": via, "incidents": [i.pk for i in gathered]},
        )
        cadence_schedule(major_incident, audiences=list(Audience.values), since=now)
    return major_incident


def major_incident_declare_from_flag(*, flag: MajorIncidentFlag, by: User | None) -> MajorIncident:
    """A possible major incident confirmed: declared with the flag's incident as the primary one and, for a
    ticket spike, the service's other new incidents of the window linked. The caller holds the flag's lock."""
    primary = flag.incident
    if primary is None:
        raise Conflict(_("The flag's incident is gone: declare the major incident from the form or the API."))
    incidents = [primary]
    if flag.kind == MajorIncidentFlag.Kind.SPIKE and flag.service_id is not None:
        since = flag.raised_at - timedelta(minutes=flag.window_minutes)
        incidents += list(
            Incident.objects.filter(
                service_id=flag.service_id,
                reported_at__gte=since,
                reported_at__lte=flag.updated_at,
                major_incident_link__isnull=True,
                state__in=["new", "acknowledged", "in_progress", "on_hold"],
            )
            .exclude(pk=primary.pk)
            .order_by("reported_at")
        )
    return major_incident_declare(
        by=by,
        title=primary.title,
        summary=_("Declared from a possible major incident: %(kind)s, %(count)d in %(window)d minutes.")
        % {"kind": flag.get_kind_display(), "count": flag.count, "window": flag.window_minutes},
        severity=Severity.SEV1 if primary.priority == 1 else Severity.SEV2,
        incidents=incidents,
        via=DeclaredVia.FLAG,
        flag=flag,
        services=[flag.service] if flag.service is not None else None,
    )


def major_incident_join(
    *,
    major_incident_id: int,
    by: User,
    title: str,
    description: str = "",
    service: Service | None = None,
    contact: str = "",
) -> Incident:
    """A second report of an ongoing outage joins the open major incident instead of opening another: the
    report becomes a linked incident (acknowledged, since the team handles it), the log says who reported it
    again and how to reach them, and `major_incident.reported_again` tells the plan's audiences."""
    require(by, "incidents.add_majorincident", _("You may not declare major incidents."))
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        if not major_incident.is_active:
            raise Conflict(
                _("%(ref)s is no longer active: declare a new major incident.")
                % {"ref": major_incident.reference},
                state=major_incident.state,
            )
        impact, urgency = SEVERITY_IMPACT_URGENCY[Severity(major_incident.severity)]
        report = incident_create(
            by=by if by.has_perm("incidents.add_incident") else None,
            title=title,
            description=description,
            impact=impact,
            urgency=urgency,
            source=Source.FORM,
            service=service,
            parent=major_incident.primary_incident,
        )
        if report.reporter_id is None:
            Incident.objects.filter(pk=report.pk).update(reporter=by)
        report = Incident.objects.select_for_update().get(pk=report.pk)
        now = timezone.now()
        _link(major_incident, report, by=by, at=now, primary=False)
        if service is not None:
            major_incident.services.add(service)
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.NOTE,
            by=by,
            at=now,
            note=_("Reported again by %(who)s (%(contact)s): %(title)s")
            % {"who": by.get_username(), "contact": contact or "-", "title": title},
            data={"incident": report.pk, "contact": contact},
        )
        event_emit(
            subject=major_incident,
            event=MajorIncidentEvent.REPORTED_AGAIN,
            at=now,
            by=by,
            data={"incident": report.pk, "title": title},
        )
    report.refresh_from_db()
    return report


def major_incident_link(*, major_incident_id: int, incident_id: int, by: User | None) -> MajorIncidentLink:
    require(by, "incidents.change_majorincident", _("You may not change major incidents."))
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None:
            raise InvalidInput(_("No such incident."), fields={"incident": [_("Unknown incident.")]})
        return _link(major_incident, incident, by=by, at=timezone.now(), primary=False)


def major_incident_unlink(*, major_incident_id: int, incident_id: int, by: User | None) -> None:
    require(by, "incidents.change_majorincident", _("You may not change major incidents."))
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        link = MajorIncidentLink.objects.filter(
            major_incident=major_incident, incident_id=incident_id
        ).first()
        if link is None:
            raise NotFound(_("That incident is not linked."))
        if link.is_primary:
            raise Conflict(_("The primary incident stays linked."))
        link.delete()
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.LINK,
            by=by,
            note=_("Incident %(id)s unlinked.") % {"id": incident_id},
            data={"incident": incident_id, "unlinked": True},
        )


def major_incident_acknowledge(
    *, major_incident_id: int, by: User | None, strict: bool = False
) -> MajorIncident:
    """The page is answered: paging stops and the acknowledge clock is met. Acknowledging again does nothing,
    unless `strict` (the link in a page: someone answered already, or it ended), which answers 409."""
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        require(by, "incidents.transition_majorincident", _("You may not acknowledge major incidents."))
        if strict and (major_incident.acknowledged_at is not None or not major_incident.is_active):
            raise Conflict(
                _("%(ref)s was acknowledged already or has ended (%(state)s).")
                % {"ref": major_incident.reference, "state": major_incident.get_state_display()},
                state=major_incident.state,
            )
        if major_incident.acknowledged_at is None:
            _acknowledge(major_incident, by=by, at=timezone.now())
    return major_incident


def _acknowledge(major_incident: MajorIncident, *, by: User | None, at: datetime) -> None:
    major_incident.acknowledged_at = at
    MajorIncident.objects.filter(pk=major_incident.pk).update(acknowledged_at=at)
    engine.subject_acknowledge(subject=major_incident, by=by, at=at)
    log(major_incident, kind=MajorIncidentLogEntry.Kind.ACKNOWLEDGED, by=by, at=at)
    event_emit(subject=major_incident, event=MajorIncidentEvent.ACKNOWLEDGED, at=at, by=by)


def major_incident_update(
    *, major_incident_id: int, by: User | None, changes: dict[str, Any]
) -> MajorIncident:
    """Change editable fields; a new severity or category moves the engine's clocks and the update cadence."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        require(by, "incidents.change_majorincident", _("You may not change major incidents."))
        diff = fields_apply(major_incident, changes)
        if not diff:
            return major_incident
        major_incident.save()
        now = timezone.now()
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.CHANGE,
            by=by,
            at=now,
            data={"changes": {k: [str(v) for v in pair] for k, pair in diff.items()}},
        )
        if {"severity", "category", "services"} & set(diff) and major_incident.is_active:
            engine.subject_reprioritise(subject=major_incident, at=now)
        if "severity" in diff and major_incident.is_active:
            cadence_schedule(major_incident, audiences=list(Audience.values), since=now)
    return major_incident


def allowed_transitions(major_incident: MajorIncident) -> list[str]:
    """Transitions possible from the current state (conditions on the row included), in lifecycle order."""
    available = {t.name for t in major_incident.get_available_state_transitions()}  # type: ignore[attr-defined]  # django-fsm's mixin, untyped
    return [name for name in MajorIncident.TRANSITIONS if name in available]


TRANSITION_EVENTS = {
    "investigate": MajorIncidentEvent.INVESTIGATING,
    "identify": MajorIncidentEvent.IDENTIFIED,
    "mitigate": MajorIncidentEvent.MITIGATED,
    "resolve": MajorIncidentEvent.RESOLVED,
    "reopen": MajorIncidentEvent.REOPENED,
    "review": MajorIncidentEvent.REVIEWED,
    "close": MajorIncidentEvent.CLOSED,
    "cancel": MajorIncidentEvent.CANCELLED,
}


def major_incident_transition(
    *,
    major_incident_id: int,
    name: str,
    by: User | None,
    note: str = "",
    no_problem_reason: str = "",
    resolution_summary: str = "",
    reason: str = "",
) -> MajorIncident:
    """Move a major incident through its lifecycle: the one path the API, the admin and other apps take.

    409 `transition_not_allowed` (with `state` and `allowed`) from a state the transition does not leave;
    403 without the permission; 409 `condition_not_met` when what it needs is missing: a commander to leave
    `declared`, a linked problem record or `no_problem_reason` to resolve, a `reason` to cancel."""
    if name not in MajorIncident.TRANSITIONS:
        raise NotFound(_("There is no transition named %(name)s.") % {"name": name})
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        method = getattr(major_incident, name)
        if not can_proceed(method, check_conditions=False):
            raise TransitionNotAllowed(
                _("A major incident in state %(state)s cannot %(name)s.")
                % {"state": major_incident.get_state_display(), "name": name},
                state=major_incident.state,
                allowed=allowed_transitions(major_incident),
            )
        # Every transition needs the same permission; django-fsm's has_transition_perm would also check the
        # conditions, and answer 403 where the commander is missing (409 below says why).
        if by is not None and not by.has_perm(TRANSITION_PERMISSION):
            raise PermissionDenied(_("You may not %(name)s major incidents.") % {"name": name})
        _check_conditions(major_incident, name=name, no_problem_reason=no_problem_reason, reason=reason)
        at = timezone.now()
        from_state = major_incident.state
        was_acknowledged = major_incident.acknowledged_at is not None
        method(at=at)
        if name == "resolve":
            major_incident.no_problem_reason = no_problem_reason or major_incident.no_problem_reason
            major_incident.resolution_summary = resolution_summary or major_incident.resolution_summary
        if name == "cancel":
            major_incident.cancel_reason = reason
        major_incident.save()
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.TRANSITION,
            by=by,
            at=at,
            from_state=from_state,
            to_state=major_incident.state,
            transition=name,
            note=note or reason or resolution_summary,
        )
        if name == "investigate" and not was_acknowledged:
            engine.subject_acknowledge(subject=major_incident, by=by, at=at)
        _after_transition(major_incident, name=name, by=by, at=at)
    return major_incident


def _check_conditions(
    major_incident: MajorIncident, *, name: str, no_problem_reason: str, reason: str
) -> None:
    allowed = allowed_transitions(major_incident)
    if name == "investigate" and not major_incident.has_commander():
        raise ConditionNotMet(
            _("A major incident cannot leave declared without a commander: assign one first."),
            state=major_incident.state,
            allowed=allowed,
            fields={"commander": [_("Assign a commander first.")]},
        )
    if name == "resolve":
        blockers = resolve_blockers(major_incident, no_problem_reason=no_problem_reason)
        if blockers:
            raise ConditionNotMet(
                _(
                    "Resolving needs a linked problem record for the root cause, or a reason why none is needed."
                ),
                state=major_incident.state,
                allowed=allowed,
                fields=blockers,
            )
    if name == "cancel" and not reason.strip():
        raise ConditionNotMet(
            _("Say why the major incident is cancelled."),
            state=major_incident.state,
            allowed=allowed,
            fields={"reason": [_("This field is required to cancel.")]},
        )


def _after_transition(major_incident: MajorIncident, *, name: str, by: User | None, at: datetime) -> None:
    """The engine's side of a transition and its event, in the transition's transaction (row locked)."""
    data: dict[str, Any] = {"state": major_incident.state}
    if name in ("resolve", "cancel"):
        engine.subject_finish(subject=major_incident, at=at, cancelled=name == "cancel")
        cadence_stop(major_incident)
    if name == "resolve":
        _resolve_linked(major_incident, at=at)
        # Everything a post-incident review needs: the milestones, the command, the incidents (postmortems
        # listens for this event).
        data.update(review_data(major_incident))
    if name == "reopen":
        engine.subject_reopen(subject=major_incident, at=at)
        cadence_schedule(major_incident, audiences=list(Audience.values), since=at)
    event_emit(subject=major_incident, event=TRANSITION_EVENTS[name], at=at, by=by, data=data)


def _resolve_linked(major_incident: MajorIncident, *, at: datetime) -> None:
    """Incidents gathered under a resolved major incident resolve with it (still open ones only)."""
    notes = _("Resolved with major incident %(ref)s. %(summary)s") % {
        "ref": major_incident.reference,
        "summary": major_incident.resolution_summary,
    }
    open_ids = Incident.objects.filter(
        major_incident_link__major_incident=major_incident,
        state__in=["new", "acknowledged", "in_progress", "on_hold"],
    ).values_list("pk", flat=True)
    for incident_id in list(open_ids):
        incident_transition(
            incident_id=incident_id,
            name="resolve",
            by=None,
            note=notes.strip(),
            resolution_code="fixed",
            resolution_notes=notes.strip(),
        )


def incidents_declare(
    *, incident_ids: list[int], by: User | None, title: str = "", severity: int | None = None
) -> MajorIncident:
    """The admin's action on one or more incidents: the highest-priority (then oldest) one is the primary."""
    incidents = list(Incident.objects.filter(pk__in=incident_ids).order_by("priority", "reported_at", "pk"))
    if not incidents:
        raise InvalidInput(_("Choose at least one incident."), fields={"incidents": [_("Choose incidents.")]})
    primary = incidents[0]
    return major_incident_declare(
        by=by,
        title=title or primary.title,
        summary=primary.description,
        severity=severity or (Severity.SEV1 if primary.priority == 1 else Severity.SEV2),
        incidents=incidents,
        via=DeclaredVia.ADMIN,
    )


__all__ = [
    "EDITABLE_FIELDS",
    "MajorIncidentState",
    "allowed_transitions",
    "incidents_declare",
    "major_incident_acknowledge",
    "major_incident_declare",
    "major_incident_declare_from_flag",
    "major_incident_join",
    "major_incident_link",
    "major_incident_transition",
    "major_incident_unlink",
    "major_incident_update",
]
