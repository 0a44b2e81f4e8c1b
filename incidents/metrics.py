"""The one definition of Vigil's incident metrics: every report, API, rollup and KRI computes them here.

Per incident (`incident_figures`), from its milestones:
- time to acknowledge (MTTA): reported -> acknowledged;
- time to resolve (MTTR): reported -> resolved (the last resolution, after any reopen; time on hold counts:
  it is what the reporter waited; SLA compliance, which pauses on hold, is a separate figure);
- time to detect: occurred -> detected, and time to mitigate: reported -> mitigated, where those milestones
  are recorded (the incident fields arrive with the agent's-day work; until then they are left out);
each in wall-clock seconds and in business seconds on the reporting calendar (`reporting_calendar`). A
milestone that is missing leaves that figure out (no zero); a milestone before its start counts as zero.
SLA outcomes come from the engine's clocks: acknowledged (or resolved) within target is met, a clock that
breached is breached, a running, paused or cancelled clock is neither. Cancelled incidents are left out of
every figure, counts and backlog included.

An incident's figures belong to the day it was reported, in the reporting calendar's zone (else TIME_ZONE);
its resolution also counts on the day it was resolved, for the backlog (opened minus resolved, day by day).
Group keys (priority, service, team, category) are the incident's current ones.

Aggregates (`SUM_NAMES`) are sums and counts, so that any set of days and groups adds up exactly; means
and percentages are derived from them at the end (`figures_from_sums`). `sum_expressions` states the same
sums as ORM aggregates over any table whose columns are named like `IncidentFigures` (the post-mortems
app's per-incident facts); `sums_add` states them in Python; the tests hold the two to each other.

Major incidents (issue #9) are counted through `major_incident_declarations`, the one selector that knows
where they live: empty until their model exists."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escalation.calendars import BusinessRuler, CalendarSpec, calendar_snapshot, calendar_spec
from escalation.models import BusinessCalendar, SlaClock, SlaClockKind, SlaClockState

from .models import Incident, IncidentState


@dataclass(frozen=True)
class Measure:
    """A duration between two milestones of an incident."""

    name: str
    start: str
    end: str
    label: Any


MEASURES: tuple[Measure, ...] = (
    Measure("ack", "reported_at", "acknowledged_at", _("time to acknowledge")),
    Measure("resolve", "reported_at", "resolved_at", _("time to resolve")),
    Measure("detect", "occurred_at", "detected_at", _("time to detect")),
    Measure("mitigate", "reported_at", "mitigated_at", _("time to mitigate")),
)

# The groups figures are rolled up and reported by, and the incident field each one reads.
GROUPS: dict[str, str] = {
    "priority": "priority",
    "service": "service_id",
    "team": "team_id",
    "category": "category_id",
}


def recorded_milestones() -> set[str]:
    """The milestone fields incidents have in this version (occurred, detected and mitigated come later)."""
    names = {f.name for f in Incident._meta.get_fields()}
    return {name for m in MEASURES for name in (m.start, m.end) if name in names}


# --- the reporting calendar ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportingCalendar:
    """Where business time and days come from: the calendar named by `VIGIL_REPORTING_CALENDAR` (None: every
    hour counts) and its zone (else TIME_ZONE), which decides the day an incident belongs to."""

    spec: CalendarSpec | None
    time_zone: str
    name: str = ""
    zone: zoneinfo.ZoneInfo = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", zoneinfo.ZoneInfo(self.time_zone))

    def day(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.zone).date()

    def day_start(self, day: dt.date) -> dt.datetime:
        """The instant the day begins in the reporting zone."""
        return dt.datetime.combine(day, dt.time(), tzinfo=self.zone)

    def ruler(self, low: dt.datetime, high: dt.datetime) -> BusinessRuler:
        return BusinessRuler(calendar=self.spec, low=low, high=high)

    @property
    def fingerprint(self) -> str:
        """Changes whenever the figures stored with this calendar would change (hours, holidays, zone)."""
        snapshot = calendar_snapshot(self.spec) if self.spec is not None else None
        raw = json.dumps({"calendar": snapshot, "zone": self.time_zone}, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def reporting_calendar() -> ReportingCalendar:
    """The calendar reports measure business time on (`VIGIL_REPORTING_CALENDAR`, a business calendar's name).

    Not set, or no calendar of that name: 24x7, so business time equals wall-clock time, and days in
    TIME_ZONE."""
    name = getattr(settings, "VIGIL_REPORTING_CALENDAR", "")
    calendar = (
        BusinessCalendar.objects.prefetch_related("intervals", "holidays").filter(name=name).first()
        if name
        else None
    )
    if calendar is None:
        return ReportingCalendar(spec=None, time_zone=settings.TIME_ZONE)
    return ReportingCalendar(spec=calendar_spec(calendar), time_zone=calendar.time_zone, name=calendar.name)


# --- per incident ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncidentFigures:
    """What one counted incident contributes. Seconds are whole; None: the milestone is not recorded."""

    incident_id: int
    reported_day: dt.date
    resolved_day: dt.date | None
    priority: int
    service_id: int | None
    team_id: int | None
    category_id: int | None
    ack_seconds: int | None = None
    ack_business_seconds: int | None = None
    resolve_seconds: int | None = None
    resolve_business_seconds: int | None = None
    detect_seconds: int | None = None
    detect_business_seconds: int | None = None
    mitigate_seconds: int | None = None
    mitigate_business_seconds: int | None = None
    sla_ack_met: bool | None = None
    sla_resolve_met: bool | None = None


FIGURE_FIELDS = tuple(f.name for f in fields(IncidentFigures))


def incident_counts(state: str) -> bool:
    """Whether an incident in this state counts in any figure: every incident but a cancelled one."""
    return state != IncidentState.CANCELLED


def _sla_met(state: str | None) -> bool | None:
    if state == SlaClockState.MET:
        return True
    if state == SlaClockState.BREACHED:
        return False
    return None


def milestone_durations(milestones: Mapping[str, Any], *, ruler: BusinessRuler) -> dict[str, int]:
    """`<measure>_seconds` and `<measure>_business_seconds` of every measure whose two milestones are in
    `milestones` (field name -> aware datetime or None), in whole seconds; a milestone before its start
    counts as zero."""
    durations: dict[str, int] = {}
    for measure in MEASURES:
        start, end = milestones.get(measure.start), milestones.get(measure.end)
        if start is None or end is None:
            continue
        start_s, end_s = start.timestamp(), end.timestamp()
        durations[f"{measure.name}_seconds"] = round(max(end_s - start_s, 0.0))
        durations[f"{measure.name}_business_seconds"] = round(ruler.seconds(start_s, end_s))
    return durations


def incident_figures(
    row: Mapping[str, Any], *, calendar: ReportingCalendar, ruler: BusinessRuler
) -> IncidentFigures | None:
    """The figures of one incident, from a row of `incident_rows` (None when it does not count).

    `ruler` measures business time on `calendar` and should span the row's milestones (outside it, it is
    exact but slower)."""
    if not incident_counts(row["state"]):
        return None
    durations = milestone_durations(row, ruler=ruler)
    resolved = row.get("resolved_at")
    return IncidentFigures(
        incident_id=row["id"],
        reported_day=calendar.day(row["reported_at"]),
        resolved_day=calendar.day(resolved) if resolved is not None else None,
        priority=row["priority"],
        service_id=row["service_id"],
        team_id=row["team_id"],
        category_id=row["category_id"],
        sla_ack_met=_sla_met(row.get("sla_ack_state")),
        sla_resolve_met=_sla_met(row.get("sla_resolve_state")),
        **durations,
    )


def incident_rows(queryset: QuerySet[Incident] | None = None) -> QuerySet[Incident, dict[str, Any]]:
    """The values `incident_figures` reads, SLA outcomes included (one indexed lookup per clock)."""
    queryset = Incident.objects.all() if queryset is None else queryset
    incident_type = ContentType.objects.get_for_model(Incident)

    def clock_state(kind: str) -> Subquery:
        return Subquery(
            SlaClock.objects.filter(subject_type_id=incident_type.pk, subject_id=OuterRef("pk"), kind=kind)
            .order_by()
            .values("state")[:1]
        )

    names = ["id", "state", "priority", *GROUPS.values(), *sorted(recorded_milestones())]
    return (
        queryset.order_by()
        .annotate(
            sla_ack_state=clock_state(SlaClockKind.ACKNOWLEDGE),
            sla_resolve_state=clock_state(SlaClockKind.RESOLVE),
        )
        .values(*dict.fromkeys(names), "sla_ack_state", "sla_resolve_state")
    )


def incidents_figures(
    rows: Iterable[Mapping[str, Any]], *, calendar: ReportingCalendar | None = None
) -> Iterator[IncidentFigures]:
    """The figures of every counted incident among `rows` (from `incident_rows`)."""
    calendar = calendar or reporting_calendar()
    rows = list(rows)
    instants = [row[name] for row in rows for name in recorded_milestones() if row.get(name) is not None]
    if not instants:
        return
    ruler = calendar.ruler(min(instants), max(instants))
    for row in rows:
        figures = incident_figures(row, calendar=calendar, ruler=ruler)
        if figures is not None:
            yield figures


# --- sums, and the figures derived from them -----------------------------------------------------------------

SUM_NAMES: tuple[str, ...] = (
    "incident_count",
    "major_incident_count",
    *(
        name
        for m in MEASURES
        for name in (f"{m.name}_count", f"{m.name}_seconds_sum", f"{m.name}_business_seconds_sum")
    ),
    "sla_ack_met_count",
    "sla_ack_breached_count",
    "sla_resolve_met_count",
    "sla_resolve_breached_count",
    "resolved_on_day",
)


def sum_expressions(*, day_field: str = "reported_day") -> dict[str, Any]:
    """The sums as ORM aggregates over a table with `IncidentFigures`' columns, for the incidents whose
    `day_field` is the day grouped on. `resolved_on_day` is the exception: it counts by `resolved_day`, so it
    is aggregated apart (`resolved_sum_expressions`). Major incidents are not incidents' rows: zero here."""
    expressions: dict[str, Any] = {"incident_count": Count("pk")}
    for m in MEASURES:
        expressions[f"{m.name}_count"] = Count(f"{m.name}_seconds")
        expressions[f"{m.name}_seconds_sum"] = Sum(f"{m.name}_seconds")
        expressions[f"{m.name}_business_seconds_sum"] = Sum(f"{m.name}_business_seconds")
    for clock in ("ack", "resolve"):
        expressions[f"sla_{clock}_met_count"] = Count("pk", filter=Q(**{f"sla_{clock}_met": True}))
        expressions[f"sla_{clock}_breached_count"] = Count("pk", filter=Q(**{f"sla_{clock}_met": False}))
    return expressions


