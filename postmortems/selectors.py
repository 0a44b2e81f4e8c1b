"""Reads the metrics API, the reports pages and the weekly digest share.

Figures come from the rollups (`MetricRollup`: a few rows per day and group) when no filter narrows the
incidents, and from the per-incident facts (`MetricFact`, indexed by day) when filters combine groups that
one rollup row cannot hold; both hold the sums `incidents.metrics` defines, and `figures_from_sums` turns
either into the same figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.models import Team
from incidents.metrics import (
    GROUPS,
    SUM_NAMES,
    ReportingCalendar,
    figures_from_sums,
    major_incident_declarations,
    major_incident_figures,
    reporting_calendar_cached,
    resolved_sum_expressions,
    sum_expressions,
)
from incidents.models import IncidentCategory, Priority, Service

from .models import ActionItem, ActionItemState, Dimension, MetricFact, MetricRollup, Postmortem

INTERVALS = ("day", "week", "month")


@dataclass(frozen=True)
class MetricsQuery:
    """What a report asks for: incidents reported in [since, until) (whole days of the reporting zone),
    narrowed by `filters` (group -> ids, or priority numbers), optionally broken down by `group_by`."""

    since: dt.datetime
    until: dt.datetime
    group_by: str | None = None
    filters: dict[str, list[int]] = field(default_factory=dict)
    interval: str = "day"
    # Read once per request (`reporting_calendar_cached`) and handed along; None: read it when needed.
    calendar: ReportingCalendar | None = field(default=None, compare=False)

    @property
    def reporting(self) -> ReportingCalendar:
        return self.calendar if self.calendar is not None else reporting_calendar_cached()

    def days(self, calendar: ReportingCalendar | None = None) -> tuple[dt.date, dt.date]:
        """The first and last day the range touches."""
        calendar = calendar or self.reporting
        return calendar.day(self.since), calendar.day(self.until - dt.timedelta(microseconds=1))

    def but(self, **changes: Any) -> MetricsQuery:
        """The same query with some fields changed (and the same calendar)."""
        return replace(self, **changes)


def _rollup_sums() -> dict[str, Any]:
    return {name: Sum(name) for name in SUM_NAMES}


def _facts(query: MetricsQuery) -> QuerySet[MetricFact]:
    condition = Q()
    for group, values in query.filters.items():
        if values:
            condition &= Q(**{f"{GROUPS[group]}__in": values})
    return MetricFact.objects.filter(condition)


def _use_rollups(query: MetricsQuery) -> tuple[str, list[int]] | None:
    """The rollup dimension and keys that answer the query, or None when only the facts can: no filter
    (any group_by), or a filter on one group that is also the group_by (or with no group_by)."""
    active = {group: values for group, values in query.filters.items() if values}
    if not active:
        return (Dimension.ALL, [0])
    if len(active) == 1:
        group, values = next(iter(active.items()))
        if query.group_by in (None, group):
            return (group, values)
    return None


def _sums_by_key(
    query: MetricsQuery, *, first: dt.date, last: dt.date, by_day: bool, calendar: ReportingCalendar
) -> dict[tuple[dt.date | None, int | None], dict[str, int]]:
    """Sums per (day or None, group key or None), for the days [first, last]."""
    out: dict[tuple[dt.date | None, int | None], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(SUM_NAMES, 0)
    )
    rollup = _use_rollups(query)
    if rollup is not None:
        dimension, keys = rollup
        grouped = query.group_by is not None
        if query.group_by is not None and dimension == Dimension.ALL:
            dimension = query.group_by
        rollups = MetricRollup.objects.filter(dimension=dimension, day__gte=first, day__lte=last)
        if rollup[0] != Dimension.ALL:
            rollups = rollups.filter(key__in=keys)
        names = [*(["day"] if by_day else []), *(["key"] if grouped else [])]
        values = (
            rollups.values(*names).annotate(**_rollup_sums()).order_by()
            if names
            else [rollups.aggregate(**_rollup_sums())]
        )
        for row in values:
            slot = (row.pop("day", None), row.pop("key", None))
            _accumulate(out[slot], row)
        return out
    facts = _facts(query)
    column = GROUPS[query.group_by] if query.group_by else None
    for day_field, expressions, filter_field in (
        ("reported_day", sum_expressions(), "reported_day"),
        ("resolved_day", resolved_sum_expressions(), "resolved_day"),
    ):
        rows = facts.filter(**{f"{filter_field}__gte": first, f"{filter_field}__lte": last})
        names = [*([day_field] if by_day else []), *([column] if column else [])]
        values = (
            rows.values(*names).annotate(**expressions).order_by()
            if names
            else [rows.aggregate(**expressions)]
        )
        for row in values:
            day = row.pop(day_field, None)
            key = row.pop(column, None) if column else None
            _accumulate(out[(day, (key or 0) if column else None)], row)
    for major in _majors(query, calendar=calendar):
        day = calendar.day(major.declared_at) if by_day else None
        key = (getattr(major, GROUPS[query.group_by]) or 0) if query.group_by else None
        out[(day, key)]["major_incident_count"] += 1
    return out


def _accumulate(totals: dict[str, int], row: dict[str, Any]) -> None:
    for name, value in row.items():
        if name in totals and value is not None:
            totals[name] += value


def _majors(query: MetricsQuery, *, calendar: ReportingCalendar) -> list[Any]:
    rows = major_incident_declarations(since=query.since, until=query.until)
    return [
        row
        for row in rows
        if all(not values or getattr(row, GROUPS[group]) in values for group, values in query.filters.items())
    ]


def _backlog(query: MetricsQuery, *, last: dt.date) -> dict[int | None, int]:
    """Incidents open at the end of `last` (reported by then, not resolved by then), per group key."""
    column = GROUPS[query.group_by] if query.group_by else None
    rollup = _use_rollups(query)
    out: dict[int | None, int] = defaultdict(int)
    if rollup is not None:
        dimension, keys = rollup
        if query.group_by and dimension == Dimension.ALL:
            dimension = query.group_by
        rollups = MetricRollup.objects.filter(dimension=dimension, day__lte=last)
        if rollup[0] != Dimension.ALL:
            rollups = rollups.filter(key__in=keys)
        names = ["key"] if query.group_by else []
        sums = {"opened": Sum("incident_count"), "closed": Sum("resolved_on_day")}
        values = rollups.values(*names).annotate(**sums).order_by() if names else [rollups.aggregate(**sums)]
        for row in values:
            out[row.get("key")] += (row["opened"] or 0) - (row["closed"] or 0)
        return out
    facts = _facts(query)
    names = [column] if column else []
    for sign, rows in ((1, facts.filter(reported_day__lte=last)), (-1, facts.filter(resolved_day__lte=last))):
        values = (
            rows.values(*names).annotate(n=Count("pk")).order_by()
            if names
            else [rows.aggregate(n=Count("pk"))]
        )
        for row in values:
            out[(row.get(column) or 0) if column else None] += sign * (row["n"] or 0)
    return out


def group_labels(group: str, keys: list[int]) -> dict[int, str]:
    """What people read for each key of a group: P1, a service's name, ... (`none` for incidents without)."""
    labels: dict[int, str] = {0: _("(none)")}
    if group == "priority":
        labels.update({value: str(label) for value, label in Priority.choices})
    else:
        models: dict[str, type[Service] | type[Team] | type[IncidentCategory]] = {
            "service": Service,
            "team": Team,
            "category": IncidentCategory,
        }
        model = models[group]
        named = model._default_manager.filter(pk__in=[k for k in keys if k]).values_list("pk", "name")
        labels.update({pk: str(name) for pk, name in named})
    return {key: labels.get(key, str(key)) for key in keys}


