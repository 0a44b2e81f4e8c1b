"""The figures PostgreSQL computes (incidents.metrics_sql) are the Python definition's (incidents.metrics),
exactly: on generated incidents with known milestones, by hand, and on random ones (hypothesis), in
wall-clock and business time across DST, holidays, lunch breaks and a night shift; through the full recompute
and the incremental refresh too."""

import datetime as dt
from datetime import UTC

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.calendars import spec_build
from escalation.models import SlaClock, SlaClockKind, SlaClockState
from incidents.metrics import (
    FIGURE_FIELDS,
    IncidentFigures,
    IncidentState,
    ReportingCalendar,
    incident_counts,
    incident_figures,
    incident_rows,
    recorded_milestones,
    reporting_calendar,
)
from incidents.metrics_sql import counted, figures_query, figures_span
from incidents.models import Incident
from postmortems.models import MetricFact
from postmortems.rollups import _facts_python, _truncate, rollup_mark, rollups_recompute, rollups_refresh
from tests.escalation.factories import BusinessCalendarFactory, HolidayFactory, office_hours
from tests.incidents.factories import IncidentFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"),
]

H = 3600
# Office hours with a lunch break, Monday to Friday, and a Sunday night shift; Easter Monday (the day after
# the spring-forward night of 2026-03-29) and Christmas are holidays. Europe/Paris: CET/CEST.
PARIS = spec_build(
    time_zone="Europe/Paris",
    week=[[(9 * H, 12 * H), (13 * H, 18 * H)]] * 5 + [[], [(22 * H, 86400)]],
    holidays=[dt.date(2026, 3, 30), dt.date(2026, 12, 25)],
)
CALENDARS = {
    "paris": ReportingCalendar(spec=PARIS, time_zone="Europe/Paris", name="paris"),
    "24x7": ReportingCalendar(spec=None, time_zone="UTC"),
    "24x7 with holidays, New York": ReportingCalendar(
        spec=spec_build(time_zone="America/New_York", is_24x7=True, holidays=[dt.date(2026, 11, 1)]),
        time_zone="America/New_York",
    ),
    "no working time": ReportingCalendar(spec=spec_build(time_zone="UTC"), time_zone="UTC"),
}


def sql_figures(queryset, calendar: ReportingCalendar) -> dict[int, IncidentFigures]:
    span = figures_span(queryset)
    assert span is not None
    sql, params, names = figures_query(queryset, calendar=calendar, ruler=calendar.ruler(*span))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [IncidentFigures(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]
    return {row.incident_id: row for row in rows}


def python_figures(queryset, calendar: ReportingCalendar) -> dict[int, IncidentFigures]:
    span = figures_span(queryset)
    assert span is not None
    ruler = calendar.ruler(*span)
    found = (incident_figures(row, calendar=calendar, ruler=ruler) for row in incident_rows(queryset))
    return {row.incident_id: row for row in found if row is not None}


def clock(incident: Incident, kind: str, state: str) -> None:
    SlaClock.objects.create(
        subject_type=ContentType.objects.get_for_model(Incident),
        subject_id=incident.pk,
        kind=kind,
        target=dt.timedelta(hours=1),
        state=state,
        started_at=incident.reported_at,
    )


def test_counted_is_incident_counts() -> None:
    condition = counted()
    for state in IncidentState.values:
        incident = IncidentFactory(state=state)
        assert Incident.objects.filter(condition, pk=incident.pk).exists() == incident_counts(state), state


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS.zone).astimezone(UTC)


