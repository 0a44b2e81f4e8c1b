"""Everything on the incident (incidents/overview.py): the API's detail and the admin's page show the SLA
clocks with time left or overdue, the escalation and its pages, the alerts behind it and the notifications
per audience; the admin list's SLA column shows the running clock."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from escalation.models import CommunicationRule
from escalation.timers import timer_sweep
from incidents.models import Incident
from incidents.services import incident_transition
from tests.escalation.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    SlaPolicyFactory,
    StakeholderGroupFactory,
)

from .factories import IntegrationFactory, ServiceFactory, UserFactory
from .integration_support import am_url, capture, post_raw

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def world():
    ServiceFactory(name="checkout")
    first = UserFactory(role="agents", username="ana")
    second = UserFactory(role="agents", username="bo")
    policy = EscalationPolicyFactory(name="Checkout on call")
    EscalationLevelFactory(policy=policy, position=1, users=[first])
    EscalationLevelFactory(policy=policy, position=2, delay=timedelta(minutes=5), users=[second])
    SlaPolicyFactory(
        name="P1 SLA",
        priority=1,
        escalation_policy=policy,
        time_to_acknowledge=timedelta(minutes=15),
        time_to_resolve=timedelta(hours=4),
    )
    group = StakeholderGroupFactory(audience="management", addresses="boss@example.org")
    CommunicationRule.objects.create(event="incident.acknowledged", audience=group.audience)
    return {"first": first, "second": second}


def fire(api) -> Incident:
    integration = IntegrationFactory(kind="alertmanager")
    response = post_raw(api, am_url(integration.key), capture(1)["body_raw"])
    assert response.status_code == 200, response.content
    incident = Incident.objects.get(pk=response.json()["incident"]["id"])
    timer_sweep()  # the engage timer: clocks and the first page
    return incident


def test_the_api_detail_shows_clocks_escalation_alerts_and_notifications(api, world):
    with time_machine.travel(T0, tick=False) as clock:
        incident = fire(api)
        clock.move_to(T0 + timedelta(minutes=6))
        timer_sweep()  # level 2
        clock.move_to(T0 + timedelta(minutes=10))
        incident_transition(incident_id=incident.pk, name="acknowledge", by=world["second"])
        clock.move_to(T0 + timedelta(minutes=40))
        api.force_authenticate(world["first"])
        body = api.get(f"/api/v1/incidents/{incident.pk}/").json()
    overview = body["overview"]
    clocks = {clock["kind"]: clock for clock in overview["sla_clocks"]}
    assert clocks["acknowledge"]["state"] == "met"
    assert clocks["resolve"]["state"] == "running"
    assert clocks["resolve"]["policy"] == "P1 SLA"
    assert clocks["resolve"]["remaining_seconds"] == (4 * 60 - 40) * 60
    assert clocks["resolve"]["overdue_seconds"] is None

    [escalation] = overview["escalations"]
    assert escalation["policy"] == "Checkout on call"
    assert escalation["state"] == "acknowledged"
    assert escalation["acknowledged_by"] == "bo"
    assert escalation["level"] == 2
    assert [(page["user"], page["channel"], page["level"]) for page in escalation["pages"]] == [
        ("ana", "email", 1),
        ("bo", "email", 2),
    ]

    alerts = overview["alerts"]
    assert alerts["count"] == 2
    [group] = alerts["groups"]
    assert len(group["fingerprints"]) == 2
    assert all(fp["firing"] for fp in group["fingerprints"])
    assert {alert["status"] for alert in alerts["latest"]} == {"firing"}
    assert all(alert["labels"].get("alertname") == "HighLatency" for alert in alerts["latest"])

    audiences = {group["audience"]: group for group in overview["notifications"]}
    assert [n["to"] for n in audiences["management"]["notifications"]] == ["boss@example.org"]


def test_an_overdue_clock_says_by_how_much(api, world):
    with time_machine.travel(T0, tick=False) as clock:
        incident = fire(api)
        clock.move_to(T0 + timedelta(minutes=14))
        api.force_authenticate(world["first"])
        left = api.get(f"/api/v1/incidents/{incident.pk}/").json()["overview"]["sla_clocks"]
        clock.move_to(T0 + timedelta(minutes=20))
        timer_sweep()  # the acknowledge clock breaches
        late = api.get(f"/api/v1/incidents/{incident.pk}/").json()["overview"]["sla_clocks"]
    assert {c["kind"]: c["remaining_seconds"] for c in left}["acknowledge"] == 60
    breached = {c["kind"]: c for c in late}["acknowledge"]
    assert breached["state"] == "breached"
    assert breached["overdue_seconds"] == 5 * 60


def test_a_reporter_sees_the_incident_but_not_its_internals(api, world):
    reporter = UserFactory(role="reporters")
    api.force_authenticate(reporter)
    created = api.post("/api/v1/incidents/", {"title": "VPN down", "impact": 1, "urgency": 1}, format="json")
    body = api.get(f"/api/v1/incidents/{created.json()['id']}/").json()
    assert body["reference"]
    assert body["overview"] is None


def test_the_admin_page_and_list_show_the_clocks_escalation_and_alerts(api, world):
    agent = UserFactory(role="agents", is_staff=True)
    client = Client()
    client.force_login(agent)
    with time_machine.travel(T0, tick=False) as clock:
        incident = fire(api)
        clock.move_to(T0 + timedelta(minutes=3))
        page = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
        listing = client.get("/admin/incidents/incident/").content.decode()
    assert 'id="incident-sla"' in page
    assert "12\xa0minutes left" in page  # the acknowledge clock
    assert "Checkout on call" in page
    assert page.count('class="escalation-page"') == 1
    assert page.count('class="alert-row"') == 2
    assert "alertname=HighLatency" in page
    assert 'data-firing="true"' in page
    assert "12\xa0minutes left" in listing, "the list's SLA column shows the running clock"


def test_the_admin_list_reads_the_clocks_in_the_same_query_whatever_the_page_size(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.services import incident_create

    agent = UserFactory(role="agents", is_staff=True)
    client = Client()
    client.force_login(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/incidents/incident/").status_code == 200
        return len(captured)

    incident_create(by=agent, title="one", impact=1, urgency=1)
    few = queries()
    for n in range(6):
        incident_create(by=agent, title=f"more {n}", impact=1, urgency=1)
    assert queries() == few


def test_the_list_says_when_the_clock_is_paused(api, world):
    agent = UserFactory(role="agents", is_staff=True)
    client = Client()
    client.force_login(agent)
    with time_machine.travel(T0, tick=False):
        incident = fire(api)
        for name in ("acknowledge", "start", "hold"):
            incident_transition(incident_id=incident.pk, name=name, by=agent)
        listing = client.get("/admin/incidents/incident/").content.decode()
    assert "paused" in listing
    assert "left" not in listing.split('id="result_list"')[1]
