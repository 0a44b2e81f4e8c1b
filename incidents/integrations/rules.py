"""Ingestion's rules, each stated once for its two paths: the general path through the ORM (`ingest`, `groups`,
`storms`) and the one-statement hot path (`one_statement`), which compiles the query sets and expressions below
into its SQL (incidents/sql.py) and plans its rows from the same fields (statements.py).

Here: which alert group is open (the model's own constraint), which silences are active, which service an
alert names, how a batch changes its group's fingerprint states, when new groups fold into a storm, and the
rows a batch writes: its payload, its alerts, the incident a new group opens. The incident's priority is
`incidents.selectors.priority_expression`; its "created" line and engage timer are incidents/creation.py."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import BigIntegerField, Expression, QuerySet, Subquery, UniqueConstraint
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from ..models import (
    Alert,
    AlertGroup,
    AlertPayload,
    AlertStatus,
    Incident,
    Integration,
    PayloadFormat,
    Service,
    Silence,
    Source,
)
from .payloads import Action, AlertBatch, AlertEvent, clean_text, labels_text

ALERT_STATUS = {
    Action.FIRING: AlertStatus.FIRING,
    Action.RESOLVED: AlertStatus.RESOLVED,
    Action.ACKNOWLEDGED: AlertStatus.ACKNOWLEDGED,
}

# At most one open group per integration and dedup key: what makes concurrent alerts of one key open one
# incident. Its fields and condition say what "the open group of a key" is, wherever it is looked up.
OPEN_GROUP: UniqueConstraint = next(
    c
    for c in AlertGroup._meta.constraints
    if isinstance(c, UniqueConstraint) and c.name == "alert_group_one_open_per_key"
)


def open_groups() -> QuerySet[AlertGroup]:
    """Every open group: those OPEN_GROUP's condition holds for."""
    return AlertGroup.objects.filter(OPEN_GROUP.condition)


def open_group(integration_id: object, dedup_key: object) -> QuerySet[AlertGroup]:
    """The open group of an integration's dedup key (one at most), by OPEN_GROUP's fields."""
    return open_groups().filter(**dict(zip(OPEN_GROUP.fields, (integration_id, dedup_key), strict=True)))


def active_silences(now: object) -> QuerySet[Silence]:
    """The silences in force at `now` (whether one covers an alert is `Silence.matches`)."""
    return Silence.objects.filter(starts_at__lte=now, ends_at__gt=now)


def incident_service(name: object, fallback: object) -> Expression:
    """The id of the service a new group's incident affects: the known service the alert names (its name in any
    case; the first by name), else `fallback`, the integration's service. A `name` of None names none."""
    named = Service.objects.filter(name__iexact=name).order_by("name").values("pk")[:1]
    return Coalesce(Subquery(named), fallback, output_field=BigIntegerField())


# Storm folding counts the new groups an integration opened within this window.
STORM_WINDOW = timedelta(minutes=1)


def storm_folding(integration: Integration) -> bool:
    """Whether the integration folds storms (a rate of 0 turns it off)."""
    return bool(integration.storm_rate_per_minute)


def storm_reached(integration_id: Any, since: Any, rate: int) -> QuerySet[AlertGroup]:
    """Not empty when the integration opened `rate` new groups or more since `since`, storm groups aside: a
    group opened now would be beyond its storm rate, and folds into the storm. It reads at most `rate` entries
    of an index, however many groups a storm opens. Exact only under the storm lock (storms.py), which both
    paths take before asking. `rate` is at least 1 (0 turns storm folding off)."""
    recent = AlertGroup.objects.filter(integration_id=integration_id, is_storm=False, opened_at__gt=since)
    return recent[rate - 1 : rate]


def state_start(batch: AlertBatch, event: AlertEvent) -> str | None:
    """The start a fingerprint's state remembers, to recognise a late retry of a firing already resolved.
    Only Alertmanager's `startsAt` names the firing itself; PagerDuty's `timestamp` is the time of each
    event, different on every repeat, and would make every repeat look like a new firing."""
    if batch.format != PayloadFormat.ALERTMANAGER or event.starts_at is None:
        return None
    return event.starts_at.isoformat()


@dataclass
class FingerprintChange:
    """A group's fingerprint states once a batch applied (`AlertGroup.fingerprints`), and what changed."""

    states: dict[str, dict[str, Any]]
    started: list[str] = field(default_factory=list)  # now firing, and were not
    resolved: list[str] = field(default_factory=list)  # were firing, and are not


