"""Alerts into incidents: store every alert, then open, join, reopen, fold or resolve the incident of its group.

`alerts_ingest` is the one entry point and owns the transaction: the request body, the alerts, the group, the
incident and its timeline are written together, before the sender gets its answer.

Locks, always in this order so two ingestions cannot deadlock: the integration row (`FOR NO KEY UPDATE`, only
on the way to a new group of an integration with storm folding), the alert group row (`FOR UPDATE`), then the
incident row (`incidents.services` locks it again, harmlessly, inside the same transaction). A person's
transition locks only the incident. Storm groups are never locked after an incident."""

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import TransitionNotAllowed

from ..models import (
    Alert,
    AlertGroup,
    AlertPayload,
    AlertStatus,
    Incident,
    IncidentState,
    Integration,
    MajorIncidentFlag,
    ResolutionCode,
    Service,
    Silence,
    Source,
    TimelineEvent,
)
from ..models.incident import OPEN_STATES, incident_reference
from ..services import incident_create, incident_transition
from .opening import STORM_WINDOW, alerts_open, created_data, incident_fields, opened_note
from .payloads import Action, AlertBatch, AlertEvent, clean_text, labels_text
from .repeat import alerts_repeat, pure_firing, rows_params, state_start
from .spikes import flag_raise

STORM_KEY = "vigil:storm"

ALERT_STATUS = {
    Action.FIRING: AlertStatus.FIRING,
    Action.RESOLVED: AlertStatus.RESOLVED,
    Action.ACKNOWLEDGED: AlertStatus.ACKNOWLEDGED,
}


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


def _db_time(value: datetime) -> object:
    """A datetime as the database stores it (SQLite keeps naive UTC text), for the raw queries below."""
    return connection.ops.adapt_datetimefield_value(value)


def _open_group(integration: Integration, dedup_key: str) -> AlertGroup | None:
    """The open group for the key, locked (not its incident), with its incident's state as `incident_state`.

    Raw SQL: it runs up to three times per new alert, and compiling the ORM query (select_related, FOR
    UPDATE OF) cost four times as much as running it."""
    lock = " FOR UPDATE OF g" if connection.features.has_select_for_update_of else ""
    found = AlertGroup.objects.raw(
        f"SELECT g.*, i.state AS incident_state FROM {AlertGroup._meta.db_table} g "  # noqa: S608
        f"LEFT JOIN {Incident._meta.db_table} i ON i.id = g.incident_id "
        f"WHERE g.integration_id = %s AND g.dedup_key = %s AND g.is_open{lock}",
        [integration.pk, dedup_key],
    )
    return next(iter(found), None)


def _incident_of(group: AlertGroup) -> Incident | None:
    """The group's incident: the one this request set, else a light copy (id and state) of the one it read,
    so that no query is spent loading a row nobody changes here."""
    if AlertGroup.incident.is_cached(group):
        return group.incident
    if group.incident_id is None:
        return None
    return Incident(pk=group.incident_id, state=group.incident_state)  # type: ignore[attr-defined]


def _is_over(group: AlertGroup) -> bool:
    """Whether a person resolved, closed or cancelled the group's incident: then the group is over too."""
    incident = _incident_of(group)
    return incident is not None and incident.state not in OPEN_STATES


