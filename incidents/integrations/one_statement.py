"""Ingestion's hot path (PostgreSQL): a batch whose alerts all fire, written by one SQL statement.

- a **repeat** of alerts already firing in an open group of an open incident (Alertmanager's repeat_interval, a
  monitor re-sending its trigger), the commonest request: the group's counters, the payload and the alerts;
- a **new dedup key**: the group, the incident (its priority from the matrix, its service from the alert's
  labels), its "created" timeline line, the timer that engages it (SLA clocks, escalation, webhooks:
  `incidents.services.incident_engage`), the payload and the alerts.

A single statement is atomic. `alerts_one_statement`, the one entry point, runs it, or declines (None, having
written nothing) whenever the general path has something to decide: an open group for the key that the batch
does not merely repeat (a concurrent request's new group too: the INSERT waits for it and then does nothing),
an active silence, a storm, a reopen window. `ingest.alerts_ingest` tries it first.

Nothing here states a rule of its own: which group is open, which silence is active, the service, the storm
threshold and the fingerprint states are rules.py's query sets and functions compiled into SQL
(incidents/sql.py), the priority is `incidents.selectors.priority_expression`, and every row is planned from
its model (statements.py) with the values rules.py and incidents/creation.py give both paths. A test checks
that both paths write the same rows (tests/incidents/test_integrations_opening.py)."""

import contextlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Exists

from escalation.models import Timer
from incidents.sql import Param, concrete_field, quoted_column, sql_of, where_of

from ..creation import created_line, engage_timer
from ..models import Alert, AlertGroup, AlertPayload, Incident, Service, TimelineEvent
from ..models.catalog import default_priority
from ..models.incident import OPEN_STATES
from ..selectors import priority_expression
from .payloads import Action, AlertBatch
from .rules import (
    OPEN_GROUP,
    STORM_WINDOW,
    Received,
    active_silences,
    alert_fields,
    alerts_shared,
    created_data,
    fingerprints_apply,
    incident_fields,
    incident_service,
    open_group,
    open_groups,
    opened_note,
    payload_fields,
    storm_folding,
    storm_reached,
)
from .statements import RowPlan, prepared, row_plan
from .storms import storm_lock

_OPEN_STATES = [str(state) for state in OPEN_STATES]


@dataclass
class Written:
    """What the statement wrote: the payload, the alerts, and their incident: the state it was in when the
    alerts repeated an open group, None when they opened it (so it is new)."""

    payload_id: int
    incident_id: int
    incident_state: str | None
    alert_ids: list[int]


def pure_firing(batch: AlertBatch) -> bool:
    """Whether every event of the batch fires (on PostgreSQL): the only batches the statement takes."""
    return (
        connection.vendor == "postgresql"
        and bool(batch.events)
        and not batch.all_resolved
        and all(event.action == Action.FIRING for event in batch.events)
    )


def alerts_one_statement(received: Received) -> Written | None:
    """A repeat on an open group, else a new group opening its incident, in one statement; None when nothing
    applies and nothing was written. One statement does either when the integration has neither storm folding
    nor a reopen window; otherwise the repeat is tried alone, then the opening under the storm lock (no opening
    with a reopen window: the general path decides)."""
    integration, batch = received.integration, received.batch
    if not pure_firing(batch):
        return None
    # What the group's fingerprints are once the batch applied to none: an open group's, for a repeat; a new
    # group's.
    states = fingerprints_apply({}, batch).states
    params = _params(received, states)
    count = len(batch.events)
    if not storm_folding(integration) and not integration.reopen_window_minutes:
        _opening_params(received, states, params)
        return _run(_statement(count, repeat=True, opening=True, storm_rate=0), params)
    written = _run(_statement(count, repeat=True, opening=False, storm_rate=0), params)
    if written is not None or integration.reopen_window_minutes:
        return written
    _opening_params(received, states, params)
    rate = integration.storm_rate_per_minute
    with transaction.atomic() if rate else contextlib.nullcontext():
        storm_lock(integration)
        return _run(_statement(count, repeat=False, opening=True, storm_rate=rate), params)


def _run(sql: str, params: dict[str, Any]) -> Written | None:
    """The statement run; what it wrote (alert id, payload id, incident id, state per alert), or None."""
    rows = prepared(sql, params)
    if not rows:
        return None
    _, payload_id, incident_id, state = rows[0]
    return Written(
        payload_id=payload_id,
        incident_id=incident_id,
        incident_state=state,
        alert_ids=[row[0] for row in rows],
    )


