"""Alerts into incidents: store every alert, then open, join, reopen, fold or resolve the incident of its group.

`alerts_ingest` is the one entry point and owns the transaction: the request body, the alerts, the group, the
incident and its timeline are written together, before the sender gets its answer. It tries the hot path
first (one_statement.py: one SQL statement on PostgreSQL when every alert fires), then takes the general path
here, through the ORM: groups (groups.py) and storms (storms.py) have their own modules, and every rule both
paths follow is stated once (rules.py). Locks and their order: groups.py."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import TransitionNotAllowed

from ..models import (
    Alert,
    AlertGroup,
    AlertPayload,
    Incident,
    IncidentState,
    Integration,
    Service,
    Silence,
)
from ..models.incident import incident_reference
from ..services import incident_create, incident_transition
from .groups import group_claim, group_close, group_incident, group_is_over, group_open, group_update
from .one_statement import alerts_one_statement
from .payloads import AlertBatch, AlertEvent
from .rules import (
    Received,
    active_silences,
    alert_fields,
    alerts_shared,
    created_data,
    incident_fields,
    incident_service,
    opened_note,
    payload_fields,
)
from .storms import storm_count, storm_fold, storm_lock


@dataclass(frozen=True)
class IncidentRef:
    """The incident a request touched, as its answer shows it: no model instance to build on the hot path."""

    pk: int
    state: str

    @property
    def reference(self) -> str:
        return incident_reference(self.pk)


@dataclass
class IngestResult:
    """What one request did: the incident it touched (if any), and whether a silence held it back."""

    payload_id: int
    dedup_key: str
    incident: IncidentRef | None = None
    silenced: bool = False
    alert_ids: list[int] = field(default_factory=list)


def alerts_ingest(
    *,
    integration: Integration,
    batch: AlertBatch,
    raw_body: str,
    remote_addr: str | None = None,
    user_agent: str = "",
    now: datetime | None = None,
) -> IngestResult:
    """Stores the batch and applies it to the incident of its dedup key, in one transaction."""
    received = Received(integration, batch, raw_body, remote_addr, user_agent, now or timezone.now())
    written = alerts_one_statement(received)
    if written is not None:
        return IngestResult(
            payload_id=written.payload_id,
            dedup_key=batch.dedup_key,
            # No state: the statement opened the incident, so it is new.
            incident=IncidentRef(written.incident_id, written.incident_state or IncidentState.NEW),
            alert_ids=written.alert_ids,
        )
    with transaction.atomic():
        return alerts_ingest_orm(received)


def alerts_ingest_orm(received: Received) -> IngestResult:
    """The general path, through the ORM, in the caller's transaction: every batch on every database. The
    equivalence test runs it beside the hot path."""
    integration, batch, now = received.integration, received.batch, received.now
    payload = AlertPayload.objects.create(**payload_fields(received))
    result = IngestResult(payload_id=payload.pk, dedup_key=batch.dedup_key)
    firing = batch.firing
    group = group_open(integration, batch.dedup_key)
    if group is not None and group_is_over(group):
        # A person resolved, closed or cancelled the incident while the source kept alerting: that group is
        # over. A new firing starts a new incident, as PagerDuty does after a resolve.
        group_close(group, now, save=True)
        group = None
    silence = None
    created = False
    if group is None and firing:
        service = _service_for(batch, integration)
        silence = _silence_for(integration, service, firing, now)
        if silence is None:
            storm_lock(integration)
            storm = storm_count(integration, now)
            group, created = group_claim(integration, batch.dedup_key, source_key=batch.source_key, now=now)
            if created:
                group.incident = _incident_for_new_group(integration, batch, service, storm, now)
    incident = group_incident(group) if group is not None else None
    shared = alerts_shared(received)
    alerts = Alert.objects.bulk_create(
        [
            Alert(
                payload=payload,
                group=group,
                incident=incident,
                silence=silence,
                **shared,
                **alert_fields(event),
            )
            for event in batch.events
        ]
    )
    result.alert_ids = [alert.pk for alert in alerts if alert.pk]
    result.silenced = silence is not None
    result.incident = IncidentRef(incident.pk, incident.state) if incident is not None else None
    if group is not None:
        group_update(group, batch, integration, created=created, now=now)
    return result


def _service_for(batch: AlertBatch, integration: Integration) -> Service | None:
    """The service of a new group's incident (rules.incident_service)."""
    return Service.objects.filter(
        pk=incident_service(batch.service_name or None, integration.service_id)
    ).first()


def _silence_for(
    integration: Integration, service: Service | None, firing: list[AlertEvent], now: datetime
) -> Silence | None:
    """The active silence that covers every firing alert of the batch, if one does. A batch only partly
    covered opens its incident with all its alerts: a silence must never hide an alert it was not meant for."""
    silences = list(active_silences(now))
    service_id = service.pk if service else None
    for silence in silences:
        if all(
            silence.matches(integration_id=integration.pk, service_id=service_id, labels=event.labels)
            for event in firing
        ):
            return silence
    return None


def _reopen(integration: Integration, batch: AlertBatch, now: datetime) -> Incident | None:
    """Within the integration's reopen window, the recently resolved incident of this key, reopened."""
    if not integration.reopen_window_minutes:
        return None
    since = now - timedelta(minutes=integration.reopen_window_minutes)
    last = (
        AlertGroup.objects.filter(
            integration=integration,
            dedup_key=batch.dedup_key,
            is_open=False,
            incident__state=IncidentState.RESOLVED,
            incident__resolved_at__gte=since,
        )
        .order_by("-closed_at", "-id")
        .first()
    )
    if last is None or last.incident_id is None:
        return None
    try:
        return incident_transition(
            incident_id=last.incident_id,
            name="reopen",
            by=None,
            note=_("The alert fired again within the reopen window of %(name)s.")
            % {"name": integration.name},
        )
    except TransitionNotAllowed:
        return None


def _incident_for_new_group(
    integration: Integration, batch: AlertBatch, service: Service | None, storm: int, now: datetime
) -> Incident:
    """The incident a new group belongs to: reopened, the storm's (`storm`: storms.storm_count), or a new one."""
    reopened = _reopen(integration, batch, now)
    if reopened is not None:
        return reopened
    if storm:
        return storm_fold(integration, batch, storm, now)
    named: dict[str, Any] = {"service": service} if service else {}
    return incident_create(
        by=None,
        **incident_fields(integration, batch, now),
        engage_later=True,
        created_note=opened_note(batch, integration),
        created_data=created_data(batch, integration),
        **named,
    )
