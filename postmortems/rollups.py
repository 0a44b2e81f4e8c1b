"""Metric rollups: per-incident figures (`MetricFact`) and their sums per day and group (`MetricRollup`),
kept up to date incrementally.

Every change to an incident appends its id to `MetricDirty` in the changing transaction (`rollup_mark`,
connected in `PostmortemsConfig.ready()`); the `postmortems.rollups_refresh` beat task takes those ids,
recomputes their figures with `incidents.metrics`, and re-sums only the days they touch (the day each one
was reported and resolved, now and before). `rollups_recompute` rebuilds everything, for a new reporting
calendar or after an import; the refresh does that by itself when the calendar's fingerprint changed.

One refresh at a time: both entry points lock the `MetricState` row (a second one finds it locked and
returns), and write in one transaction, so readers see the old sums or the new ones, never half."""

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from incidents.metrics import (
    FIGURE_FIELDS,
    GROUPS,
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
from incidents.metrics_sql import PREFIX, figures_query, figures_span
from incidents.models import Incident

from .models import Dimension, MetricDirty, MetricFact, MetricRollup, MetricState

logger = logging.getLogger(__name__)

BATCH = 10_000


def rollup_mark(*, incident_ids: Iterable[int]) -> None:
    """These incidents' figures may have changed: refresh them at the next `rollups_refresh`. Runs in the
    caller's transaction (an append, so that concurrent incident transactions never wait on each other)."""
    MetricDirty.objects.bulk_create(MetricDirty(incident_id=pk) for pk in set(incident_ids))


def _no_jit() -> None:
    """PostgreSQL's JIT spends seconds compiling each big aggregate of a rebuild and saves nothing here; and
    the rebuild's aggregates and sorts (tens of thousands of groups) spill to disk in the default 4 MB of
    work memory. Both for the transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")


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
        _no_jit()
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
        changed = Incident.objects.filter(pk__in=incident_ids)
        if connection.vendor == "postgresql":
            _facts_insert(changed, calendar=calendar)
            for reported, resolved in MetricFact.objects.filter(pk__in=incident_ids).values_list(
                "reported_day", "resolved_day"
            ):
                days.update(day for day in (reported, resolved) if day is not None)
        else:
            figures = list(incidents_figures(incident_rows(changed), calendar=calendar))
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
        _no_jit()
        return _recompute(state, calendar)


def _recompute(state: MetricState, calendar: ReportingCalendar) -> dict[str, int]:
    now = timezone.now()
    MetricDirty.objects.filter(created_at__lte=now).delete()
    _truncate(MetricFact)
    if connection.vendor == "postgresql":
        with _indexes_after(MetricFact):
            facts = _facts_insert(Incident.objects.all(), calendar=calendar, now=now)
        with connection.cursor() as cursor:  # the sums are planned on the new rows' statistics
            cursor.execute(_analyze(MetricFact, ["reported_day", "resolved_day", *GROUPS.values()]))
    else:
        facts = _facts_python(calendar=calendar, now=now)
    rollups = _days_rebuild(None, calendar=calendar)
    state.calendar_fingerprint = calendar.fingerprint
    state.recomputed_at = state.refreshed_at = now
    state.save()
    logger.info("metric rollups recomputed: %s incidents, %s rollup rows", facts, rollups)
    return {"incidents": facts, "rollups": rollups}


def _facts_insert(queryset: Any, *, calendar: ReportingCalendar, now: dt.datetime | None = None) -> int:
    """PostgreSQL: the facts of every counted incident of `queryset`, computed and inserted by one
    `INSERT ... SELECT` of `incidents.metrics_sql`'s expressions (a ruler spanning their milestones)."""
    span = figures_span(queryset, now=now)
    if span is None:
        return 0
    sql, params, names = figures_query(queryset, calendar=calendar, ruler=calendar.ruler(*span))
    quote = connection.ops.quote_name
    statement = (
        f"INSERT INTO {quote(MetricFact._meta.db_table)} "  # noqa: S608 (names from our models)
        f"({', '.join(quote(_fact_column(name)) for name in names)}) "
        f"SELECT {', '.join('q.' + quote(PREFIX + name) for name in names)} FROM ({sql}) q"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _analyze(model: Any, columns: list[str]) -> str:
    """ANALYZE of the columns queries filter and group on (not every sum: seconds, not a second each)."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    return f"ANALYZE {quote(model._meta.db_table)} ({names})"


def _fact_column(name: str) -> str:
    return str(MetricFact._meta.get_field(name).column)  # type: ignore[union-attr]


def _facts_python(*, calendar: ReportingCalendar, now: dt.datetime) -> int:
    """SQLite (and the reference the SQL path is tested against): figures computed row by row in Python."""
    span = figures_span(Incident.objects.all(), now=now)
    facts = 0
    if span is not None:
        ruler = calendar.ruler(*span)
        chunk: list[IncidentFigures] = []
        for row in _rows_all():
            item = incident_figures(row, calendar=calendar, ruler=ruler)
            if item is None:
                continue
            chunk.append(item)
            if len(chunk) >= BATCH:
                facts += _facts_write(chunk)
                chunk = []
        facts += _facts_write(chunk)
    return facts


def _rows_all() -> Iterator[dict[str, Any]]:
    """Every incident's row of `incident_rows`, streamed. On PostgreSQL the ORM's SQL runs on a server-side
    cursor without Django's per-value converters (a million rows: seconds, not a minute)."""
    queryset = incident_rows()
    if connection.vendor != "postgresql":
        yield from queryset.iterator(chunk_size=BATCH)
        return
    sql, params = queryset.query.sql_with_params()
    names = [*queryset.query.values_select, *queryset.query.annotation_select]
    connection.ensure_connection()
    with connection.connection.cursor(name="metric_rows") as cursor:
        cursor.itersize = BATCH
        cursor.execute(sql, params)
        for values in cursor:
            yield dict(zip(names, values, strict=True))


def _truncate(model: Any) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(model._meta.db_table)}")
    else:
        model.objects.all().delete()


def _copy(model: Any, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Write rows with PostgreSQL's COPY in text format (a million facts in seconds)."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        lines = []
        for row in rows:
            # Numbers, dates and booleans only (str(True) is a boolean PostgreSQL reads): nothing to escape.
            lines.append("\t".join(["\\N" if value is None else str(value) for value in row]))
            if len(lines) >= BATCH:
                copy.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            copy.write("\n".join(lines) + "\n")


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
    """Re-sum the given days (None: every day) from the facts, for every dimension, inside the database:
    one `INSERT ... SELECT` per dimension of the ORM's own aggregate queries (`sum_expressions` over the
    incidents reported each day, `resolved_sum_expressions` over those resolved), joined on day and key.
    No row travels through Python."""
    if days is not None and not days:
        return 0
    if days is None:
        _truncate(MetricRollup)
        with _indexes_after(MetricRollup):
            _days_sum(None, calendar=calendar)
    else:
        MetricRollup.objects.filter(day__in=days).delete()
        _days_sum(days, calendar=calendar)
    if days is None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the reports are planned on the new rows' statistics
            cursor.execute(_analyze(MetricRollup, ["dimension", "day", "key"]))
    rows = MetricRollup.objects.all() if days is None else MetricRollup.objects.filter(day__in=days)
    return rows.count()


@contextlib.contextmanager
def _indexes_after(model: Any) -> Iterator[None]:
    """PostgreSQL, in a full rebuild: the table's secondary indexes and unique constraints are dropped while
    its rows are written and built once after (a sort, rather than one index insertion per row), in the same
    transaction; TRUNCATE locks the table until it ends anyway. Building a unique constraint checks it."""
    if connection.vendor != "postgresql":
        yield
        return
    indexes, constraints = model._meta.indexes, model._meta.constraints
    with connection.schema_editor(atomic=False) as editor:
        for index in indexes:
            editor.remove_index(model, index)
        for constraint in constraints:
            editor.remove_constraint(model, constraint)
    yield
    with connection.schema_editor(atomic=False) as editor:
        for index in indexes:
            editor.add_index(model, index)
        for constraint in constraints:
            editor.add_constraint(model, constraint)


def _days_sum(days: set[dt.date] | None, *, calendar: ReportingCalendar) -> None:
    """Insert the rollups of the given days (None: every day), whose rows are gone."""
    reported = MetricFact.objects.all() if days is None else MetricFact.objects.filter(reported_day__in=days)
    resolved = (
        MetricFact.objects.exclude(resolved_day=None)
        if days is None
        else MetricFact.objects.filter(resolved_day__in=days)
    )
    for dimension, column in ((Dimension.ALL, None), *GROUPS.items()):
        by = [column] if column else []
        _insert_sums(
            reported.values("reported_day", *by).annotate(**sum_expressions()),
            resolved.values("resolved_day", *by).annotate(**resolved_sum_expressions()),
            dimension,
            column,
        )
    for major in _majors(days, calendar=calendar):
        day = calendar.day(major.declared_at)
        keys = {Dimension.ALL: 0, **{name: getattr(major, column) or 0 for name, column in GROUPS.items()}}
        for dimension, key in keys.items():
            row, _created = MetricRollup.objects.get_or_create(day=day, dimension=dimension, key=key)
            MetricRollup.objects.filter(pk=row.pk).update(major_incident_count=F("major_incident_count") + 1)


def _insert_sums(reported: Any, resolved: Any, dimension: str, column: str | None) -> None:
    """INSERT the rows of two aggregate queries, (day, [group column,] sums...) of the incidents reported and
    of those resolved each day, as the rollups of `dimension`: one statement, the two joined on day and key
    (FULL JOIN: a day may have only resolutions, or none). Counts missing on one side are 0, sums NULL."""
    quote = connection.ops.quote_name
    sides = []
    params: list[Any] = [str(dimension)]
    for alias, sums in (("r", reported), ("s", resolved)):
        query = sums.order_by().query
        sql, side_params = query.sql_with_params()
        key = f"COALESCE(q.{quote(column)}, 0)" if column else "0"
        names = list(query.annotation_select)
        selected = ", ".join(f"q.{quote(name)}" for name in names)
        sides.append(
            (
                alias,
                names,
                f"(SELECT q.{quote(query.values_select[0])} AS d, {key} AS k, {selected} FROM ({sql}) q)",  # noqa: S608 (names from our models)
            )
        )
        params.extend(side_params)

    def value(alias: str, name: str) -> str:
        nullable = MetricRollup._meta.get_field(name).null
        return f"{alias}.{quote(name)}" if nullable else f"COALESCE({alias}.{quote(name)}, 0)"

    names = [name for _alias, side_names, _sql in sides for name in side_names]
    values = [value(alias, name) for alias, side_names, _sql in sides for name in side_names]
    target = ", ".join(quote(name) for name in ["day", "dimension", "key", *names])
    (r, _r_names, r_sql), (s, _s_names, s_sql) = sides
    statement = (
        f"INSERT INTO {quote(MetricRollup._meta.db_table)} ({target}) "  # noqa: S608 (names from our models)
        f"SELECT COALESCE({r}.d, {s}.d), %s, COALESCE({r}.k, {s}.k), {', '.join(values)} "
        f"FROM {r_sql} {r} FULL JOIN {s_sql} {s} ON {r}.d = {s}.d AND {r}.k = {s}.k"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


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
