"""The metrics API (pinned: GET /api/v1/metrics/summary/), its CSV, its 400s; /metrics for Prometheus."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from incidents.services import incident_create, incident_transition
from postmortems.rollups import rollups_refresh

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def two_incidents():
    for minutes, impact in ((10, 1), (30, 2)):
        with time_machine.travel(T0, tick=False):
            incident = incident_create(by=None, title="x", impact=impact, urgency=impact)
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            incident_transition(incident_id=incident.pk, name="acknowledge", by=None)
    rollups_refresh()


SUMMARY = "/api/v1/metrics/summary/?since=2026-03-01T00:00:00Z&until=2026-04-01T00:00:00Z"


def test_the_summary_answers_the_pinned_figures_overall_and_per_group(api, as_role, two_incidents):
    as_role("managers")
    body = api.get(SUMMARY + "&group_by=priority").json()
    for name in ("mtta_seconds", "mttr_seconds", "incident_count", "major_incident_count"):
        assert name in body
    assert body["incident_count"] == 2
    assert body["mtta_seconds"] == 1200
    assert body["mttr_seconds"] is None
    assert body["sla_ack_met_pct"] is None
    assert [(group["label"][:2], group["mtta_seconds"]) for group in body["groups"]] == [
        ("P1", 600),
        ("P2", 1800),
    ]
    filtered = api.get(SUMMARY + "&priority=2").json()
    assert filtered["incident_count"] == 1
    assert filtered["mtta_seconds"] == 1800


def test_csv_of_the_summary_and_of_the_time_series(api, as_role, two_incidents):
    as_role("managers")
    response = api.get(SUMMARY + "&group_by=priority&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("group,key,label,incident_count")
    assert len(lines) == 4  # header, all, P1, P2
    series = api.get(
        "/api/v1/metrics/timeseries/?since=2026-03-02&until=2026-03-04&interval=day&format=csv"
    ).content.decode()
    rows = series.splitlines()
    assert rows[1].startswith("2026-03-02,all,,,2,")
    assert rows[2].startswith("2026-03-03,all,,,0,")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=not-a-date", "since"),
        ("until=2026-13-45", "until"),
        ("since=2026-03-10&until=2026-03-01", "until"),
        ("since=2026-03-10&until=2026-03-10", "until"),
        ("group_by=colour", "group_by"),
        ("priority=9", "priority"),
        ("service=abc", "service"),
    ],
)
def test_bad_input_answers_400_naming_the_field(api, as_role, query, field):
    as_role("managers")
    response = api.get(f"/api/v1/metrics/summary/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    csv_response = api.get(f"/api/v1/metrics/summary/?{query}&format=csv")
    assert csv_response.status_code == 400
    assert csv_response.json()["fields"][field]


def test_bad_interval_answers_400(api, as_role):
    as_role("managers")
    response = api.get("/api/v1/metrics/timeseries/?interval=fortnight")
    assert response.status_code == 400
    assert "interval" in response.json()["fields"]


@pytest.mark.parametrize(("role", "status"), [("managers", 200), ("agents", 403), ("reporters", 403)])
def test_the_figures_are_the_managers(api, as_role, role, status):
    as_role(role)
    assert api.get("/api/v1/metrics/summary/").status_code == status


def test_prometheus_needs_the_token_or_an_allowed_network(client, two_incidents):
    with override_settings(VIGIL_METRICS_TOKEN="", VIGIL_METRICS_ALLOWED_NETWORKS=[]):
        assert client.get("/metrics").status_code == 403
    with override_settings(VIGIL_METRICS_TOKEN="s3cret", VIGIL_METRICS_ALLOWED_NETWORKS=[]):
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        response = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'vigil_incidents_open{priority="P1"} 1.0' in text
    assert 'vigil_incidents_open{priority="P2"} 1.0' in text
    assert "vigil_timer_lag_seconds" in text
    assert "vigil_outbox_pending" in text
    assert "django_http_requests_total_by_method_total" in text  # django-prometheus's own
    with override_settings(VIGIL_METRICS_TOKEN="", VIGIL_METRICS_ALLOWED_NETWORKS=["127.0.0.0/8"]):
        assert client.get("/metrics").status_code == 200


def _tables(queries) -> list[str]:
    return [
        query["sql"].split(" FROM ", 1)[1].split()[0].strip('"')
        for query in queries
        if " FROM " in query["sql"]
    ]


@override_settings(VIGIL_REPORTING_CALENDAR="Office")
def test_the_summary_reads_the_reporting_calendar_once_per_process_until_it_changes(client, two_incidents):
    """A token request: one query for the token, the user and their profile, two for the permissions (Django's
    backend), one over the rollups, one for the major incidents; the calendar only on the first request, and
    again after it changed."""
    from datetime import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config.authentication import api_token_create
    from escalation.models import WorkingInterval
    from tests.escalation.factories import BusinessCalendarFactory, office_hours
    from tests.incidents.factories import UserFactory

    office_hours(BusinessCalendarFactory(name="Office", time_zone="Europe/Paris"))
    rollups_refresh()
    token = api_token_create(user=UserFactory(role="managers"))
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    with CaptureQueriesContext(connection) as first:
        assert client.get(SUMMARY, **headers).json()["time_zone"] == "Europe/Paris"
    with CaptureQueriesContext(connection) as second:
        assert client.get(SUMMARY, **headers).status_code == 200
    assert "escalation_businesscalendar" in _tables(first.captured_queries)
    tables = _tables(second.captured_queries)
    assert "escalation_businesscalendar" not in tables
    assert "escalation_userprofile" not in tables  # read with the token
    assert tables.count("authtoken_token") == 1
    assert len(second.captured_queries) <= 5, tables
    # A change to the calendar is seen at the next request.
    interval = WorkingInterval.objects.filter(calendar__name="Office").first()
    interval.start = time(8)
    interval.save()
    with CaptureQueriesContext(connection) as third:
        assert client.get(SUMMARY, **headers).status_code == 200
    assert "escalation_businesscalendar" in _tables(third.captured_queries)
    # A change another process made (no signal here) is seen after VIGIL_REPORTING_CALENDAR_CACHE_SECONDS.
    WorkingInterval.objects.filter(calendar__name="Office").update(start=time(7))
    with CaptureQueriesContext(connection) as fourth:
        assert client.get(SUMMARY, **headers).status_code == 200
    assert "escalation_businesscalendar" not in _tables(fourth.captured_queries)
    with override_settings(VIGIL_REPORTING_CALENDAR_CACHE_SECONDS=0):
        assert client.get(SUMMARY, **headers).status_code == 200
        WorkingInterval.objects.filter(calendar__name="Office").update(start=time(6))
        with CaptureQueriesContext(connection) as fifth:
            assert client.get(SUMMARY, **headers).status_code == 200
        assert "escalation_businesscalendar" in _tables(fifth.captured_queries)


def test_an_unknown_or_inactive_token_is_refused(client, two_incidents):
    from config.authentication import api_token_create
    from tests.incidents.factories import UserFactory

    assert client.get(SUMMARY, HTTP_AUTHORIZATION="Token nope").status_code == 401
    user = UserFactory(role="managers", is_active=False)
    token = api_token_create(user=user)
    assert client.get(SUMMARY, HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
