"""Possible major incidents: alert storms and ticket-volume spikes raise a flag and tell the on-call commander.

The seed material asks to catch the pattern where many tickets about one service arrive at once: more than
`VIGIL_SPIKE_INCIDENTS` new incidents for one service within `VIGIL_SPIKE_WINDOW_MINUTES` minutes."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.events import event_emit
from escalation.notify import page_users
from escalation.oncall import team_oncall
from escalation.subjects import subject_describe

from .events import IncidentEvent
from .models import Incident, Integration, MajorIncidentFlag, Service, TimelineEvent


def spike_notify(*, flag: MajorIncidentFlag, now: datetime) -> None:
    """Tells the on-call commander that a major incident may be under way: pages the people on call for the
    service's owning team (else the incident's team) and emits `incident.possible_major` to webhook
    subscribers and the communication plan. Runs in the transaction that raised the flag, so the outbox rows
    commit exactly with it, and their idempotency key is the flag's."""
    incident = flag.incident
    if incident is None:
        return
    service = flag.service or incident.service
    team = (service.owning_team if service is not None else None) or incident.team
    info = subject_describe(incident)
    data = {"flag": flag.pk, "kind": flag.kind, "count": flag.count, "window_minutes": flag.window_minutes}
    if team is not None:
        page_users(
            subject=incident,
            info=info,
            users=team_oncall(team=team, at=now),
            reason=IncidentEvent.POSSIBLE_MAJOR,
            key=f"major-flag:{flag.pk}",
            template="possible_major",
            context={"flag": flag.kind, "count": flag.count, "data": data},
            at=now,
        )
    event_emit(subject=incident, event=IncidentEvent.POSSIBLE_MAJOR, at=now, data=data, info=info)


def flag_raise(
    *,
    kind: str,
    integration: Integration | None,
    service: Service | None,
    incident: Incident,
    count: int,
    window_minutes: int,
    now: datetime,
) -> tuple[MajorIncidentFlag, bool]:
    """The pending flag for this signal, raised or brought up to date: (flag, whether newly raised).

    One pending flag per storm integration or spike service (partial unique constraints); a newly raised one
    writes a timeline event on the incident and notifies the commander."""
    scope = {"integration": integration} if kind == MajorIncidentFlag.Kind.STORM else {"service": service}
    pending = MajorIncidentFlag.objects.select_for_update().filter(
        kind=kind, state=MajorIncidentFlag.State.PENDING, **scope
    )
    flag = pending.first()
    if flag is None:
        try:
            with transaction.atomic():
                flag = MajorIncidentFlag.objects.create(
                    kind=kind,
                    integration=integration,
                    service=service,
                    incident=incident,
                    count=count,
                    window_minutes=window_minutes,
                    raised_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            flag = pending.first()
        else:
            note = (
                _("Possible major incident: alert storm, %(count)d new alert groups in a minute.")
                if kind == MajorIncidentFlag.Kind.STORM
                else _(
                    "Possible major incident: %(count)d new incidents for this service in %(window)d minutes."
                )
            ) % {"count": count, "window": window_minutes}
            TimelineEvent.objects.create(
                incident=incident,
                kind=TimelineEvent.Kind.ALERT,
                created_at=now,
                note=note,
                data={"major_incident_flag": flag.pk, "kind": kind, "count": count},
            )
            spike_notify(flag=flag, now=now)
            return flag, True
    if flag is None:  # pragma: no cover - the concurrent flag was decided between two statements
        return MajorIncidentFlag(kind=kind, count=count), False
    if count > flag.count:
        flag.count = count
        flag.updated_at = now
        flag.save(update_fields=["count", "updated_at"])
    return flag, False


def spike_check(*, incident: Incident, now: datetime) -> MajorIncidentFlag | None:
    """After a new incident: raises (or updates) the service's spike flag when its new incidents exceed the
    threshold within the window. Counts every new incident of the service, whatever its source."""
    if incident.service_id is None:
        return None
    threshold = settings.VIGIL_SPIKE_INCIDENTS
    window = settings.VIGIL_SPIKE_WINDOW_MINUTES
    count = Incident.objects.filter(
        service_id=incident.service_id, reported_at__gt=now - timedelta(minutes=window)
    ).count()
    if count <= threshold:
        return None
    flag, _raised = flag_raise(
        kind=MajorIncidentFlag.Kind.SPIKE,
        integration=None,
        service=incident.service,
        incident=incident,
        count=count,
        window_minutes=window,
        now=now,
    )
    return flag


def flag_decide(*, flag_id: int, state: str, by: Any) -> MajorIncidentFlag:
    """Record the commander's decision on a possible major incident (declared or dismissed), who took it and
    when, with a line on the incident's timeline. Deciding again with the same state changes nothing.
    Declaring declares the major incident, in the same transaction (incidents.major.services)."""
    with transaction.atomic():
        flag = MajorIncidentFlag.objects.select_for_update().get(pk=flag_id)
        if flag.state == state:
            return flag
        flag.state = state
        flag.decided_at = timezone.now()
        flag.decided_by = by
        flag.save(update_fields=["state", "decided_at", "decided_by"])
        if flag.incident_id is not None:
            TimelineEvent.objects.create(
                incident_id=flag.incident_id,
                kind=TimelineEvent.Kind.ALERT,
                actor=by,
                created_at=flag.decided_at,
                note=_("Possible major incident: %(decision)s.") % {"decision": flag.get_state_display()},
                data={"major_incident_flag": flag.pk, "state": state},
            )
        if state == MajorIncidentFlag.State.DECLARED:
            # Imported here: the major-incident services build on incidents.services, which imports this module.
            from .major.services import major_incident_declare_from_flag

            major_incident_declare_from_flag(flag=flag, by=by)
    return flag