def fingerprints_apply(states: dict[str, dict[str, Any]], batch: AlertBatch) -> FingerprintChange:
    """The batch applied to a group's fingerprint states (left unchanged). The hot path applies it to no states
    at all: what a new group starts with, and what an open group must already hold for the batch to be a mere
    repeat, one that changes nothing."""
    fingerprints = dict(states)
    change = FingerprintChange(fingerprints)
    for event in batch.events:
        state = fingerprints.get(event.fingerprint)
        starts = state_start(batch, event)
        if event.action == Action.FIRING:
            if state and not state["firing"] and starts and state.get("starts_at") == starts:
                # A late retry of a message sent before the resolve: the same firing, already over.
                continue
            if not state or not state["firing"]:
                change.started.append(event.fingerprint)
            fingerprints[event.fingerprint] = {"firing": True, "starts_at": starts}
        elif event.action == Action.RESOLVED:
            if state and state["firing"]:
                change.resolved.append(event.fingerprint)
            fingerprints[event.fingerprint] = {
                "firing": False,
                "starts_at": starts or (state or {}).get("starts_at"),
            }
    if batch.all_resolved:
        for fingerprint, state in fingerprints.items():
            if state["firing"]:
                change.resolved.append(fingerprint)
                fingerprints[fingerprint] = {**state, "firing": False}
    return change


TITLE_MAX = Incident._meta.get_field("title").max_length


def incident_fields(integration: Integration, batch: AlertBatch, now: datetime) -> dict[str, Any]:
    """The fields of the incident a new group opens, but its priority and service (above) and what every
    incident gets by default."""
    impact, urgency = integration.impact_urgency_for(batch.severity)
    title = clean_text(batch.title.strip())[:TITLE_MAX] or _("Alert from %(name)s") % {
        "name": integration.name
    }
    return {
        "title": title,
        "description": batch.description,
        "impact": impact,
        "urgency": urgency,
        "source": Source.ALERT,
        "reported_at": now,
    }


def started_fingerprints(batch: AlertBatch) -> list[str]:
    """The fingerprints a new group starts with, in order, once each."""
    return list(dict.fromkeys(event.fingerprint for event in batch.events))


def opened_note(batch: AlertBatch, integration: Integration) -> str:
    """The note of the "created" line of an incident that alerts opened."""
    count = len(started_fingerprints(batch))
    return _("Opened by %(count)d alert(s) from %(name)s.") % {"count": count, "name": integration.name}


def created_data(batch: AlertBatch, integration: Integration) -> dict[str, Any]:
    """What the "created" line of an incident that alerts opened records, beside its priority and source."""
    return {
        "integration": integration.pk,
        "dedup_key": batch.dedup_key,
        "fingerprints": started_fingerprints(batch),
    }


_USER_AGENT_MAX = AlertPayload._meta.get_field("user_agent").max_length
_SEVERITY_MAX = Alert._meta.get_field("severity").max_length


@dataclass(frozen=True, slots=True)
class Received:
    """One request's batch as it arrived, for an integration: what both paths write from."""

    integration: Integration
    batch: AlertBatch
    raw_body: str
    remote_addr: str | None
    user_agent: str
    now: datetime


def payload_fields(received: Received) -> dict[str, Any]:
    """The payload row of a request (by attname)."""
    return {
        "integration_id": received.integration.pk,
        "format": received.batch.format,
        "received_at": received.now,
        "raw_body": received.raw_body,
        "remote_addr": received.remote_addr,
        "user_agent": clean_text(received.user_agent)[:_USER_AGENT_MAX],
    }


def alerts_shared(received: Received) -> dict[str, Any]:
    """What every alert row of a batch has in common (by attname), beside its payload, group, incident and
    silence."""
    return {
        "integration_id": received.integration.pk,
        "dedup_key": received.batch.dedup_key,
        "received_at": received.now,
    }


def alert_fields(event: AlertEvent) -> dict[str, Any]:
    """What an alert row takes from its event (by attname)."""
    return {
        "fingerprint": event.fingerprint,
        "status": ALERT_STATUS[event.action],
        "severity": event.severity[:_SEVERITY_MAX],
        "summary": event.summary,
        "labels": event.labels,
        "labels_text": labels_text(event.labels),
        "annotations": event.annotations,
        "details": event.details,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
    }
