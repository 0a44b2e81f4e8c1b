"""Every figure of incidents.metrics on incidents with known milestones, against values computed by hand, in
wall-clock and business time; through the rollups, the facts (filters) and the direct computation alike."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.test import override_settings

from incidents.metrics import (
    SUM_NAMES,
    incident_rows,
    incidents_figures,
    metrics_for,
    sum_expressions,
    sums_add,
    sums_empty,
)
from incidents.models import Incident
from incidents.services import incident_create, incident_transition, incident_update
from postmortems.models import MetricFact, MetricRollup
from postmortems.rollups import rollups_recompute, rollups_refresh
from postmortems.selectors import MetricsQuery, metrics_summary, metrics_timeseries
from tests.escalation.factories import BusinessCalendarFactory, SlaPolicyFactory, office_hours
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db

MON = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
H = 3600


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MON + timedelta(days=day, hours=hour, minutes=minute)


def step(when: datetime, name: str, incident: Incident, **params) -> None:
    with time_machine.travel(when, tick=False):
        incident_transition(incident_id=incident.pk, name=name, by=None, **params)


def report(when: datetime, title: str, priority: int, **fields) -> Incident:
    impact, urgency = {1: (1, 1), 3: (2, 3)}[priority]
    with time_machine.travel(when, tick=False):
        return incident_create(by=None, title=title, impact=impact, urgency=urgency, **fields)


@pytest.fixture
def world():
    """Office hours 09:00-17:00 UTC on weekdays (the reporting calendar); P1 SLA 20 min / 4 h, 24x7.

    A (P1): reported Mon 10:00, acknowledged 10:10, resolved 13:00: 600 s and 10 800 s, business alike; both
        SLAs met.
    B (P1): reported Mon 16:00, acknowledged 16:30, resolved Tue 10:00: 1 800 s and 64 800 s; business 1 800 s
        and 7 200 s (Mon 16-17, Tue 9-10); both SLAs breached.
    C (P3, no SLA): reported Mon 11:00, acknowledged Tue 11:00, still open: 86 400 s; business 28 800 s (Mon
        11-17, Tue 9-11).
    D (P3): reported Mon 12:00, cancelled 12:30: left out of everything."""
    office_hours(BusinessCalendarFactory(name="Office", time_zone="UTC"), spans=((time(9), time(17)),))
    SlaPolicyFactory(
        priority=1, time_to_acknowledge=timedelta(minutes=20), time_to_resolve=timedelta(hours=4)
    )
    checkout, search = ServiceFactory(name="checkout"), ServiceFactory(name="search")
    a = report(at(0, 10), "A", 1, service=checkout)
    b = report(at(0, 16), "B", 1, service=search)
    c = report(at(0, 11), "C", 3, service=checkout)
    d = report(at(0, 12), "D", 3)
    step(at(0, 10, 10), "acknowledge", a)
    step(at(0, 13), "resolve", a)
    step(at(0, 16, 30), "acknowledge", b)
    step(at(1, 10), "resolve", b)
    step(at(1, 11), "acknowledge", c)
    step(at(0, 12, 30), "cancel", d)
    return {"a": a, "b": b, "c": c, "d": d, "checkout": checkout, "search": search}


WEEK = MetricsQuery(since=MON, until=MON + timedelta(days=7))


def expected_overall() -> dict:
    return {
        "incident_count": 3,
        "mtta_seconds": (600 + 1800 + 86400) / 3,
        "mtta_business_seconds": round((600 + 1800 + 28800) / 3, 1),
        "mttr_seconds": (10800 + 64800) / 2,
        "mttr_business_seconds": (10800 + 7200) / 2,
        "mttd_seconds": None,
        "mttm_seconds": None,
        "sla_ack_met_pct": 50.0,
        "sla_resolve_met_pct": 50.0,
        "sla_ack_breached_count": 1,
        "sla_resolve_breached_count": 1,
        "resolved_on_day_count": 2,
        "backlog": 1,
        "major_incident_count": 0,
    }


@override_settings(VIGIL_REPORTING_CALENDAR="Office")
def test_every_figure_by_hand_in_wall_clock_and_business_time(world):
    rollups_refresh()
    summary = metrics_summary(WEEK)
    for name, value in expected_overall().items():
        assert summary[name] == value, name
    assert summary["calendar"] == "Office"

    by_priority = {
        row["key"]: row
        for row in metrics_summary(
            MetricsQuery(since=MON, until=MON + timedelta(days=7), group_by="priority")
        )["groups"]
    }
    assert by_priority[1]["incident_count"] == 2
    assert by_priority[1]["mtta_seconds"] == (600 + 1800) / 2
    assert by_priority[1]["mttr_business_seconds"] == (10800 + 7200) / 2
    assert by_priority[1]["sla_ack_met_pct"] == 50.0
    assert by_priority[3]["incident_count"] == 1
    assert by_priority[3]["mtta_business_seconds"] == 28800
    assert by_priority[3]["mttr_seconds"] is None
    assert by_priority[3]["sla_ack_met_pct"] is None  # no SLA clock, no outcome
    assert by_priority[3]["backlog"] == 1
    assert by_priority[3]["label"].startswith("P3")


@override_settings(VIGIL_REPORTING_CALENDAR="")
def test_without_a_reporting_calendar_business_time_is_wall_clock_time(world):
    rollups_refresh()
    summary = metrics_summary(WEEK)
    assert summary["mtta_business_seconds"] == summary["mtta_seconds"] == (600 + 1800 + 86400) / 3
    assert summary["mttr_business_seconds"] == summary["mttr_seconds"] == 37800
    assert summary["calendar"] is None


@override_settings(VIGIL_REPORTING_CALENDAR="Office")
def test_rollups_facts_and_direct_computation_agree(world):
    rollups_recompute()
    from_rollups = metrics_summary(WEEK)
    # A filter on two groups at once can only be answered from the per-incident facts.
    both = metrics_summary(
        MetricsQuery(since=MON, until=MON + timedelta(days=7), filters={"priority": [1, 3], "service": []})
    )
    direct = metrics_for(Incident.objects.all(), since=MON, until=MON + timedelta(days=7))
    for name in (
        "incident_count",
        "mtta_seconds",
        "mttr_business_seconds",
        "sla_ack_met_pct",
        "resolved_on_day_count",
    ):
        assert from_rollups[name] == both[name] == direct[name], name

    checkout = world["checkout"].pk
    from_facts = metrics_summary(
        MetricsQuery(
            since=MON, until=MON + timedelta(days=7), filters={"priority": [1], "service": [checkout]}
        )
    )
    assert from_facts["incident_count"] == 1  # A only
    assert from_facts["mttr_seconds"] == 10800


def test_sums_in_python_and_in_sql_are_the_same_definition(world):
    rollups_recompute()
    totals = sums_empty()
    for figures in incidents_figures(incident_rows()):
        sums_add(totals, figures)
    in_sql = MetricFact.objects.aggregate(**sum_expressions())
    for name, value in in_sql.items():
        assert (value or 0) == totals[name], name
    rollup_columns = {f.name for f in MetricRollup._meta.concrete_fields} - {"id", "day", "dimension", "key"}
    assert rollup_columns == set(SUM_NAMES)


@override_settings(VIGIL_REPORTING_CALENDAR="Office")
def test_a_late_edit_recomputes_only_the_days_it_touches(world):
    e = report(at(3, 10), "E", 3)  # Thursday
    rollups_refresh()
    thursday = set(MetricRollup.objects.filter(day=at(3, 0).date()).values_list("pk", flat=True))
    monday_before = metrics_summary(MetricsQuery(since=MON, until=MON + timedelta(days=1)))
    assert monday_before["mttr_seconds"] == (10800 + 64800) / 2  # A and B; C is open

    # Friday: C (reported Monday) is resolved, and B moves to the checkout service.
    step(at(4, 11), "resolve", world["c"])
    with time_machine.travel(at(4, 12), tick=False):
        incident_update(incident_id=world["b"].pk, by=None, changes={"service": world["checkout"]})
    assert rollups_refresh() == 2  # two incidents, not the whole history
    assert set(MetricRollup.objects.filter(day=at(3, 0).date()).values_list("pk", flat=True)) == thursday

    monday = metrics_summary(MetricsQuery(since=MON, until=MON + timedelta(days=1)))
    assert monday["mttr_seconds"] == (10800 + 64800 + 4 * 86400) / 3
    week = metrics_summary(MetricsQuery(since=MON, until=MON + timedelta(days=7), group_by="service"))
    services = {row["label"]: row for row in week["groups"]}
    assert services["checkout"]["incident_count"] == 3
    assert "search" not in services
    assert week["backlog"] == 1  # E
    assert e.pk
    series = metrics_timeseries(MetricsQuery(since=MON, until=MON + timedelta(days=7)))["series"]
    assert [point["resolved_on_day_count"] for point in series] == [1, 1, 0, 0, 1, 0, 0]
    assert [point["incident_count"] for point in series] == [3, 0, 0, 1, 0, 0, 0]


def test_a_reopened_incident_leaves_the_day_it_was_resolved_on(world):
    rollups_refresh()
    tuesday = MetricsQuery(since=at(1, 0), until=at(2, 0))
    assert metrics_summary(tuesday)["resolved_on_day_count"] == 1  # B
    step(at(2, 9), "reopen", world["b"])
    rollups_refresh()
    assert metrics_summary(tuesday)["resolved_on_day_count"] == 0
    assert metrics_summary(WEEK)["backlog"] == 2


def test_a_new_reporting_calendar_recomputes_everything(world):
    with override_settings(VIGIL_REPORTING_CALENDAR=""):
        rollups_refresh()
        assert metrics_summary(WEEK)["mttr_business_seconds"] == 37800
    with override_settings(VIGIL_REPORTING_CALENDAR="Office"):
        assert rollups_refresh() == -1
        assert metrics_summary(WEEK)["mttr_business_seconds"] == 9000


def test_cancelled_incidents_count_nowhere(world):
    rollups_refresh()
    assert not MetricFact.objects.filter(pk=world["d"].pk).exists()
    assert MetricFact.objects.count() == 3
