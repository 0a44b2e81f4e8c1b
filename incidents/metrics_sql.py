"""The per-incident figures of `incidents.metrics`, compiled as ORM expressions so that PostgreSQL computes
them itself: a rollup recompute over a million incidents moves no incident row through Python.

Nothing is defined here that `incidents.metrics` does not define: the measures are its `MEASURES` (only those
whose milestones `recorded_milestones()` finds on the model), the counted incidents its `incident_counts`,
the SLA outcomes its `_sla_met` of the clocks `incident_rows` reads (joined), the day its `ReportingCalendar.day`, and business time the same
`BusinessRuler` the Python path measures with: its working segments (start, end, business seconds elapsed
before each, as POSIX seconds) are handed to the query as three float8 arrays, and an instant's elapsed
business time is the ruler's own formula, `before[i] + least(at, ends[i]) - starts[i]` with
`i = width_bucket(at, starts)` (PostgreSQL's binary search: the number of segment starts <= at, which is
Python's `bisect_right`). Same float8 arithmetic in the same order, and `round()` that rounds half to even on
both sides, so the figures are identical to the Python path's, not merely close (tests/postmortems hold
the two to each other on generated incidents across DST, holidays and lunch breaks).

The ruler must span every milestone of the incidents measured (`figures_span`): the Python path falls back
to `business_between` outside its span, which a query cannot do. PostgreSQL only: SQLite keeps the Python
path (`postmortems.rollups`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Expression,
    F,
    FloatField,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Least, TruncDate
from django.db.models.lookups import Exact, LessThan, LessThanOrEqual
from django.db.models.sql import Query
from django.utils import timezone

from escalation.calendars import BusinessRuler
from escalation.models import SlaClock, SlaClockKind, SlaClockState

from .metrics import (
    GROUPS,
    MEASURES,
    IncidentState,
    ReportingCalendar,
    incident_counts,
    recorded_milestones,
)
from .models import Incident

MARGIN = dt.timedelta(days=1)


def counted() -> Q:
    """`incident_counts` as a condition: every state it counts (a test holds the two together)."""
    return Q(state__in=[state for state in IncidentState.values if incident_counts(state)])


def figures_span(
    queryset: QuerySet[Incident], *, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime] | None:
    """The instants a ruler must cover to measure every milestone of `queryset` (a day of margin on each
    side, and up to `now`): None when no incident has any milestone. One aggregate query."""
    names = sorted(recorded_milestones())
    bounds = queryset.order_by().aggregate(
        **{f"low_{name}": Min(name) for name in names}, **{f"high_{name}": Max(name) for name in names}
    )
    lows = [value for key, value in bounds.items() if key.startswith("low_") and value is not None]
    highs = [value for key, value in bounds.items() if key.startswith("high_") and value is not None]
    if not lows:
        return None
    return min(lows) - MARGIN, max([*highs, now or timezone.now()]) + MARGIN


class _Epoch(Func):
    """POSIX seconds of an instant as float8 (`datetime.timestamp()`: microseconds / 1e6, correctly rounded)."""

    template = "date_part('epoch', %(expressions)s)"
    output_field = FloatField()


class _RoundHalfEven(Func):
    """float8 `round()`: rint, half to even, like Python's `round()` of a float."""

    template = "round((%(expressions)s)::float8)"
    output_field = FloatField()


class _WidthBucket(Func):
    function = "width_bucket"
    output_field = BigIntegerField()


class _Element(Func):
    """`array[index]` (1-based)."""

    output_field = FloatField()

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        array_sql, array_params = compiler.compile(self.source_expressions[0])
        index_sql, index_params = compiler.compile(self.source_expressions[1])
        return f"({array_sql})[{index_sql}]", (*array_params, *index_params)


def _array(values: list[float]) -> Any:
    return Func(Value(values), template="%(expressions)s::float8[]", output_field=FloatField())


