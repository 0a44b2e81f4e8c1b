"""Metric rollups: per-incident figures (`MetricFact`) and their sums per day and group (`MetricRollup`),
kept up to date incrementally.

Every change to an incident appends its id to `MetricDirty` in the changing transaction (`rollup_mark`,
connected in `PostmortemsConfig.ready()`); the `postmortems.rollups_refresh` beat task takes those ids,
recomputes their figures with `incidents.metrics`, and re-sums only the days they touch (the day each one
was reported and resolved, now and before). `rollups_recompute` rebuilds everything, for a new reporting
calendar or after an import; the refresh does that by itself when the calendar's fingerprint changed.

One refresh at a time: both entry points lock the `MetricState` row (a second one finds it locked and
returns), and write in one transaction, so readers see the old sums or the new ones, never half."""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from incidents.metrics import (
    FIGURE_FIELDS,
    GROUPS,
    SUM_NAMES,
    IncidentFigures,
    ReportingCalendar,
    incident_figures,
    incident_rows,
    incidents_figures,
    major_incident_declarations,
    reporting_calendar,
    resolved_sum_expressions,
    sum_expressions,
)
from incidents.models import Incident

from .models import Dimension, MetricDirty, MetricFact, MetricRollup, MetricState

logger = logging.getLogger(__name__)

BATCH = 10_000


def rollup_mark(*, incident_ids: Iterable[int]) -> None:
    """These incidents' figures may have changed: refresh them at the next `rollups_refresh`. Runs in the
    caller's transaction (an append, so that concurrent incident transactions never wait on each other)."""
    MetricDirty.objects.bulk_create(MetricDirty(incident_id=pk) for pk in set(incident_ids))


def _locked_state() -> MetricState | None:
    """The state row, locked for the caller's transaction; None while another refresh holds it."""
    MetricState.objects.get_or_create(pk=1)
    return MetricState.objects.select_for_update(skip_locked=True).filter(pk=1).first()


def rollups_refresh(*, limit: int = 5000) -> int:
    """Recompute the figures of up to `limit` changed incidents and the sums of the days they touch.
    Returns how many incidents were refreshed (-1: everything was recomputed, the calendar having changed)."""
    calendar = reporting_calendar()
    with transaction.atomic():
        state = _locked_state()
        if state is None:
            return 0
        if state.calendar_fingerprint != calendar.fingerprint:
            _recompute(state, calendar)
            return -1
        taken = list(MetricDirty.objects.order_by("id").values_list("id", "incident_id")[:limit])
        if not taken:
            return 0
        MetricDirty.objects.filter(id__in=[row_id for row_id, _ in taken]).delete()
        incident_ids = {incident_id for _, incident_id in taken}
        days: set[dt.date] = set()
        for reported, resolved in MetricFact.objects.filter(pk__in=incident_ids).values_list(
            "reported_day", "resolved_day"
        ):
            days.update(day for day in (reported, resolved) if day is not None)
        MetricFact.objects.filter(pk__in=incident_ids).delete()
        figures = list(
            incidents_figures(incident_rows(Incident.objects.filter(pk__in=incident_ids)), calendar=calendar)
        )
        _facts_write(figures)
        for item in figures:
            days.update(day for day in (item.reported_day, item.resolved_day) if day is not None)
        _days_rebuild(days, calendar=calendar)
        state.refreshed_at = timezone.now()
        state.save(update_fields=["refreshed_at"])
    return len(incident_ids)


def rollups_recompute() -> dict[str, int]:
    """Rebuild every figure and every sum from the incidents. Waits for a refresh that is running."""
    calendar = reporting_calendar()
    with transaction.atomic():
        MetricState.objects.get_or_create(pk=1)
        state = MetricState.objects.select_for_update().get(pk=1)
        return _recompute(state, calendar)