def _param(name: str, model: type[models.Model], attname: str) -> Param:
    """A placeholder typed as the model's field."""
    return Param(name, concrete_field(model, attname))


@cache
def _plans() -> dict[str, RowPlan]:
    """The rows the statement inserts: which columns are SQL, which the request gives, which each alert gives."""
    return {
        "payload": row_plan(
            AlertPayload,
            "payload",
            given=("integration_id", "format", "received_at", "raw_body", "remote_addr", "user_agent"),
        ),
        "alert": row_plan(
            Alert,
            "alert",
            (("payload_id", "p.id"), ("group_id", "t.group_id"), ("incident_id", "t.incident_id")),
            given=("integration_id", "dedup_key", "received_at"),
            each=(
                "fingerprint",
                "status",
                "severity",
                "summary",
                "labels",
                "labels_text",
                "annotations",
                "details",
                "starts_at",
                "ends_at",
            ),
        ),
        "grp": row_plan(
            AlertGroup,
            "grp",
            (("incident_id", f"nextval(pg_get_serial_sequence('{Incident._meta.db_table}', 'id'))"),),
            (
                "integration_id",
                "dedup_key",
                "source_key",
                "fingerprints",
                "alert_count",
                "opened_at",
                "last_alert_at",
            ),
        ),
        "inc": row_plan(
            Incident,
            "inc",
            (
                ("id", "grp.incident_id"),
                (
                    "priority",
                    sql_of(
                        priority_expression(
                            _param("inc_impact", Incident, "impact"),
                            _param("inc_urgency", Incident, "urgency"),
                            _param("default_priority", Incident, "priority"),
                        )
                    ),
                ),
                (
                    "service_id",
                    sql_of(
                        incident_service(
                            _param("service_name", Service, "name"), _param("service", Incident, "service")
                        )
                    ),
                ),
            ),
            ("title", "description", "impact", "urgency", "source", "reported_at", "updated_at"),
        ),
        "created": row_plan(
            TimelineEvent,
            "created",
            (
                ("incident_id", "inc.id"),
                # The line's data, with the priority the statement gave the incident.
                ("data", "jsonb_set(%(created_data)s::jsonb, '{priority}', to_jsonb(inc.priority))"),
            ),
            ("kind", "actor_id", "created_at", "to_state", "note"),
        ),
        "engage": row_plan(
            Timer, "engage", (("subject_id", "inc.id"),), ("subject_type_id", "kind", "due_at", "created_at")
        ),
    }


@cache
def _conditions(storm_rate: int) -> dict[str, str]:
    """The SQL of rules.py's conditions, with the statement's parameters."""
    integration = _param("integration", AlertGroup, "integration")
    key = _param("dedup_key", AlertGroup, "dedup_key")
    group = connection.ops.quote_name(AlertGroup._meta.db_table)
    conflict = ", ".join(quoted_column(AlertGroup._meta.get_field(name)) for name in OPEN_GROUP.fields)
    conditions = {
        # The repeat's UPDATE names the group table itself: its open group's condition, by the table's name.
        "is_open_group": where_of(open_group(integration, key)),
        "no_open_group": "NOT " + sql_of(Exists(open_group(integration, key))),
        "no_silence": "NOT " + sql_of(Exists(active_silences(_param("now", AlertGroup, "opened_at")))),
        "conflict": f"({conflict}) WHERE {where_of(open_groups())}",
        "group": group,
        "storm": "",
    }
    if storm_rate:
        since = _param("storm_since", AlertGroup, "opened_at")
        conditions["storm"] = "AND NOT " + sql_of(Exists(storm_reached(integration, since, storm_rate)))
    return conditions


# The repeat: the UPDATE takes the group's row lock as the general path's SELECT FOR UPDATE would, and its
# conditions are exactly that path's "nothing else changes" case: the open group of the key already holds every
# fingerprint state the batch would give it (rules.fingerprints_apply), and its incident is open. When it
# matches no row, the opening (or the general path) runs and decides.
_REPEAT_CTE = """g AS (
    UPDATE {group}
    SET alert_count = {group}.alert_count + %(count)s::integer, last_alert_at = %(now)s::timestamptz
    FROM {incident} AS inc
    WHERE {is_open_group} AND {group}.fingerprints @> %(expected)s::jsonb
      AND inc.id = {group}.incident_id AND inc.state = ANY(%(open_states)s::text[])
    RETURNING {group}.id AS group_id, inc.id AS incident_id, inc.state AS state
)"""