class _Column(Expression):
    """A column of the inner query (`q.<name>`), for the expressions computed over it."""

    def __init__(self, name: str, output_field: Any) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        return f"q.{connection.ops.quote_name(self.name)}", ()


class RulerArrays:
    """A `BusinessRuler`'s segments as query parameters, and its measurement as an expression."""

    def __init__(self, ruler: BusinessRuler) -> None:
        self.ruler = ruler
        self.starts, self.ends, self.before = ruler.starts, ruler.ends, ruler.before
        # Plain (every instant counts) and idle (none does) rulers measure without segments.
        self.segmented = not (ruler.plain or ruler.idle)

    def index(self, at: Any) -> Any:
        """`bisect_right(starts, at)`: how many segments start at or before `at` (NULL for NULL)."""
        return _WidthBucket(at, _array(self.starts))

    def _elapsed_until(self, at: Any, index: Any) -> Any:
        """`BusinessRuler._elapsed_until`: zero before the first segment; `index` is `self.index(at)`."""
        # CASE WHEN i = 0 THEN 0 ELSE ... END: a NULL instant stays NULL (the figure is left out).
        return Case(
            When(Exact(index, 0), then=Value(0.0)),
            default=(
                _Element(_array(self.before), index)
                + Least(at, _Element(_array(self.ends), index))
                - _Element(_array(self.starts), index)
            ),
            output_field=FloatField(),
        )

    def seconds(self, start: Any, end: Any, start_index: Any = None, end_index: Any = None) -> Any:
        """`BusinessRuler.seconds(start, end)` of two float8 expressions (POSIX seconds), inside its span;
        their `index()` may be given, computed once elsewhere."""
        if self.ruler.plain:
            measured: Any = end - start
        elif self.ruler.idle:
            measured = (end - start) * Value(0.0)  # zero, and NULL when a milestone is missing
        else:
            measured = self._elapsed_until(
                end, end_index if end_index is not None else self.index(end)
            ) - self._elapsed_until(start, start_index if start_index is not None else self.index(start))
        return Case(
            When(LessThanOrEqual(end, start), then=Value(0.0)), default=measured, output_field=FloatField()
        )


def _whole(expression: Any) -> Any:
    return Cast(_RoundHalfEven(expression), BigIntegerField())


def _measured() -> list[Any]:
    """The measures whose two milestones incidents record (the others stay NULL, as in Python)."""
    recorded = recorded_milestones()
    return [measure for measure in MEASURES if {measure.start, measure.end} <= recorded]


def _carried(calendar: ReportingCalendar) -> dict[str, Any]:
    """The figures that are an incident's own values: its id, days (in the reporting zone) and groups."""
    zone = calendar.zone
    return {
        "incident_id": F("id"),
        "reported_day": TruncDate("reported_at", tzinfo=zone),
        "resolved_day": TruncDate("resolved_at", tzinfo=zone),
        "priority": F("priority"),
        **{column: F(column) for column in GROUPS.values() if column != "priority"},
    }


def _measure_expressions(arrays: RulerArrays) -> dict[str, Any]:
    """`<measure>_seconds` and `<measure>_business_seconds` over the inner query's columns: `ep_<milestone>`
    (POSIX seconds) and, on a segmented ruler, `ix_<milestone>` (its segment index), each computed once."""
    expressions: dict[str, Any] = {}
    for measure in _measured():
        start, end = (_Column(f"ep_{name}", FloatField()) for name in (measure.start, measure.end))
        # max(end - start, 0.0); not GREATEST, which skips NULLs (a missing milestone would count as zero).
        elapsed = end - start
        expressions[f"{measure.name}_seconds"] = _whole(
            Case(When(LessThan(elapsed, 0.0), then=Value(0.0)), default=elapsed, output_field=FloatField())
        )
        indexes = (
            [_Column(f"ix_{name}", BigIntegerField()) for name in (measure.start, measure.end)]
            if arrays.segmented
            else [None, None]
        )
        expressions[f"{measure.name}_business_seconds"] = _whole(arrays.seconds(start, end, *indexes))
    return expressions