def _claim_group(
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
    group = _open_group(integration, dedup_key)
    if group is None:  # pragma: no cover - only if the winner's transaction closed it already
        group = created[0]
        group.save()
    return group, group.incident_id is None


def _close_group(group: AlertGroup, now: datetime) -> None:
    group.is_open = False
    group.closed_at = now


def _timeline(incident_id: int, note: str, now: datetime, **data: object) -> None:
    TimelineEvent.objects.create(
        incident_id=incident_id, kind=TimelineEvent.Kind.ALERT, created_at=now, note=note, data=data
    )


def _service_for(batch: AlertBatch, integration: Integration) -> Service | None:
    """The service the alert names, when it is a known one; else the integration's."""
    if batch.service_name:
        named = Service.objects.filter(name__iexact=batch.service_name).first()
        if named is not None:
            return named
    return integration.service


def _silence_for(
    integration: Integration, service: Service | None, firing: list[AlertEvent], now: datetime
) -> Silence | None:
    """The active silence that covers every firing alert of the batch, if one does. A batch only partly
    covered opens its incident with all its alerts: a silence must never hide an alert it was not meant for."""
    silences = list(
        Silence.objects.raw(
            f"SELECT * FROM {Silence._meta.db_table} WHERE starts_at <= %s AND ends_at > %s",  # noqa: S608
            [_db_time(now), _db_time(now)],
        )
    )
    if not silences:
        return None
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
    if last is None:
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


def _storm_lock(integration: Integration) -> None:
    """Serialises the new groups of an integration with storm folding, from before the group is claimed to the
    commit, so that every storm count sees all the groups opened before it. Unserialised, a burst whose
    transactions all counted before any of them committed saw only its own group each: it opened one incident
    per alert and never folded. `NO KEY UPDATE`, not `UPDATE`: rows whose foreign key constraint points at the
    integration (a silence) take a KEY SHARE lock on it, which `FOR UPDATE` would wait
    on. The ingestion's own rows have no such constraint, so that concurrent requests never lock it."""
    if not integration.storm_rate_per_minute:
        return
    no_key = connection.features.has_select_for_no_key_update
    list(Integration.objects.select_for_update(no_key=no_key).filter(pk=integration.pk).values_list("pk"))


def _in_storm(integration: Integration, now: datetime) -> int:
    """The number of groups the integration opened in the last minute when that is above its storm rate
    (this transaction's own new group included), else 0. Exact: the caller holds `_storm_lock`. The count
    stops at rate + 1, so that it costs the same however many groups a storm opens."""
    if not integration.storm_rate_per_minute:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {AlertGroup._meta.db_table} "  # noqa: S608
            "WHERE integration_id = %s AND NOT is_storm AND opened_at > %s LIMIT %s) AS recent",
            [integration.pk, _db_time(now - STORM_WINDOW), integration.storm_rate_per_minute + 1],
        )
        opened = cursor.fetchone()[0]
    return opened if opened > integration.storm_rate_per_minute else 0


def _storm_incident(integration: Integration, count: int, now: datetime) -> Incident:
    """The integration's one open storm incident, opened (and flagged) on the first fold."""
    storm = _open_group(integration, STORM_KEY)
    if storm is not None and _is_over(storm):
        # Someone resolved the storm incident while alerts kept coming: that storm is over, a new one starts.
        _close_group(storm, now)
        storm.save(update_fields=["is_open", "closed_at"])
        storm = None
    if storm is None:
        storm, created = _claim_group(integration, STORM_KEY, source_key="", now=now, is_storm=True)
    else:
        created = False
    if created:
        impact, urgency = integration.impact_urgency_for("critical")
        incident = incident_create(
            by=None,
            title=_("Alert storm from %(name)s") % {"name": integration.name},
            description=_(
                "More than %(rate)d new alerts a minute: further new alerts of this integration are folded "
                "into this incident. Decide whether this is a major incident."
            )
            % {"rate": integration.storm_rate_per_minute},
            impact=impact,
            urgency=urgency,
            source=Source.ALERT,
            **({"service": integration.service} if integration.service else {}),
        )
        storm.incident = incident
        storm.save(update_fields=["incident"])
        flag_raise(
            kind=MajorIncidentFlag.Kind.STORM,
            integration=integration,
            service=integration.service,
            incident=incident,
            count=count,
            window_minutes=1,
            now=now,
        )
    return _incident_of(storm)  # type: ignore[return-value]  # set above, or by the transaction that created it