def resolved_sum_expressions() -> dict[str, Any]:
    return {"resolved_on_day": Count("pk")}


def sums_empty() -> dict[str, int]:
    return dict.fromkeys(SUM_NAMES, 0)


def sums_add(totals: dict[str, int], figures: IncidentFigures, *, resolved_in: bool = False) -> None:
    """Add one incident to `totals` in Python, exactly as `sum_expressions` does in SQL; `resolved_in` says
    its resolution falls in the days being summed (`resolved_on_day`)."""
    totals["incident_count"] += 1
    for m in MEASURES:
        seconds = getattr(figures, f"{m.name}_seconds")
        if seconds is not None:
            totals[f"{m.name}_count"] += 1
            totals[f"{m.name}_seconds_sum"] += seconds
            totals[f"{m.name}_business_seconds_sum"] += getattr(figures, f"{m.name}_business_seconds")
    for clock in ("ack", "resolve"):
        met = getattr(figures, f"sla_{clock}_met")
        if met is True:
            totals[f"sla_{clock}_met_count"] += 1
        elif met is False:
            totals[f"sla_{clock}_breached_count"] += 1
    if resolved_in:
        totals["resolved_on_day"] += 1


def _mean(total: int | None, count: int | None) -> float | None:
    if not count:
        return None
    return round((total or 0) / count, 1)


