"""The hot path of a new alert group: the first alerts of a dedup key open their incident in one SQL statement
(PostgreSQL). The group, the incident, its "created" timeline line, the timer that engages it (SLA clocks,
escalation, webhooks: `incidents.services.incident_engage`), the payload and the alerts are written together,
and a single statement is atomic. For an integration without storm folding or reopen window, the same
statement starts with the repeat (`repeat.REPEAT_CTE`), so that one round trip serves either case.

`ingest.alerts_ingest` tries it first. It declines (returns None, having written nothing) whenever the
general path has something to decide: an open group for the key that the batch does not merely repeat (a
concurrent request's new group too: the INSERT waits for it and then does nothing), an active silence, a
storm, a reopen window. A test checks that this path and the general path write the same rows.

Rows come from the models' own defaults: `statements.row_plan` lists a model's columns as the ORM's INSERT
would, with the values each request gives."""

import json
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils.translation import gettext as _

from escalation.models import Timer

from ..models import (
    Alert,
    AlertGroup,
    AlertPayload,
    Incident,
    IncidentState,
    Integration,
    PriorityMatrixCell,
    Service,
    Silence,
    Source,
    TimelineEvent,
)
from ..models.catalog import default_priority
from ..services import ENGAGE_TIMER
from .payloads import AlertBatch, clean_text
from .repeat import ALERTS_SQL, PAYLOAD_SQL, REPEAT_CTE, Written, firing_states, repeat_params, written
from .statements import RowPlan, prepared, row_plan

TITLE_MAX = 200
# Storm folding counts the new groups an integration opened within this window (both paths).
STORM_WINDOW = timedelta(minutes=1)


def incident_fields(integration: Integration, batch: AlertBatch) -> dict[str, Any]:
    """Title, description, impact and urgency of the incident a new group opens (both paths)."""
    impact, urgency = integration.impact_urgency_for(batch.severity)
    title = clean_text(batch.title.strip())[:TITLE_MAX] or _("Alert from %(name)s") % {
        "name": integration.name
    }
    return {"title": title, "description": batch.description, "impact": impact, "urgency": urgency}


def opened_note(batch: AlertBatch, integration: Integration) -> str:
    """The note of the "created" line of an incident that alerts opened (both paths)."""
    count = len(started_fingerprints(batch))
    return _("Opened by %(count)d alert(s) from %(name)s.") % {"count": count, "name": integration.name}


def created_data(batch: AlertBatch, integration: Integration) -> dict[str, Any]:
    """What the "created" line of an incident that alerts opened records, beside its priority (both paths)."""
    return {
        "source": Source.ALERT.value,
        "integration": integration.pk,
        "dedup_key": batch.dedup_key,
        "fingerprints": started_fingerprints(batch),
    }


def started_fingerprints(batch: AlertBatch) -> list[str]:
    """The fingerprints a new group starts with, in order, once each."""
    return list(dict.fromkeys(event.fingerprint for event in batch.events))


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def _plans() -> dict[str, RowPlan]:
    """The rows the statement inserts, by CTE: which columns are SQL, which each request gives."""
    cell = _table(PriorityMatrixCell)
    return {
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
                    f"coalesce((SELECT priority FROM {cell} WHERE impact = %(inc_impact)s::smallint "
                    "AND urgency = %(inc_urgency)s::smallint), %(default_priority)s::smallint)",
                ),
                (
                    "service_id",
                    f"coalesce((SELECT id FROM {_table(Service)} WHERE upper(name) = "
                    "upper(%(service_name)s::text) ORDER BY name LIMIT 1), %(integration_service)s::bigint)",
                ),
            ),
            ("title", "description", "impact", "urgency", "source", "reported_at", "updated_at"),
        ),
        "created": row_plan(
            TimelineEvent,
            "created",
            (
                ("incident_id", "inc.id"),
                ("data", "jsonb_build_object('priority', inc.priority) || %(created_data)s::jsonb"),
            ),
            ("kind", "created_at", "to_state", "note"),
        ),
        "engage": row_plan(
            Timer, "engage", (("subject_id", "inc.id"),), ("subject_type_id", "kind", "due_at", "created_at")
        ),
    }