def _rollup_summary(
    query: MetricsQuery, rollup: tuple[str, list[int]], *, first: dt.date, last: dt.date
) -> tuple[dict[str, int], dict[int, dict[str, int]], dict[int | None, int]]:
    """Overall sums, sums per key and backlog per key, in one query over the rollups: the range's sums and
    the backlog (everything up to the last day) are conditional sums of the same rows. Every incident has
    exactly one key in a dimension (0 when it has no such group), so the overall sums add the keys up."""
    dimension, keys = rollup
    if query.group_by and dimension == Dimension.ALL:
        dimension = query.group_by
    rows = MetricRollup.objects.filter(dimension=dimension, day__lte=last)
    if rollup[0] != Dimension.ALL:
        rows = rows.filter(key__in=keys)
    in_range = Q(day__gte=first)
    # The backlog's sums first: after them, names such as incident_count are the range's aggregates.
    aggregates: dict[str, Any] = {"opened": Sum("incident_count"), "closed": Sum("resolved_on_day")}
    aggregates.update({name: Sum(name, filter=in_range) for name in SUM_NAMES})
    overall = dict.fromkeys(SUM_NAMES, 0)
    per_key: dict[int, dict[str, int]] = {}
    backlog: dict[int | None, int] = defaultdict(int)
    for values in rows.values("key").annotate(**aggregates).order_by("key"):
        row: dict[str, Any] = dict(values)
        key = row.pop("key")
        backlog[key] = (row.pop("opened") or 0) - (row.pop("closed") or 0)
        backlog[None] += backlog[key]
        per_key[key] = dict.fromkeys(SUM_NAMES, 0)
        _accumulate(per_key[key], row)
        _accumulate(overall, row)
    return overall, per_key, backlog