def _percent(met: int | None, breached: int | None) -> float | None:
    met, breached = met or 0, breached or 0
    if not met + breached:
        return None
    return round(100 * met / (met + breached), 2)


# What each figure is called in the API, the CSV and the reports: means of the measures, SLA percentages.
FIGURE_NAMES: dict[str, str] = {
    "ack": "mtta",
    "resolve": "mttr",
    "detect": "mttd",
    "mitigate": "mttm",
}


def figures_from_sums(sums: Mapping[str, int | None]) -> dict[str, Any]:
    """Means and percentages from sums: `mtta_seconds`, `mtta_business_seconds`, `mttr_...`, `mttd_...`,
    `mttm_...` (None when nothing was measured), counts, `sla_ack_met_pct`, `sla_resolve_met_pct` (None when
    no clock reached an outcome) and breach counts."""
    figures: dict[str, Any] = {
        "incident_count": sums.get("incident_count") or 0,
        "major_incident_count": sums.get("major_incident_count") or 0,
    }
    for m in MEASURES:
        short = FIGURE_NAMES[m.name]
        count = sums.get(f"{m.name}_count") or 0
        figures[f"{short}_seconds"] = _mean(sums.get(f"{m.name}_seconds_sum"), count)
        figures[f"{short}_business_seconds"] = _mean(sums.get(f"{m.name}_business_seconds_sum"), count)
        figures[f"{m.name}_count"] = count
    for clock in ("ack", "resolve"):
        met = sums.get(f"sla_{clock}_met_count") or 0
        breached = sums.get(f"sla_{clock}_breached_count") or 0
        figures[f"sla_{clock}_met_pct"] = _percent(met, breached)
        figures[f"sla_{clock}_met_count"] = met
        figures[f"sla_{clock}_breached_count"] = breached
    figures["resolved_on_day_count"] = sums.get("resolved_on_day") or 0
    return figures


