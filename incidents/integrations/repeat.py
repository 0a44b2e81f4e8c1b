"""The hot path of ingestion: a repeat of alerts already firing in an open group of an open incident, as one
SQL statement (PostgreSQL), and what it shares with the opening statement (opening.py): the payload and alert
rows, their parameters, and what a statement wrote. `ingest._one_statement` runs them when every alert of a
batch fires (`pure_firing`); the general path takes over when they decline (None)."""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from ..models import Alert, AlertGroup, AlertPayload, AlertStatus, Incident, Integration, PayloadFormat
from ..models.incident import OPEN_STATES
from .payloads import Action, AlertBatch, AlertEvent, labels_text
from .statements import prepared


@dataclass
class Written:
    """What a one-statement path wrote: the payload, the alerts, and their incident: the state it was in when
    the alerts repeated an open group, None when they opened it (opening.py)."""

    payload_id: int
    incident_id: int
    incident_state: str | None
    alert_ids: list[int]


def state_start(batch: AlertBatch, event: AlertEvent) -> str | None:
    """The start a fingerprint's state remembers, to recognise a late retry of a firing already resolved.
    Only Alertmanager's `startsAt` names the firing itself; PagerDuty's `timestamp` is the time of each
    event, different on every repeat, and would make every repeat look like a new firing."""
    if batch.format != PayloadFormat.ALERTMANAGER or event.starts_at is None:
        return None
    return event.starts_at.isoformat()


# The rows every accepted request writes: its payload and one alert per event. `{source}` is the CTE that
# names the group and the incident they belong to (`group_id`, `incident_id`); nothing is written when it is
# empty. Shared by the repeat statement below and the opening statement (opening.py).
PAYLOAD_SQL = """
    INSERT INTO {payload} (integration_id, format, received_at, raw_body, remote_addr, user_agent)
    SELECT %(integration)s::bigint, %(format)s::text, %(now)s::timestamptz, %(raw_body)s::text,
           %(remote_addr)s::inet, %(user_agent)s::text
    FROM {source}
    RETURNING id
"""
ALERTS_SQL = """
INSERT INTO {alert} (integration_id, payload_id, group_id, incident_id, dedup_key, fingerprint, status,
                     severity, summary, labels, labels_text, annotations, details, starts_at, ends_at,
                     received_at)
SELECT %(integration)s::bigint, p.id, {source}.group_id, {source}.incident_id, %(dedup_key)s::text,
       v.fingerprint, %(status)s::text, v.severity, v.summary, v.labels, v.labels_text, v.annotations,
       v.details, v.starts_at, v.ends_at, %(now)s::timestamptz
FROM {source}, p, (VALUES {values}) AS v(fingerprint, severity, summary, labels, labels_text, annotations,
                                         details, starts_at, ends_at)
"""

# The repeat of alerts already firing in an open group of an open incident (Alertmanager's repeat_interval,
# a monitor re-sending its trigger): the commonest request, and one whose only effects are the stored rows
# and the group's counters. One statement does it all (a single statement is atomic): the UPDATE takes the
# group's row lock as the general path's SELECT FOR UPDATE would, and its conditions are exactly that path's
# "nothing else changes" case. When it matches no row, another path runs and decides. The opening statement
# (opening.py) starts with the same CTE when it may both repeat and open.
REPEAT_CTE = """g AS (
    UPDATE {group} AS grp
    SET alert_count = grp.alert_count + %(count)s::integer, last_alert_at = %(now)s::timestamptz
    FROM {incident} AS inc
    WHERE grp.integration_id = %(integration)s::bigint AND grp.dedup_key = %(dedup_key)s::text AND grp.is_open
      AND grp.fingerprints @> %(expected)s::jsonb
      AND inc.id = grp.incident_id AND inc.state = ANY(%(open_states)s::text[])
    RETURNING grp.id AS group_id, inc.id AS incident_id, inc.state AS state
)"""
_REPEAT_SQL = (
    "WITH "
    + REPEAT_CTE
    + ", p AS ("
    + PAYLOAD_SQL.replace("{source}", "g")
    + ")"
    + ALERTS_SQL.replace("{source}", "g")
    + "RETURNING id, payload_id, incident_id, (SELECT state FROM g)"
)
# Each VALUES row, typed: the statement is prepared on the server (below), where nothing infers types.
_ALERT_ROW = (
    "(%(fp{i})s::text, %(sev{i})s::text, %(sum{i})s::text, %(lab{i})s::jsonb, %(labt{i})s::text, "
    "%(ann{i})s::jsonb, %(det{i})s::jsonb, %(sa{i})s::timestamptz, %(ea{i})s::timestamptz)"
)


def pure_firing(batch: AlertBatch) -> bool:
    """Whether every event of the batch fires (on PostgreSQL): the only batches the one-statement paths take."""
    return (
        connection.vendor == "postgresql"
        and bool(batch.events)
        and not batch.all_resolved
        and all(event.action == Action.FIRING for event in batch.events)
    )


def firing_states(batch: AlertBatch) -> dict[str, dict]:
    """The group's fingerprint states once every alert of the batch fires (`ingest._apply`'s result)."""
    return {
        event.fingerprint: {"firing": True, "starts_at": state_start(batch, event)} for event in batch.events
    }


def rows_params(
    *,
    integration: Integration,
    batch: AlertBatch,
    raw_body: str,
    remote_addr: str | None,
    user_agent: str,
    now: datetime,
) -> tuple[str, dict[str, object]]:
    """The VALUES list of the alerts and the parameters of PAYLOAD_SQL and ALERTS_SQL."""
    values = []
    params: dict[str, object] = {
        "count": len(batch.events),
        "now": now,
        "integration": integration.pk,
        "dedup_key": batch.dedup_key,
        "format": batch.format,
        "raw_body": raw_body,
        "remote_addr": remote_addr,
        "user_agent": user_agent,
        "status": AlertStatus.FIRING.value,
    }
    for i, event in enumerate(batch.events):
        values.append(_ALERT_ROW.format(i=i))
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
    return ", ".join(values), params


def repeat_params(batch: AlertBatch) -> dict[str, object]:
    """REPEAT_CTE's own parameters (beside those of `rows_params`)."""
    return {
        "expected": json.dumps(firing_states(batch)),
        "open_states": [str(state) for state in OPEN_STATES],
    }


def written(rows: list[tuple]) -> Written | None:
    """What a one-statement path returned (alert id, payload id, incident id, state per alert), or None when
    it wrote nothing."""
    if not rows:
        return None
    _, payload_id, incident_id, state = rows[0]
    return Written(
        payload_id=payload_id,
        incident_id=incident_id,
        incident_state=state,
        alert_ids=[row[0] for row in rows],
    )


def alerts_repeat(*, batch: AlertBatch, rows: tuple[str, dict[str, object]]) -> Written | None:
    """The one-statement path for a pure repeat, or None when another path must run. For a `pure_firing`
    batch; `rows` is `rows_params(...)`."""
    values, params = rows
    sql = _REPEAT_SQL.format(
        group=AlertGroup._meta.db_table,
        incident=Incident._meta.db_table,
        payload=AlertPayload._meta.db_table,
        alert=Alert._meta.db_table,
        values=values,
    )
    return written(prepared(sql, {**params, **repeat_params(batch)}))