# The opening: the group first, only when no group of the key is open, no silence is active and (with storm
# folding) the storm is not reached; the incident, its created line and its engage timer from that group.
_OPENING_CTES = """grp AS (
    {grp}
    WHERE {no_open_group} AND {no_silence} {storm}
    ON CONFLICT {conflict} DO NOTHING
    RETURNING id AS group_id, incident_id
), inc AS (
    {inc} RETURNING id, priority
), created AS (
    {created}
), engage AS (
    {engage}
)"""


@cache
def _statement(count: int, *, repeat: bool, opening: bool, storm_rate: int) -> str:
    """The statement for a batch of `count` alerts: the repeat, the opening, or the repeat with the opening
    taking over when no group of the key is open; with the storm condition of `storm_rate` (0: none)."""
    plans = _plans()
    conditions = _conditions(storm_rate)
    ctes = []
    if repeat:
        ctes.append(_REPEAT_CTE.format(incident=plans["inc"].table, **conditions))
    if opening:
        ctes.append(
            _OPENING_CTES.format(
                grp=plans["grp"].insert(),
                inc=plans["inc"].insert("grp"),
                created=plans["created"].insert("inc"),
                engage=plans["engage"].insert("inc"),
                **conditions,
            )
        )
    # The group and incident the alerts belong to: the repeated one or the opened one (at most one of them).
    sources = [
        *(["SELECT group_id, incident_id FROM g"] if repeat else []),
        *(["SELECT group_id, incident_id FROM grp"] if opening else []),
    ]
    state = "(SELECT state FROM g)" if repeat else "NULL::text"
    return f"""WITH {", ".join(ctes)}, t AS ({" UNION ALL ".join(sources)}),
p AS ({plans["payload"].insert("t")} RETURNING id)
{plans["alert"].insert("t, p, " + plans["alert"].rows(count))}
RETURNING id, payload_id, incident_id, {state}"""


def _params(received: Received, states: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The parameters of every statement: the conditions', the repeat's, the payload's and the alerts', from
    the values both paths write (rules.py)."""
    plans = _plans()
    batch, now = received.batch, received.now
    params = {
        "integration": received.integration.pk,
        "dedup_key": batch.dedup_key,
        "now": now,
        "storm_since": now - STORM_WINDOW,
        "expected": json.dumps(states),
        "open_states": _OPEN_STATES,
        "count": len(batch.events),
    }
    plans["payload"].params(payload_fields(received), params)
    plans["alert"].params(alerts_shared(received), params)
    plans["alert"].rows_params(map(alert_fields, batch.events), params)
    return params


def _opening_params(received: Received, states: dict[str, dict[str, Any]], params: dict[str, Any]) -> None:
    """Adds the opening's own parameters to `params`: the group's, the incident's, its created line's and its
    engage timer's, from the values both paths write (rules.py, incidents/creation.py)."""
    plans = _plans()
    integration, batch, now = received.integration, received.batch, received.now
    group = {
        "integration_id": integration.pk,
        "dedup_key": batch.dedup_key,
        "source_key": batch.source_key,
        "fingerprints": states,
        "alert_count": len(batch.events),
        "opened_at": now,
        "last_alert_at": now,
    }
    plans["grp"].params(group, params)
    fields = incident_fields(integration, batch, now)
    fields["updated_at"] = now
    plans["inc"].params(fields, params)
    params["default_priority"] = default_priority(fields["impact"], fields["urgency"])
    params["service_name"] = batch.service_name or None
    params["service"] = integration.service_id
    line = created_line(
        priority=0,  # the statement writes the priority it computed (_plans)
        source=fields["source"],
        at=now,
        note=opened_note(batch, integration),
        data=created_data(batch, integration),
    )
    plans["created"].params(line, params)
    params["created_data"] = json.dumps(line["data"])
    timer = engage_timer(reported_at=now)
    timer["subject_type_id"] = ContentType.objects.get_for_model(Incident).pk
    timer["created_at"] = now
    plans["engage"].params(timer, params)