# --- major incidents --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MajorIncidentRow:
    """A major incident as the metrics see it: when it was declared and its group keys."""

    declared_at: dt.datetime
    priority: int | None = None
    service_id: int | None = None
    team_id: int | None = None
    category_id: int | None = None


def major_incident_declarations(
    *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[MajorIncidentRow]:
    """Every major incident declared in [since, until), oldest first, cancelled ones left out.

    The one place that knows where major incidents live. Grouped by its severity (the engine's priority for
    major incidents), its primary incident's service and team, and its category."""
    from .models import MajorIncident, MajorIncidentState

    rows = MajorIncident.objects.exclude(state=MajorIncidentState.CANCELLED)
    if since is not None:
        rows = rows.filter(declared_at__gte=since)
    if until is not None:
        rows = rows.filter(declared_at__lt=until)
    return [
        MajorIncidentRow(
            declared_at=declared, priority=severity, service_id=service, team_id=team, category_id=category
        )
        for declared, severity, service, team, category in rows.order_by("declared_at", "id").values_list(
            "declared_at",
            "severity",
            "primary_incident__service_id",
            "primary_incident__team_id",
            "category_id",
        )
    ]


def major_incident_figures(*, since: dt.datetime, until: dt.datetime, now: dt.datetime | None = None) -> dict:
    """`major_incident_count` in [since, until), the mean time between them (`mtbmi_seconds`: the mean gap
    between consecutive declarations in the range, None under two) and `days_since_last_major_incident`
    (whole days from the last declaration before `until` to `now` capped at `until`; None if never)."""
    now = min(now or timezone.now(), until)
    declared = [row.declared_at for row in major_incident_declarations(since=since, until=until)]
    last = major_incident_declarations(until=until)[-1:]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(declared)]
    return {
        "major_incident_count": len(declared),
        "mtbmi_seconds": round(sum(gaps) / len(gaps), 1) if gaps else None,
        "days_since_last_major_incident": (now - last[0].declared_at).days if last else None,
    }


# --- direct computation -----------------------------------------------------------------------------------


def metrics_for(incidents: QuerySet[Incident], *, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    """The figures of the incidents reported in [since, until) among `incidents`, computed from the incidents
    themselves (no rollup): for small windows, such as a KRI on one service's last week. Reports over long
    periods read the post-mortems app's rollups, which hold the same sums."""
    calendar = reporting_calendar()
    totals = sums_empty()
    rows = incident_rows(incidents.filter(reported_at__gte=since, reported_at__lt=until))
    for figures in incidents_figures(rows, calendar=calendar):
        sums_add(totals, figures)
    totals["resolved_on_day"] = (
        incidents.filter(resolved_at__gte=since, resolved_at__lt=until)
        .exclude(state=IncidentState.CANCELLED)
        .count()
    )
    totals["major_incident_count"] = len(major_incident_declarations(since=since, until=until))
    return figures_from_sums(totals)