def _recompute(state: MetricState, calendar: ReportingCalendar) -> dict[str, int]:
    now = timezone.now()
    MetricDirty.objects.filter(created_at__lte=now).delete()
    _truncate(MetricFact)
    first = Incident.objects.aggregate(first=Min("reported_at"))["first"]
    facts = 0
    if first is not None:
        ruler = calendar.ruler(first - dt.timedelta(days=1), now + dt.timedelta(days=1))
        rows = incident_rows().iterator(chunk_size=BATCH)
        chunk: list[IncidentFigures] = []
        for row in rows:
            item = incident_figures(row, calendar=calendar, ruler=ruler)
            if item is None:
                continue
            chunk.append(item)
            if len(chunk) >= BATCH:
                facts += _facts_write(chunk)
                chunk = []
        facts += _facts_write(chunk)
    rollups = _days_rebuild(None, calendar=calendar)
    state.calendar_fingerprint = calendar.fingerprint
    state.recomputed_at = state.refreshed_at = now
    state.save()
    logger.info("metric rollups recomputed: %s incidents, %s rollup rows", facts, rollups)
    return {"incidents": facts, "rollups": rollups}


def _truncate(model: Any) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(model._meta.db_table)}")
    else:
        model.objects.all().delete()


def _copy(model: Any, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Write rows with PostgreSQL's COPY (a million facts in seconds), else with bulk_create."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _facts_write(figures: list[IncidentFigures]) -> int:
    if not figures:
        return 0
    if connection.vendor == "postgresql":
        _copy(
            MetricFact,
            FIGURE_FIELDS,
            (tuple(getattr(item, name) for name in FIGURE_FIELDS) for item in figures),
        )
    else:
        MetricFact.objects.bulk_create(
            (MetricFact(**{name: getattr(item, name) for name in FIGURE_FIELDS}) for item in figures),
            batch_size=500,
        )
    return len(figures)


def _days_rebuild(days: set[dt.date] | None, *, calendar: ReportingCalendar) -> int:
    """Re-sum the given days (None: every day) from the facts, for every dimension."""
    if days is not None and not days:
        return 0
    if days is None:
        _truncate(MetricRollup)
    else:
        MetricRollup.objects.filter(day__in=days).delete()
    sums: dict[tuple[dt.date, str, int], dict[str, Any]] = defaultdict(dict)
    reported = MetricFact.objects.all() if days is None else MetricFact.objects.filter(reported_day__in=days)
    resolved = (
        MetricFact.objects.exclude(resolved_day=None)
        if days is None
        else MetricFact.objects.filter(resolved_day__in=days)
    )
    for dimension, column in ((Dimension.ALL, None), *GROUPS.items()):
        by = [column] if column else []
        for row in reported.values("reported_day", *by).annotate(**sum_expressions()).order_by():
            key = row.pop(column, None) if column else None
            sums[(row.pop("reported_day"), dimension, key or 0)].update(row)
        for row in resolved.values("resolved_day", *by).annotate(**resolved_sum_expressions()).order_by():
            key = row.pop(column, None) if column else None
            sums[(row.pop("resolved_day"), dimension, key or 0)].update(row)
    for major in _majors(days, calendar=calendar):
        day = calendar.day(major.declared_at)
        keys = {Dimension.ALL: 0, **{name: getattr(major, column) or 0 for name, column in GROUPS.items()}}
        for dimension, key in keys.items():
            row = sums[(day, dimension, key)]
            row["major_incident_count"] = row.get("major_incident_count", 0) + 1
    columns = ("day", "dimension", "key", *SUM_NAMES)
    defaults = {name: (None if name.endswith("_sum") else 0) for name in SUM_NAMES}
    records = [
        (day, str(dimension), key, *({**defaults, **row}[name] for name in SUM_NAMES))
        for (day, dimension, key), row in sums.items()
    ]
    if connection.vendor == "postgresql":
        _copy(MetricRollup, columns, records)
    else:
        MetricRollup.objects.bulk_create(
            (MetricRollup(**dict(zip(columns, record, strict=True))) for record in records), batch_size=500
        )
    return len(records)


def _majors(days: set[dt.date] | None, *, calendar: ReportingCalendar) -> list[Any]:
    if days is None:
        return major_incident_declarations()
    since = calendar.day_start(min(days))
    until = calendar.day_start(max(days) + dt.timedelta(days=1))
    return [
        row
        for row in major_incident_declarations(since=since, until=until)
        if calendar.day(row.declared_at) in days
    ]


def rollups_pending() -> int:
    """How many changed incidents wait for the next refresh."""
    return MetricDirty.objects.aggregate(n=Count("id"))["n"]