def test_known_milestones_by_hand_across_dst_a_holiday_a_lunch_break_and_a_night_shift() -> None:
    """A: reported Friday 2026-03-27 17:30 CET, resolved Tuesday 31st 10:15 CEST (clocks went forward on
    Sunday; Monday is a holiday): wall-clock 3 days 15 h 45 min = 315 900 s; business Friday 17:30-18:00,
    the Sunday night shift 22:00-24:00 and Tuesday 09:00-10:15: 1 800 + 7 200 + 4 500 = 13 500 s.
    Acknowledged 30 min before it was reported (a clock skew): zero, not negative. Both SLAs breached.
    B: reported Wednesday 1 April 11:50, acknowledged 13:20 (lunch from 12 to 13): 5 400 s, business 1 800 s;
    not resolved: no time to resolve at all (no zero). Acknowledge SLA met, resolve clock running.
    C: reported 23:30 UTC on 31 March, which is 1 April in Paris: its day. Cancelled D: left out."""
    a = IncidentFactory(
        reported_at=paris(2026, 3, 27, 17, 30),
        acknowledged_at=paris(2026, 3, 27, 17),
        resolved_at=paris(2026, 3, 31, 10, 15),
        state=IncidentState.RESOLVED,
        priority=1,
    )
    clock(a, SlaClockKind.ACKNOWLEDGE, SlaClockState.BREACHED)
    clock(a, SlaClockKind.RESOLVE, SlaClockState.BREACHED)
    b = IncidentFactory(
        reported_at=paris(2026, 4, 1, 11, 50), acknowledged_at=paris(2026, 4, 1, 13, 20), priority=2
    )
    clock(b, SlaClockKind.ACKNOWLEDGE, SlaClockState.MET)
    clock(b, SlaClockKind.RESOLVE, SlaClockState.RUNNING)
    c = IncidentFactory(reported_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    IncidentFactory(reported_at=paris(2026, 4, 1, 9), state=IncidentState.CANCELLED)
    calendar = CALENDARS["paris"]
    found = sql_figures(Incident.objects.all(), calendar)
    assert set(found) == {a.pk, b.pk, c.pk}
    assert (found[a.pk].resolve_seconds, found[a.pk].resolve_business_seconds) == (315_900, 13_500)
    assert (found[a.pk].ack_seconds, found[a.pk].ack_business_seconds) == (0, 0)
    assert (found[a.pk].sla_ack_met, found[a.pk].sla_resolve_met) == (False, False)
    assert (found[a.pk].reported_day, found[a.pk].resolved_day) == (
        dt.date(2026, 3, 27),
        dt.date(2026, 3, 31),
    )
    assert (found[b.pk].ack_seconds, found[b.pk].ack_business_seconds) == (5_400, 1_800)
    assert (found[b.pk].resolve_seconds, found[b.pk].resolve_business_seconds) == (None, None)
    assert (found[b.pk].sla_ack_met, found[b.pk].sla_resolve_met) == (True, None)
    assert found[c.pk].reported_day == dt.date(2026, 4, 1)
    assert (found[c.pk].ack_seconds, found[c.pk].sla_ack_met) == (None, None)
    assert found == python_figures(Incident.objects.all(), calendar)


# Instants from mid-March to early November 2026 (both DST changes of Paris and New York, the holidays),
# to the microsecond; milestones a few seconds to three weeks after (or a little before) the report.
LOW = dt.datetime(2026, 3, 10, tzinfo=UTC)
reported = st.integers(min_value=0, max_value=240 * 86400 * 10**6).map(
    lambda us: LOW + dt.timedelta(microseconds=us)
)
offset = st.one_of(
    st.none(),
    st.integers(min_value=-3600 * 10**6, max_value=21 * 86400 * 10**6).map(
        lambda us: dt.timedelta(microseconds=us)
    ),
    st.sampled_from([dt.timedelta(0), dt.timedelta(hours=1), dt.timedelta(days=7)]),
)
sla_state = st.one_of(st.none(), st.sampled_from(SlaClockState.values))
# Every milestone the model records besides the report (acknowledged and resolved; occurred, detected and
# mitigated once incidents have them), each at an offset from the report or missing.
MILESTONES = sorted(recorded_milestones() - {"reported_at"})
incidents = st.lists(
    st.tuples(
        reported,
        st.lists(offset, min_size=len(MILESTONES), max_size=len(MILESTONES)),
        st.sampled_from(IncidentState.values),
        st.integers(min_value=1, max_value=4),
        sla_state,
        sla_state,
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.parametrize("name", list(CALENDARS))
def test_the_sql_figures_are_the_python_figures(name: str) -> None:
    calendar = CALENDARS[name]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(rows=incidents)
    def check(rows) -> None:
        with transaction.atomic():
            for at, offsets, state, priority, ack_sla, resolve_sla in rows:
                milestones = {
                    name: at + delta if delta is not None else None
                    for name, delta in zip(MILESTONES, offsets, strict=True)
                }
                incident = IncidentFactory(reported_at=at, state=state, priority=priority, **milestones)
                for kind, sla in ((SlaClockKind.ACKNOWLEDGE, ack_sla), (SlaClockKind.RESOLVE, resolve_sla)):
                    if sla is not None:
                        clock(incident, kind, sla)
            expected = python_figures(Incident.objects.all(), calendar)
            assert sql_figures(Incident.objects.all(), calendar) == expected
            assert len(expected) == sum(1 for row in rows if incident_counts(row[2]))
            transaction.set_rollback(True)

    check()


def facts() -> list[tuple]:
    return list(MetricFact.objects.order_by("pk").values_list(*FIGURE_FIELDS))


@override_settings(VIGIL_REPORTING_CALENDAR="Paris office")
def test_the_recompute_and_the_refresh_store_the_python_figures() -> None:
    with time_machine.travel(dt.datetime(2026, 6, 1, tzinfo=UTC), tick=False):
        calendar = office_hours(BusinessCalendarFactory(name="Paris office", time_zone="Europe/Paris"))
        HolidayFactory(calendar=calendar, date=dt.date(2026, 3, 30))
        start = paris(2026, 3, 25, 8, 0)
        for n in range(40):
            at = start + dt.timedelta(hours=7 * n, minutes=13 * n, seconds=n, microseconds=997 * n)
            IncidentFactory(
                reported_at=at,
                acknowledged_at=at + dt.timedelta(minutes=17 * n) if n % 5 else None,
                resolved_at=at + dt.timedelta(hours=5 * n, seconds=n) if n % 3 else None,
                state=IncidentState.CANCELLED if n % 11 == 0 else IncidentState.RESOLVED,
            )
        assert rollups_recompute()["incidents"] == 36
        stored = facts()
        _truncate(MetricFact)
        _facts_python(calendar=reporting_calendar(), now=dt.datetime(2026, 6, 1, tzinfo=UTC))
        assert facts() == stored
        # A late edit: the refresh recomputes that incident in SQL, as Python would.
        oldest = Incident.objects.exclude(state=IncidentState.CANCELLED).order_by("pk").first()
        assert oldest is not None
        Incident.objects.filter(pk=oldest.pk).update(resolved_at=paris(2026, 3, 31, 10, 15, 0))
        rollup_mark(incident_ids=[oldest.pk])
        assert rollups_refresh() == 1
        refreshed = MetricFact.objects.get(pk=oldest.pk)
        queryset = Incident.objects.filter(pk=oldest.pk)
        assert python_figures(queryset, reporting_calendar())[oldest.pk] == IncidentFigures(
            **{name: getattr(refreshed, name) for name in FIGURE_FIELDS}
        )


def test_milestones_on_the_segments_edges_and_the_clock_changes() -> None:
    """Where the binary searches meet equality: every milestone exactly at a segment's start or end (09:00,
    12:00, 13:00, 18:00, the Sunday night shift's 22:00 and midnight), at the instants the clocks change, and
    half a second either side (rounded half to even on both paths)."""
    calendar = CALENDARS["paris"]
    ruler = calendar.ruler(paris(2026, 3, 20, 0), paris(2026, 4, 10, 0))
    edges = [dt.datetime.fromtimestamp(at, UTC) for at in ruler.starts[:12] + ruler.ends[:12]]
    edges += [dt.datetime(2026, 3, 29, 1, tzinfo=UTC), dt.datetime(2026, 3, 30, 7, tzinfo=UTC)]
    instants = sorted({at + dt.timedelta(milliseconds=ms) for at in edges for ms in (-500, 0, 500)})
    for n, at in enumerate(instants):
        later = instants[(n * 7 + 3) % len(instants)]
        IncidentFactory(reported_at=at, acknowledged_at=later, resolved_at=instants[-1 - n])
    found = sql_figures(Incident.objects.all(), calendar)
    assert len(found) == len(instants)
    assert found == python_figures(Incident.objects.all(), calendar)
    assert any(row.ack_business_seconds for row in found.values())
