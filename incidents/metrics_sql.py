"""The per-incident figures of `incidents.metrics`, compiled as ORM expressions so that PostgreSQL computes
them itself: a rollup recompute over a million incidents moves no incident row through Python.

Nothing is defined here that `incidents.metrics` does not define: the measures are its `MEASURES` (only those
whose milestones `recorded_milestones()` finds on the model), the counted incidents its `incident_counts`,
the SLA outcomes its `_sla_met` of the clocks `incident_rows` reads, the day its `ReportingCalendar.day`, and business time the same
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
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    F,
    FloatField,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Least, TruncDate
from django.db.models.lookups import Exact, LessThan, LessThanOrEqual
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

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        array_sql, array_params = compiler.compile(self.source_expressions[0])
        index_sql, index_params = compiler.compile(self.source_expressions[1])
        return f"({array_sql})[{index_sql}]", [*array_params, *index_params]


def _array(values: list[float]) -> Any:
    return Func(Value(values), template="%(expressions)s::float8[]", output_field=FloatField())


class RulerArrays:
    """A `BusinessRuler`'s segments as query parameters, and its measurement as an expression."""

    def __init__(self, ruler: BusinessRuler) -> None:
        self.ruler = ruler
        self.starts, self.ends, self.before = ruler.starts, ruler.ends, ruler.before

    def _elapsed_until(self, at: Any) -> Any:
        """`BusinessRuler._elapsed_until`: zero before the first segment."""
        index = _WidthBucket(at, _array(self.starts))
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

    def seconds(self, start: Any, end: Any) -> Any:
        """`BusinessRuler.seconds(start, end)` of two float8 expressions (POSIX seconds), inside its span."""
        if self.ruler.plain:
            measured: Any = end - start
        elif self.ruler.idle:
            measured = (end - start) * Value(0.0)  # zero, and NULL when a milestone is missing
        else:
            measured = self._elapsed_until(end) - self._elapsed_until(start)
        return Case(
            When(LessThanOrEqual(end, start), then=Value(0.0)), default=measured, output_field=FloatField()
        )


def _whole(expression: Any) -> Any:
    return Cast(_RoundHalfEven(expression), BigIntegerField())


def _sla_met(kind: str) -> Subquery:
    """`incidents.metrics._sla_met` of the incident's clock of `kind` (the clock `incident_rows` reads): met
    True, breached False, anything else or no clock NULL. One lookup per clock: the outcome is computed inside
    the subquery."""
    incident_type = ContentType.objects.get_for_model(Incident)
    outcome = Case(
        When(state=SlaClockState.MET, then=Value(True)),
        When(state=SlaClockState.BREACHED, then=Value(False)),
        default=Value(None),
        output_field=BooleanField(),
    )
    return Subquery(
        SlaClock.objects.filter(subject_type_id=incident_type.pk, subject_id=OuterRef("pk"), kind=kind)
        .order_by()
        .values(met=outcome)[:1],
        output_field=BooleanField(),
    )


def figure_expressions(*, calendar: ReportingCalendar, ruler: BusinessRuler) -> dict[str, Any]:
    """`IncidentFigures`' fields (by name) as expressions over `incident_rows`' queryset: what
    `incident_figures` computes in Python. Measures whose milestones incidents do not record are left out
    (NULL, as in Python)."""
    arrays = RulerArrays(ruler)
    zone = calendar.zone
    expressions: dict[str, Any] = {
        "incident_id": F("id"),
        "reported_day": TruncDate("reported_at", tzinfo=zone),
        "resolved_day": TruncDate("resolved_at", tzinfo=zone),
        "priority": F("priority"),
        **{column: F(column) for column in GROUPS.values() if column != "priority"},
    }
    recorded = recorded_milestones()
    for measure in MEASURES:
        if not {measure.start, measure.end} <= recorded:
            continue
        start, end = _Epoch(F(measure.start)), _Epoch(F(measure.end))
        # max(end - start, 0.0); not GREATEST, which skips NULLs (a missing milestone would count as zero).
        elapsed = end - start
        expressions[f"{measure.name}_seconds"] = _whole(
            Case(When(LessThan(elapsed, 0.0), then=Value(0.0)), default=elapsed, output_field=FloatField())
        )
        expressions[f"{measure.name}_business_seconds"] = _whole(arrays.seconds(start, end))
    expressions["sla_ack_met"] = _sla_met(SlaClockKind.ACKNOWLEDGE)
    expressions["sla_resolve_met"] = _sla_met(SlaClockKind.RESOLVE)
    return expressions


PREFIX = "fig_"


def figures_query(
    queryset: QuerySet[Incident], *, calendar: ReportingCalendar, ruler: BusinessRuler
) -> tuple[str, list[Any], list[str]]:
    """SQL selecting the figures of every counted incident of `queryset`, its parameters, and the names of
    the columns it selects, in order (`IncidentFigures`' field names; each selected as `fig_<name>`)."""
    expressions = figure_expressions(calendar=calendar, ruler=ruler)
    rows = (
        queryset.filter(counted())
        .order_by()
        .annotate(**{PREFIX + name: expression for name, expression in expressions.items()})
        .values(*(PREFIX + name for name in expressions))
    )
    sql, params = rows.query.sql_with_params()
    return sql, list(params), list(expressions)