@cache
def _statement(values: str, *, storm: bool, repeat: bool) -> str:
    """The statement for a batch's VALUES list of alerts; with the storm condition; starting with the repeat
    (REPEAT_CTE: the group is open and the batch repeats it) when `repeat`, the opening taking over when no
    group of the key is open."""
    plans = _plans()
    storm_condition = ""
    if storm:
        storm_condition = (
            f"AND (SELECT count(*) FROM (SELECT 1 FROM {_table(AlertGroup)} WHERE integration_id = "
            "%(integration)s::bigint AND NOT is_storm AND opened_at > %(storm_since)s::timestamptz "
            "LIMIT %(storm_rate)s::integer) AS recent) < %(storm_rate)s::integer"
        )
    repeat_cte = REPEAT_CTE + "," if repeat else ""
    repeated = "UNION ALL SELECT group_id, incident_id FROM g" if repeat else ""
    state = "(SELECT state FROM g)" if repeat else "NULL::text"
    return f"""
WITH {repeat_cte} grp AS (
    INSERT INTO {_table(AlertGroup)} ({plans["grp"].columns})
    SELECT {plans["grp"].values}
    WHERE NOT EXISTS (SELECT 1 FROM {_table(AlertGroup)} WHERE integration_id = %(integration)s::bigint
                      AND dedup_key = %(dedup_key)s::text AND is_open)
      AND NOT EXISTS (SELECT 1 FROM {_table(Silence)} WHERE starts_at <= %(now)s::timestamptz
                      AND ends_at > %(now)s::timestamptz)
      {storm_condition}
    ON CONFLICT (integration_id, dedup_key) WHERE is_open DO NOTHING
    RETURNING id AS group_id, incident_id
), inc AS (
    INSERT INTO {_table(Incident)} ({plans["inc"].columns}) SELECT {plans["inc"].values} FROM grp
    RETURNING id, priority
), created AS (
    INSERT INTO {_table(TimelineEvent)} ({plans["created"].columns}) SELECT {plans["created"].values} FROM inc
), engage AS (
    INSERT INTO {_table(Timer)} ({plans["engage"].columns}) SELECT {plans["engage"].values} FROM inc
), t AS (
    SELECT group_id, incident_id FROM grp {repeated}
), p AS ({PAYLOAD_SQL.replace("{source}", "t")})
{ALERTS_SQL.replace("{source}", "t")}
RETURNING id, payload_id, incident_id, {state}
""".format(
        group=_table(AlertGroup),
        incident=_table(Incident),
        payload=_table(AlertPayload),
        alert=_table(Alert),
        values=values,
    )


def alerts_open(
    *,
    integration: Integration,
    batch: AlertBatch,
    now: datetime,
    rows: tuple[str, dict[str, object]],
    repeat: bool,
) -> Written | None:
    """Opens the batch's group and incident in one statement (or, with `repeat`, applies a pure repeat to the
    open group instead), or writes nothing and answers None. For a `pure_firing` batch; `rows` is
    `repeat.rows_params(...)`. With storm folding on, the caller must hold `ingest._storm_lock`: the statement
    then declines when this group would be over the integration's storm rate."""
    values, params = rows
    fields = incident_fields(integration, batch)
    plans = _plans()
    params = {
        **params,
        **(repeat_params(batch) if repeat else {}),
        **plans["grp"].params(
            integration_id=integration.pk,
            dedup_key=batch.dedup_key,
            source_key=batch.source_key,
            fingerprints=firing_states(batch),
            alert_count=len(batch.events),
            opened_at=now,
            last_alert_at=now,
        ),
        **plans["inc"].params(**fields, source=Source.ALERT, reported_at=now, updated_at=now),
        **plans["created"].params(
            kind=TimelineEvent.Kind.CREATED,
            created_at=now,
            to_state=IncidentState.NEW,
            note=opened_note(batch, integration),
        ),
        **plans["engage"].params(
            subject_type_id=ContentType.objects.get_for_model(Incident).pk,
            kind=ENGAGE_TIMER,
            due_at=now,
            created_at=now,
        ),
        "created_data": json.dumps(created_data(batch, integration)),
        "default_priority": default_priority(fields["impact"], fields["urgency"]),
        "service_name": batch.service_name or None,
        "integration_service": integration.service_id,
        "storm_since": now - STORM_WINDOW,
        "storm_rate": integration.storm_rate_per_minute,
    }
    storm = bool(integration.storm_rate_per_minute)
    return written(prepared(_statement(values, storm=storm, repeat=repeat), params))
