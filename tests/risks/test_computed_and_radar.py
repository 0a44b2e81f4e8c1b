"""Computed KRIs on generated incident data; the weekly radar: snapshots, week-over-week change, the area
alert, the page and the digest; precursors over a long window."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from config.errors import InvalidInput
from escalation.models import Notification
from escalation.timers import timer_sweep
from incidents.models import IncidentCategory
from risks.computed import kris_compute
from risks.models import PrecursorRule, PrecursorWarning, RadarSnapshot
from risks.precursors import precursor_accept, precursors_detect
from risks.radar import radar_snapshot, weekly_radar
from risks.services import risk_assess, risk_create
from tests.incidents.factories import IncidentFactory, ServiceFactory, UserFactory

from .factories import AreaFactory, KRIFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # a Monday


def incidents_over(days: int, per_day: list[int], **fields):
    made = []
    for day, count in enumerate(per_day):
        for n in range(count):
            at = NOW - timedelta(days=days - day) + timedelta(hours=n + 1)
            made.append(IncidentFactory(reported_at=at, **fields))
    return made


def test_incidents_per_week_of_a_service(db):
    service = ServiceFactory()
    rng = random.Random(7)
    per_day = [rng.randint(0, 4) for _ in range(14)]
    incidents_over(14, per_day, service=service)
    IncidentFactory(reported_at=NOW - timedelta(days=1))  # another service
    kri = KRIFactory(
        source="computed",
        measure="incidents_per_week",
        service=service,
        compute_window_days=7,
        yellow=10,
        red=20,
        unit="",
    )
    assert kris_compute(now=NOW) == 1
    kri.refresh_from_db()
    expected = sum(per_day[7:])
    assert kri.value == pytest.approx(expected)
    assert kri.readings.count() == 1
    assert kri.state == ("red" if expected >= 20 else "yellow" if expected >= 10 else "green")


def test_repeats_of_one_category_and_the_mttr_trend(db):
    category = IncidentCategory.objects.first()
    made = incidents_over(10, [1] * 10, category=category)
    # Resolve the first five in 1 h (previous window), the last five in 3 h: MTTR up 200 %.
    for n, incident in enumerate(made):
        incident.resolved_at = incident.reported_at + timedelta(hours=1 if n < 5 else 3)
        incident.save()
    repeats = KRIFactory(
        source="computed",
        measure="category_repeats",
        category=category,
        compute_window_days=5,
        yellow=3,
        red=6,
        unit="",
    )
    trend = KRIFactory(
        source="computed", measure="mttr_trend", category=category, compute_window_days=5, yellow=50, red=100
    )
    kris_compute(now=NOW)
    repeats.refresh_from_db()
    trend.refresh_from_db()
    assert repeats.value == 5
    assert repeats.state == "yellow"
    assert trend.value == pytest.approx(200)
    assert trend.state == "red"


def test_the_radar_compares_weeks_and_alerts_an_area_above_its_threshold_once(db):
    owner = UserFactory()
    area = AreaFactory(radar_threshold=10, owner=owner)
    quiet = AreaFactory(radar_threshold=10)
    risk = risk_create(
        by=None, title="a", area=area, category="process", inherent_likelihood=3, inherent_impact=3
    )
    risk_create(by=None, title="q", area=quiet, category="process", inherent_likelihood=1, inherent_impact=1)
    with time_machine.travel(NOW - timedelta(days=7), tick=False):
        first = {row.area_id: row for row in radar_snapshot(at=NOW - timedelta(days=7))}
    assert first[area.pk].index == 2  # one medium risk
    assert first[area.pk].previous_index is None
    risk_assess(risk_id=risk.pk, by=None, inherent_likelihood=5, inherent_impact=5)
    kri = KRIFactory(yellow=80, red=90)
    kri.risks.add(risk)
    kri.state = "red"
    kri.save()
    second = {row.area_id: row for row in radar_snapshot(at=NOW)}
    assert second[area.pk].index == 8 + 5  # critical risk, red KRI
    assert second[area.pk].previous_index == 2
    assert second[area.pk].change == 11
    assert second[area.pk].alerted
    assert not second[quiet.pk].alerted
    assert Notification.objects.filter(recipient=owner, reason="radar.alert").count() == 1
    radar_snapshot(at=NOW + timedelta(hours=1))  # on demand again, same week: no second alert
    assert Notification.objects.filter(recipient=owner, reason="radar.alert").count() == 1
    assert RadarSnapshot.objects.filter(area=area).count() == 2


def test_the_weekly_run_snapshots_once_and_mails_the_digest_to_managers_once(db):
    manager = UserFactory(role="managers")
    owner = UserFactory()
    area = AreaFactory()
    risk_create(
        by=None,
        title="a",
        area=area,
        category="process",
        owner=owner,
        inherent_likelihood=2,
        inherent_impact=2,
    )
    assert weekly_radar(now=NOW) == 2
    assert Notification.objects.filter(recipient=owner, reason="radar_digest").exists()
    assert weekly_radar(now=NOW + timedelta(hours=1)) == 0
    digest = Notification.objects.get(recipient=manager, reason="radar_digest")
    assert "Weekly risk radar" in digest.title
    assert area.name in digest.body
    assert RadarSnapshot.objects.count() == 1


def test_the_radar_page_shows_the_heat_map_and_the_areas(client):
    manager = UserFactory(role="managers")
    area = AreaFactory(name="Payments")
    risk_create(by=None, title="a", area=area, category="process", inherent_likelihood=5, inherent_impact=5)
    radar_snapshot(at=NOW)
    client.force_login(manager)
    response = client.get("/reports/risk-radar/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="heat-map"' in page
    assert "Payments" in page
    assert "#c62828" in page
    outsider = UserFactory(role="reporters")
    client.force_login(outsider)
    assert client.get("/reports/risk-radar/").status_code == 403


def test_small_repeated_incidents_raise_a_precursor_warning_over_months(db):
    service = ServiceFactory(name="network")
    owner = UserFactory()
    risk = risk_create(
        by=None,
        title="Network outage",
        area=AreaFactory(),
        category="system_failure",
        owner=owner,
        inherent_likelihood=2,
        inherent_impact=5,
    )
    rule = PrecursorRule.objects.create(
        name="net blips", service=service, min_priority=3, window_days=120, count=4, risk=risk
    )
    # Four small ones spread over three months, a big one (P1) that does not count, one on another service.
    for days in (100, 70, 40):
        IncidentFactory(service=service, impact=4, urgency=4, reported_at=NOW - timedelta(days=days))
    IncidentFactory(service=service, impact=1, urgency=1, reported_at=NOW - timedelta(days=10))
    IncidentFactory(impact=4, urgency=4, reported_at=NOW - timedelta(days=5))
    assert precursors_detect(now=NOW) == 0
    IncidentFactory(service=service, impact=3, urgency=4, reported_at=NOW - timedelta(days=2))
    assert precursors_detect(now=NOW) == 1
    assert precursors_detect(now=NOW) == 0  # one open warning per rule
    warning = PrecursorWarning.objects.get(rule=rule)
    assert warning.incidents.count() == 4
    client = Client()
    client.force_login(UserFactory(role="managers"))
    page = client.get("/reports/risk-radar/").content.decode()
    assert "Network outage" in page
    section = page[page.index('class="precursor"') :]
    assert section.count("<td>P3</td>") + section.count("<td>P4</td>") == 4
    assert warning.suggested_likelihood == 3
    assert risk.history.filter(kind="precursor").exists()
    precursor_accept(warning_id=warning.pk, by=None)
    risk.refresh_from_db()
    assert risk.inherent_likelihood == 3
    assert risk.level == "high"


def test_a_rule_without_a_risk_proposes_one(db):
    service = ServiceFactory(name="printers")
    PrecursorRule.objects.create(name="printers", service=service, window_days=30, count=2)
    for days in (20, 3):
        IncidentFactory(service=service, impact=4, urgency=4, reported_at=NOW - timedelta(days=days))
    precursors_detect(now=NOW)
    warning = PrecursorWarning.objects.get()
    assert warning.risk is None
    assert "printers" in warning.proposed_title
    with pytest.raises(InvalidInput):
        precursor_accept(warning_id=warning.pk, by=None)  # the rule names no area
    PrecursorRule.objects.update(area=AreaFactory())
    warning = precursor_accept(warning_id=warning.pk, by=None)
    assert warning.state == "accepted"
    risk = warning.risk
    assert risk.state == "identified"
    assert "printers" in risk.title
    assert risk.links.count() == 3  # the service and the two incidents
    timer_sweep(now=NOW)


def test_the_sla_breach_rate_of_a_service(db):
    from django.contrib.contenttypes.models import ContentType

    from escalation.models import SlaClock
    from incidents.models import Incident

    service = ServiceFactory()
    incidents = incidents_over(5, [1, 1, 1, 1, 1], service=service)
    kind = ContentType.objects.get_for_model(Incident)
    states = ["breached", "met", "met", "breached", "cancelled"]
    for incident, state in zip(incidents, states, strict=True):
        SlaClock.objects.create(
            subject_type=kind,
            subject_id=incident.pk,
            kind="resolve",
            target=timedelta(hours=4),
            state=state,
            started_at=incident.reported_at,
        )
    old = IncidentFactory(service=service, reported_at=NOW - timedelta(days=30))
    SlaClock.objects.create(
        subject_type=kind,
        subject_id=old.pk,
        kind="resolve",
        target=timedelta(hours=4),
        state="breached",
        started_at=old.reported_at,
    )
    kri = KRIFactory(
        source="computed",
        measure="sla_breach_rate",
        service=service,
        compute_window_days=7,
        yellow=20,
        red=40,
    )
    kris_compute(now=NOW)
    kri.refresh_from_db()
    assert kri.value == pytest.approx(50)  # 2 of the 4 clocks that were not cancelled, in the window
    assert kri.state == "red"
