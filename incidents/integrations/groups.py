"""Alert groups on the general path: the open group of a key found and locked, claimed, applied a batch to, and
closed, resolving or acknowledging its incident. Every function runs in `ingest.alerts_ingest`'s transaction.

Locks, always in this order so two ingestions cannot deadlock: the integration row (storms.py, only on the way
to a new group of an integration with storm folding), the alert group row (`FOR UPDATE`), then the incident
row (`incidents.services` locks it again, harmlessly, inside the same transaction). A person's transition
locks only the incident. Storm groups are never locked after an incident."""

import contextlib
from datetime import datetime
from functools import cache

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from config.errors import TransitionNotAllowed
from incidents.sql import Param, select_of

from ..models import AlertGroup, Incident, IncidentState, Integration, ResolutionCode, TimelineEvent
from ..models.incident import OPEN_STATES
from ..services import incident_transition
from .payloads import Action, AlertBatch
from .rules import fingerprints_apply, open_group, open_groups


@cache
def _open_group_sql() -> str:
    """The open group of a key, locked (not its incident), with its incident's state as `incident_state`.
    Compiled once (`rules.open_group`): it runs up to three times per new alert, and compiling the query cost
    four times as much as running it."""
    found = open_group(
        Param("integration", AlertGroup._meta.get_field("integration")),
        Param("dedup_key", AlertGroup._meta.get_field("dedup_key")),
    )
    found = found.order_by().annotate(incident_state=F("incident__state"))
    if connection.features.has_select_for_update_of:
        return select_of(found.select_for_update(of=("self",)))
    return select_of(found.select_for_update())


def group_open(integration: Integration, dedup_key: str) -> AlertGroup | None:
    """The open group for the key, locked, with its incident's state as `incident_state`."""
    found = AlertGroup.objects.raw(_open_group_sql(), {"integration": integration.pk, "dedup_key": dedup_key})
    return next(iter(found), None)


def group_incident(group: AlertGroup) -> Incident | None:
    """The group's incident: the one this request set, else a light copy (id and state) of the one it read,
    so that no query is spent loading a row nobody changes here."""
    if AlertGroup.incident.is_cached(group):
        return group.incident
    if group.incident_id is None:
        return None
    return Incident(pk=group.incident_id, state=group.incident_state)  # type: ignore[attr-defined]


def group_is_over(group: AlertGroup) -> bool:
    """Whether a person resolved, closed or cancelled the group's incident: then the group is over too."""
    incident = group_incident(group)
    return incident is not None and incident.state not in OPEN_STATES


def group_claim(
    integration: Integration, dedup_key: str, *, source_key: str, now: datetime, is_storm: bool = False
) -> tuple[AlertGroup, bool]:
    """The open group for the key, created when there is none: (group, whether this call created it).

    `INSERT ... ON CONFLICT DO NOTHING` against the partial unique constraint: a concurrent transaction that
    inserted the same key first makes this one wait for its commit, and the second SELECT then reads that
    group (READ COMMITTED takes a fresh snapshot per statement). Never two open groups, never an error."""
    created = AlertGroup.objects.bulk_create(
        [
            AlertGroup(
                integration=integration,
                dedup_key=dedup_key,
                source_key=source_key,
                is_storm=is_storm,
                opened_at=now,
                last_alert_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    group = group_open(integration, dedup_key)
    if group is None:  # pragma: no cover - only if the winner's transaction closed it already
        group = created[0]
        group.save()
    return group, group.incident_id is None


def group_close(group: AlertGroup, now: datetime, *, save: bool = False) -> None:
    group.is_open = False
    group.closed_at = now
    if save:
        group.save(update_fields=["is_open", "closed_at"])


def alert_line(incident_id: int, note: str, now: datetime, **data: object) -> None:
    """A line of what alerts did on the incident's timeline."""
    TimelineEvent.objects.create(
        incident_id=incident_id, kind=TimelineEvent.Kind.ALERT, created_at=now, note=note, data=data
    )


def group_update(
    group: AlertGroup,
    batch: AlertBatch,
    integration: Integration,
    *,
    created: bool,
    now: datetime,
) -> None:
    """Applies the batch to its (locked) group, writes what changed on the incident's timeline, and closes
    the group (and resolves the incident) when nothing fires any more. A group just created has had its line
    written already: the new incident's "created" line, or the storm's or the reopened incident's own."""
    change = fingerprints_apply(group.fingerprints, batch)
    group.fingerprints = change.states
    group.alert_count += len(batch.events)
    group.last_alert_at = now
    incident_id = group.incident_id
    if incident_id is not None and not created:
        if change.started:
            alert_line(
                incident_id,
                _("Firing again or newly firing: %(list)s") % {"list": ", ".join(change.started[:20])},
                now,
                fingerprints=change.started,
            )
        if change.resolved and group.firing_fingerprints:
            alert_line(
                incident_id,
                _("Resolved at the source: %(list)s; still firing: %(count)d.")
                % {"list": ", ".join(change.resolved[:20]), "count": len(group.firing_fingerprints)},
                now,
                fingerprints=change.resolved,
            )
    if not group.firing_fingerprints:
        group_close(group, now)
    group.save(
        update_fields=["fingerprints", "alert_count", "last_alert_at", "incident", "is_open", "closed_at"]
    )
    if not group.is_open:
        _resolve_if_recovered(group, integration)
    elif any(event.action == Action.ACKNOWLEDGED for event in batch.events):
        _acknowledge(group, integration)


def _resolve_if_recovered(group: AlertGroup, integration: Integration) -> None:
    """Resolves the group's incident when no other open group feeds it. The incident row is locked first, so
    two groups of one storm closing at once serialise here and the second sees the first one closed."""
    if group.incident_id is None:
        return
    incident = Incident.objects.select_for_update().filter(pk=group.incident_id).first()
    if incident is None or incident.state not in OPEN_STATES:
        return
    others = open_groups().filter(incident_id=incident.pk, is_storm=False).exclude(pk=group.pk).exists()
    if others:
        return
    # A person may have resolved it between our read and this call: then there is nothing left to do.
    with contextlib.suppress(TransitionNotAllowed):
        incident_transition(
            incident_id=incident.pk,
            name="resolve",
            by=None,
            note=_("Every alert of %(name)s has resolved at the source.") % {"name": integration.name},
            resolution_code=ResolutionCode.SOURCE_RECOVERED,
        )


def _acknowledge(group: AlertGroup, integration: Integration) -> None:
    incident = group_incident(group)
    if incident is None or incident.state != IncidentState.NEW:
        return
    with contextlib.suppress(TransitionNotAllowed):
        incident_transition(
            incident_id=incident.pk,
            name="acknowledge",
            by=None,
            note=_("Acknowledged from %(name)s.") % {"name": integration.name},
        )
