"""The hot path of ingestion: a repeat of alerts already firing in an open group of an open incident,
as one SQL statement (PostgreSQL). `ingest.alerts_ingest` tries it first and takes the general path when it
declines (returns None)."""

import json
from dataclasses import dataclass
from datetime import datetime

import psycopg
from django.db import connection

from ..models import Alert, AlertGroup, AlertPayload, AlertStatus, Incident, Integration, PayloadFormat
from ..models.incident import OPEN_STATES
from .payloads import Action, AlertBatch, AlertEvent, labels_text


@dataclass
class Repeat:
    """What the statement wrote: the payload, the alerts, and the incident they joined (its id and state)."""

    payload_id: int
    incident_id: int
    incident_state: str
    alert_ids: list[int]


def state_start(batch: AlertBatch, event: AlertEvent) -> str | None:
    """The start a fingerprint's state remembers, to recognise a late retry of a firing already resolved.
    Only Alertmanager's `startsAt` names the firing itself; PagerDuty's `timestamp` is the time of each
    event, different on every repeat, and would make every repeat look like a new firing."""
    if batch.format != PayloadFormat.ALERTMANAGER or event.starts_at is None:
        return None
    return event.starts_at.isoformat()


# The repeat of alerts already firing in an open group of an open incident (Alertmanager's repeat_interval,
# a monitor re-sending its trigger): the commonest request, and one whose only effects are the stored rows
# and the group's counters. One statement does it all (a single statement is atomic): the UPDATE takes the
# group's row lock as the general path's SELECT FOR UPDATE would, and its conditions are exactly that path's
# "nothing else changes" case. When it matches no row, the general path runs and decides.
_REPEAT_SQL = """
WITH g AS (
    UPDATE {group} AS grp
    SET alert_count = grp.alert_count + %(count)s::integer, last_alert_at = %(now)s::timestamptz
    FROM {incident} AS inc
    WHERE grp.integration_id = %(integration)s::bigint AND grp.dedup_key = %(dedup_key)s::text AND grp.is_open
      AND grp.fingerprints @> %(expected)s::jsonb
      AND inc.id = grp.incident_id AND inc.state = ANY(%(open_states)s::text[])
    RETURNING grp.id AS group_id, inc.id AS incident_id, inc.state AS state
), p AS (
    INSERT INTO {payload} (integration_id, format, received_at, raw_body, remote_addr, user_agent)
    SELECT %(integration)s::bigint, %(format)s::text, %(now)s::timestamptz, %(raw_body)s::text,
           %(remote_addr)s::inet, %(user_agent)s::text
    FROM g
    RETURNING id
)
INSERT INTO {alert} (integration_id, payload_id, group_id, incident_id, dedup_key, fingerprint, status,
                     severity, summary, labels, labels_text, annotations, details, starts_at, ends_at,
                     received_at)
SELECT %(integration)s::bigint, p.id, g.group_id, g.incident_id, %(dedup_key)s::text, v.fingerprint,
       %(status)s::text, v.severity, v.summary, v.labels, v.labels_text, v.annotations, v.details, v.starts_at,
       v.ends_at, %(now)s::timestamptz
FROM g, p, (VALUES {values}) AS v(fingerprint, severity, summary, labels, labels_text, annotations, details,
                                  starts_at, ends_at)
RETURNING id, payload_id, incident_id, (SELECT state FROM g)
"""
# Each VALUES row, typed: the statement is prepared on the server (below), where nothing infers types.
_REPEAT_ROW = (
    "(%(fp{i})s::text, %(sev{i})s::text, %(sum{i})s::text, %(lab{i})s::jsonb, %(labt{i})s::text, "
    "%(ann{i})s::jsonb, %(det{i})s::jsonb, %(sa{i})s::timestamptz, %(ea{i})s::timestamptz)"
)


def alerts_repeat(
    *,
    integration: Integration,
    batch: AlertBatch,
    raw_body: str,
    remote_addr: str | None,
    user_agent: str,
    now: datetime,
) -> Repeat | None:
    """The one-statement path for a pure repeat (PostgreSQL), or None when the general path must run."""
    if (
        connection.vendor != "postgresql"
        or not batch.events
        or batch.all_resolved
        or any(event.action != Action.FIRING for event in batch.events)
    ):
        return None
    expected = {
        event.fingerprint: {
            "firing": True,
            "starts_at": state_start(batch, event),
        }
        for event in batch.events
    }
    values = []
    params: dict[str, object] = {
        "count": len(batch.events),
        "now": now,
        "integration": integration.pk,
        "dedup_key": batch.dedup_key,
        "expected": json.dumps(expected),
        "open_states": [str(state) for state in OPEN_STATES],
        "format": batch.format,
        "raw_body": raw_body,
        "remote_addr": remote_addr,
        "user_agent": user_agent,
        "status": AlertStatus.FIRING.value,
    }
    for i, event in enumerate(batch.events):
        values.append(_REPEAT_ROW.format(i=i))
        params.update(
            {
                f"fp{i}": event.fingerprint,
                f"sev{i}": event.severity[:32],
                f"sum{i}": event.summary,
                f"lab{i}": json.dumps(event.labels),
                f"labt{i}": labels_text(event.labels),
                f"ann{i}": json.dumps(event.annotations),
                f"det{i}": json.dumps(event.details),
                f"sa{i}": event.starts_at,
                f"ea{i}": event.ends_at,
            }
        )
    sql = _REPEAT_SQL.format(
        group=AlertGroup._meta.db_table,
        incident=Incident._meta.db_table,
        payload=AlertPayload._meta.db_table,
        alert=Alert._meta.db_table,
        values=", ".join(values),
    )
    # A server-side prepared statement on Django's own connection (same transaction, if any): this is the
    # hot path, and parsing and planning the statement cost as much as running it. Django's cursor binds
    # parameters on the client and cannot prepare.
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        rows = cursor.fetchall()
    if not rows:
        return None
    _, payload_id, incident_id, state = rows[0]
    return Repeat(
        payload_id=payload_id,
        incident_id=incident_id,
        incident_state=state,
        alert_ids=[row[0] for row in rows],
    )