def metrics_summary(query: MetricsQuery, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The figures of `incidents.metrics` over the query's days, overall and per group, with the backlog at
    the end of the range and the major-incident figures."""
    calendar = query.reporting
    query = query.but(calendar=calendar)
    first, last = query.days(calendar)
    rollup = _use_rollups(query)
    if rollup is not None:
        totals, per_key, backlog = _rollup_summary(query, rollup, first=first, last=last)
    else:
        overall_query = query.but(group_by=None)
        totals = _sums_by_key(overall_query, first=first, last=last, by_day=False, calendar=calendar).get(
            (None, None), dict.fromkeys(SUM_NAMES, 0)
        )
        backlog = _backlog(overall_query, last=last)
        if query.group_by:
            grouped = _sums_by_key(query, first=first, last=last, by_day=False, calendar=calendar)
            per_key = {key: sums for (_day, key), sums in grouped.items() if key is not None}
            backlog = {**_backlog(query, last=last), None: backlog.get(None, 0)}
        else:
            per_key = {}
    figures = figures_from_sums(totals)
    figures["backlog"] = backlog.get(None, 0)
    majors = major_incident_figures(since=query.since, until=query.until, now=now or timezone.now())
    figures["mtbmi_seconds"] = majors["mtbmi_seconds"]
    figures["days_since_last_major_incident"] = majors["days_since_last_major_incident"]
    body: dict[str, Any] = {
        "since": query.since,
        "until": query.until,
        "first_day": first,
        "last_day": last,
        "time_zone": calendar.time_zone,
        "calendar": calendar.name or None,
        "group_by": query.group_by,
        "filters": {group: values for group, values in query.filters.items() if values},
        **figures,
    }
    if query.group_by:
        keys = sorted(
            {key for key, sums in per_key.items() if any(sums.values())}
            | {key for key, value in backlog.items() if key is not None and value}
        )
        labels = group_labels(query.group_by, keys)
        body["groups"] = [
            {
                "key": key,
                "label": labels[key],
                **figures_from_sums(per_key.get(key, dict.fromkeys(SUM_NAMES, 0))),
                "backlog": backlog.get(key, 0),
            }
            for key in keys
        ]
    return body


def _bucket(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _buckets(first: dt.date, last: dt.date, interval: str) -> list[dt.date]:
    found: list[dt.date] = []
    day = first
    while day <= last:
        bucket = _bucket(day, interval)
        if not found or found[-1] != bucket:
            found.append(bucket)
        day += dt.timedelta(days=1)
    return found


def metrics_timeseries(query: MetricsQuery) -> dict[str, Any]:
    """The same figures per day, week (from Monday) or month, overall and per group, for charts."""
    calendar = query.reporting
    first, last = query.days(calendar)
    sums = _sums_by_key(query, first=first, last=last, by_day=True, calendar=calendar)
    buckets = _buckets(first, last, query.interval)
    folded: dict[tuple[dt.date, int | None], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(SUM_NAMES, 0)
    )
    for (day, key), row in sums.items():
        if day is not None:
            _accumulate(folded[(_bucket(day, query.interval), key)], row)
    body: dict[str, Any] = {
        "since": query.since,
        "until": query.until,
        "interval": query.interval,
        "time_zone": calendar.time_zone,
        "group_by": query.group_by,
    }
    empty = dict.fromkeys(SUM_NAMES, 0)
    if not query.group_by:
        body["series"] = [
            {"period": bucket, **figures_from_sums(folded.get((bucket, None), empty))} for bucket in buckets
        ]
        return body
    keys = sorted({key or 0 for _bucket_day, key in folded})
    labels = group_labels(query.group_by, keys)
    body["groups"] = [
        {
            "key": key,
            "label": labels[key],
            "series": [
                {"period": bucket, **figures_from_sums(folded.get((bucket, key), empty))}
                for bucket in buckets
            ],
        }
        for key in keys
    ]
    return body


# --- the reports' lists -------------------------------------------------------------------------------------


def action_items_overdue(*, today: dt.date | None = None) -> QuerySet[ActionItem]:
    """Open action items whose due date has passed (in the reporting zone), oldest due first."""
    today = today or reporting_calendar_cached().day(timezone.now())
    return (
        ActionItem.objects.filter(
            state__in=[ActionItemState.OPEN, ActionItemState.IN_PROGRESS], due_date__lt=today
        )
        .select_related("owner", "postmortem")
        .order_by("due_date", "id")
    )


def postmortem_list() -> QuerySet[Postmortem]:
    """Newest first (pages stay stable: the id breaks ties)."""
    return (
        Postmortem.objects.select_related("owner", "subject_type")
        .annotate(
            open_items=Count("action_items", filter=Q(action_items__state__in=["open", "in_progress"])),
            item_count=Count("action_items"),
        )
        .order_by("-created_at", "-id")
    )