def _incident_for_new_group(
    integration: Integration, batch: AlertBatch, service: Service | None, now: datetime
) -> Incident:
    """The incident a new group belongs to: reopened, the storm's, or a new one."""
    reopened = _reopen(integration, batch, now)
    if reopened is not None:
        return reopened
    storm_count = _in_storm(integration, now)
    if storm_count:
        incident = _storm_incident(integration, storm_count, now)
        _timeline(
            incident.pk,
            _("Folded into the storm: %(title)s") % {"title": batch.title[:300]},
            now,
            dedup_key=batch.dedup_key,
        )
        return incident
    return incident_create(
        by=None,
        **incident_fields(integration, batch),
        source=Source.ALERT,
        reported_at=now,
        engage_later=True,
        created_note=opened_note(batch, integration),
        created_data=created_data(batch, integration),
        **({"service": service} if service else {}),
    )


def _apply(group: AlertGroup, batch: AlertBatch) -> tuple[list[str], list[str]]:
    """Updates the group's fingerprints: (fingerprints now firing that were not, fingerprints resolved)."""
    fingerprints = dict(group.fingerprints)
    started: list[str] = []
    resolved: list[str] = []
    for event in batch.events:
        state = fingerprints.get(event.fingerprint)
        starts = state_start(batch, event)
        if event.action == Action.FIRING:
            if state and not state["firing"] and starts and state.get("starts_at") == starts:
                # A late retry of a message sent before the resolve: the same firing, already over.
                continue
            if not state or not state["firing"]:
                started.append(event.fingerprint)
            fingerprints[event.fingerprint] = {"firing": True, "starts_at": starts}
        elif event.action == Action.RESOLVED:
            if state and state["firing"]:
                resolved.append(event.fingerprint)
            fingerprints[event.fingerprint] = {
                "firing": False,
                "starts_at": starts or (state or {}).get("starts_at"),
            }
    if batch.all_resolved:
        for fingerprint, state in fingerprints.items():
            if state["firing"]:
                resolved.append(fingerprint)
                fingerprints[fingerprint] = {**state, "firing": False}
    group.fingerprints = fingerprints
    return started, resolved


def _resolve_if_recovered(group: AlertGroup, integration: Integration, now: datetime) -> None:
    """Resolves the group's incident when no other open group feeds it. The incident row is locked first, so
    two groups of one storm closing at once serialise here and the second sees the first one closed."""
    incident = Incident.objects.select_for_update().filter(pk=group.incident_id).first()
    if incident is None or incident.state not in OPEN_STATES:
        return
    others = (
        AlertGroup.objects.filter(incident_id=incident.pk, is_open=True, is_storm=False)
        .exclude(pk=group.pk)
        .exists()
    )
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
    incident = _incident_of(group)
    if incident is None or incident.state != IncidentState.NEW:
        return
    with contextlib.suppress(TransitionNotAllowed):
        incident_transition(
            incident_id=group.incident_id,
            name="acknowledge",
            by=None,
            note=_("Acknowledged from %(name)s.") % {"name": integration.name},
        )


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
    now = now or timezone.now()
    user_agent = clean_text(user_agent)[:255]
    if pure_firing(batch):
        quick = _one_statement(integration, batch, raw_body, remote_addr, user_agent, now)
        if quick is not None:
            return quick
    with transaction.atomic():
        payload = AlertPayload.objects.create(
            integration=integration,
            format=batch.format,
            received_at=now,
            raw_body=raw_body,
            remote_addr=remote_addr,
            user_agent=user_agent,
        )
        result = IngestResult(payload_id=payload.pk, dedup_key=batch.dedup_key)
        firing = batch.firing
        group = _open_group(integration, batch.dedup_key)
        if group is not None and _is_over(group):
            # A person resolved, closed or cancelled the incident while the source kept alerting: that group
            # is over. A new firing starts a new incident, as PagerDuty does after a resolve.
            _close_group(group, now)
            group.save(update_fields=["is_open", "closed_at"])
            group = None
        silence = None
        created = False
        if group is None and firing:
            service = _service_for(batch, integration)
            silence = _silence_for(integration, service, firing, now)
            if silence is None:
                _storm_lock(integration)
                group, created = _claim_group(
                    integration, batch.dedup_key, source_key=batch.source_key, now=now
                )
                if created:
                    group.incident = _incident_for_new_group(integration, batch, service, now)
        incident = _incident_of(group) if group is not None else None
        alerts = Alert.objects.bulk_create(
            [
                Alert(
                    integration=integration,
                    payload=payload,
                    group=group,
                    incident=incident,
                    silence=silence,
                    dedup_key=batch.dedup_key,
                    fingerprint=event.fingerprint,
                    status=ALERT_STATUS[event.action],
                    severity=event.severity[:32],
                    summary=event.summary,
                    labels=event.labels,
                    labels_text=labels_text(event.labels),
                    annotations=event.annotations,
                    details=event.details,
                    starts_at=event.starts_at,
                    ends_at=event.ends_at,
                    received_at=now,
                )
                for event in batch.events
            ]
        )
        result.alert_ids = [alert.pk for alert in alerts if alert.pk]
        result.silenced = silence is not None
        result.incident = IncidentRef(incident.pk, incident.state) if incident is not None else None
        if group is not None:
            _group_update(group, batch, integration, created=created, now=now)
    return result