PREFIX = "fig_"

# The SLA outcomes: `incidents.metrics._sla_met` of the clock of each kind that `incident_rows` reads.
SLA_CLOCKS = {"sla_ack_met": SlaClockKind.ACKNOWLEDGE, "sla_resolve_met": SlaClockKind.RESOLVE}


def figures_query(
    queryset: QuerySet[Incident], *, calendar: ReportingCalendar, ruler: BusinessRuler
) -> tuple[str, list[Any], list[str]]:
    """SQL selecting the figures of every counted incident of `queryset`, its parameters, and the names of
    the columns it selects, in order (`IncidentFigures`' field names; each selected as `fig_<name>`).

    The SLA outcomes come from the incident's clocks LEFT JOINed by kind (at most one per incident and kind,
    a unique constraint says so: the same clock `incident_rows`' subquery finds), hashed once rather than
    looked up per incident: met True, breached False, anything else or no clock NULL."""
    arrays = RulerArrays(ruler)
    carried = _carried(calendar)
    # The inner query: the incident's own figures, and each milestone's POSIX seconds and segment index
    # once (OFFSET 0 keeps PostgreSQL from folding it into the outer query, which would copy them back into
    # every place they are used).
    inner_columns: dict[str, Any] = {PREFIX + name: expression for name, expression in carried.items()}
    for name in sorted({name for measure in _measured() for name in (measure.start, measure.end)}):
        inner_columns[f"ep_{name}"] = _Epoch(F(name))
        if arrays.segmented:
            inner_columns[f"ix_{name}"] = arrays.index(_Epoch(F(name)))
    rows = queryset.filter(counted()).order_by().annotate(**inner_columns).values(*inner_columns)
    inner, inner_params = rows.query.sql_with_params()
    # The outer query: the measures over those columns, compiled by the ORM.
    measures = _measure_expressions(arrays)
    blank = Query(None)
    compiler = blank.get_compiler(connection=connection)
    outer: list[str] = [f"q.{connection.ops.quote_name(PREFIX + name)}" for name in carried]
    outer_params: list[Any] = []
    for name, expression in measures.items():
        sql, params = compiler.compile(expression.resolve_expression(blank))
        outer.append(f"{sql} AS {connection.ops.quote_name(PREFIX + name)}")
        outer_params.extend(params)
    quote = connection.ops.quote_name
    clock = SlaClock._meta
    incident_type = ContentType.objects.get_for_model(Incident).pk
    selected = outer
    joins, join_params, outcome_params = [], [], []
    names = ("state", "subject_type", "subject_id", "kind")
    column = {name: str(getattr(clock.get_field(name), "column", name)) for name in names}
    for index, (name, kind) in enumerate(SLA_CLOCKS.items()):
        alias = f"c{index}"
        selected.append(
            f"CASE {alias}.{quote(column['state'])} WHEN %s THEN true WHEN %s THEN false END "
            f"AS {quote(PREFIX + name)}"
        )
        outcome_params += [SlaClockState.MET, SlaClockState.BREACHED]
        joins.append(
            f"LEFT JOIN {quote(clock.db_table)} {alias} "
            f"ON {alias}.{quote(column['subject_type'])} = %s "
            f"AND {alias}.{quote(column['subject_id'])} = q.{quote(PREFIX + 'incident_id')} "
            f"AND {alias}.{quote(column['kind'])} = %s"
        )
        join_params += [incident_type, kind]
    sql = f"SELECT {', '.join(selected)} FROM ({inner} OFFSET 0) q {' '.join(joins)}"  # noqa: S608 (our names)
    return (
        sql,
        [*outer_params, *outcome_params, *inner_params, *join_params],
        [*carried, *measures, *SLA_CLOCKS],
    )
