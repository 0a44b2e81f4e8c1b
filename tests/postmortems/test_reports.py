"""The managers' pages, and the weekly digest."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from escalation.models import Notification
from incidents.services import incident_create, incident_transition
from postmortems.digest import weekly_digest_send
from postmortems.models import WeeklyDigest
from postmortems.rollups import rollups_refresh
from tests.browser import browser_page
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def incidents(now: datetime) -> None:
    """One P1 acknowledged after 10 minutes and one P2 after 50, the day before `now`."""
    for minutes, impact in ((10, 1), (50, 2)):
        with time_machine.travel(now - timedelta(days=1), tick=False):
            incident = incident_create(by=None, title="x", impact=impact, urgency=impact)
        with time_machine.travel(now - timedelta(days=1) + timedelta(minutes=minutes), tick=False):
            incident_transition(incident_id=incident.pk, name="acknowledge", by=None)
    rollups_refresh()


@pytest.mark.parametrize(
    "path", ["/reports/", "/reports/sla/", "/reports/major-incidents/", "/reports/action-items/"]
)
def test_pages_are_for_managers(client, path):
    assert client.get(path).status_code == 302  # to the login
    client.force_login(UserFactory(role="agents"))
    assert client.get(path).status_code == 403
    client.force_login(UserFactory(role="managers"))
    response = client.get(path)
    assert response.status_code == 200
    assert b"<script" not in response.content


def test_the_dashboard_shows_figures_and_a_bad_filter_is_named(client):
    incidents(datetime.now(UTC))
    client.force_login(UserFactory(role="managers"))
    page = client.get("/reports/").content.decode()
    assert "<svg" in page
    assert "30 min 0 s" in page  # MTTA (10 + 50) / 2
    page = client.get("/reports/?priority=2").content.decode()
    assert "50 min 0 s" in page
    page = client.get("/reports/?since=yesterday").content.decode()
    assert 'class="errors"' in page


def test_the_weekly_digest_goes_once_a_week_to_managers(client):
    manager = UserFactory(role="managers", email="boss@example.org")
    UserFactory(role="agents", email="agent@example.org")
    incidents(T0 - timedelta(days=3))  # the Thursday before
    with time_machine.travel(T0, tick=False):
        assert weekly_digest_send() == 1
        assert weekly_digest_send() == 0  # a second scheduler, or a retry
    digest = WeeklyDigest.objects.get()
    assert digest.week_start.isoformat() == "2026-02-23"
    message = Notification.objects.get(reason="digest")
    assert message.recipient == manager
    assert "2026-W09" in message.title
    assert "Incidents: 2" in message.body
    assert digest.figures["week"]["mtta_seconds"] == 1800


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_in_a_browser_changes_with_a_filter(live_server):
    manager = UserFactory(role="managers", is_staff=True, username="maria")
    manager.set_password("correct horse battery")
    manager.save()
    incidents(datetime.now(UTC))
    with browser_page() as page:
        page.goto(f"{live_server.url}/admin/login/?next=/reports/")
        page.fill("#id_username", "maria")
        page.fill("#id_password", "correct horse battery")
        page.click("input[type=submit]")
        page.wait_for_selector("#figures")
        assert page.inner_text("#figure-incidents .value") == "2"
        assert page.inner_text("#figure-mtta .value") == "30 min 0 s"
        assert page.locator("svg.chart").count() == 3
        page.select_option("select[name=priority]", "1")
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        assert page.inner_text("#figure-incidents .value") == "1"
        assert page.inner_text("#figure-mtta .value") == "10 min 0 s"
        page.screenshot(path="var/reports-dashboard.png", full_page=True)