def _one_statement(
    integration: Integration,
    batch: AlertBatch,
    raw_body: str,
    remote_addr: str | None,
    user_agent: str,
    now: datetime,
) -> IngestResult | None:
    """The hot paths (PostgreSQL, every alert firing): a repeat on an open group, else a new group opening its
    incident. One statement does either when the integration has neither storm folding nor a reopen window;
    otherwise the repeat is tried alone, then the opening under the storm lock (no opening with a reopen
    window: the general path decides). None when nothing applies and nothing was written."""
    rows = rows_params(
        integration=integration,
        batch=batch,
        raw_body=raw_body,
        remote_addr=remote_addr,
        user_agent=user_agent,
        now=now,
    )
    if not integration.storm_rate_per_minute and not integration.reopen_window_minutes:
        written = alerts_open(integration=integration, batch=batch, now=now, rows=rows, repeat=True)
    else:
        written = alerts_repeat(batch=batch, rows=rows)
        if written is None and not integration.reopen_window_minutes:
            with transaction.atomic() if integration.storm_rate_per_minute else contextlib.nullcontext():
                _storm_lock(integration)
                written = alerts_open(integration=integration, batch=batch, now=now, rows=rows, repeat=False)
    if written is None:
        return None
    return IngestResult(
        payload_id=written.payload_id,
        dedup_key=batch.dedup_key,
        # No state: the statement opened the incident, so it is new.
        incident=IncidentRef(written.incident_id, written.incident_state or IncidentState.NEW),
        alert_ids=written.alert_ids,
    )


def _group_update(
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
    started, resolved = _apply(group, batch)
    group.alert_count += len(batch.events)
    group.last_alert_at = now
    incident_id = group.incident_id
    if incident_id is not None and not created:
        if started:
            _timeline(
                incident_id,
                _("Firing again or newly firing: %(list)s") % {"list": ", ".join(started[:20])},
                now,
                fingerprints=started,
            )
        if resolved and group.firing_fingerprints:
            _timeline(
                incident_id,
                _("Resolved at the source: %(list)s; still firing: %(count)d.")
                % {"list": ", ".join(resolved[:20]), "count": len(group.firing_fingerprints)},
                now,
                fingerprints=resolved,
            )
    if not group.firing_fingerprints:
        _close_group(group, now)
    group.save(
        update_fields=["fingerprints", "alert_count", "last_alert_at", "incident", "is_open", "closed_at"]
    )
    if not group.is_open:
        _resolve_if_recovered(group, integration, now)
    elif any(event.action == Action.ACKNOWLEDGED for event in batch.events):
        _acknowledge(group, integration)
