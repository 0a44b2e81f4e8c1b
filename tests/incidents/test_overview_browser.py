"""An agent opens an incident in the admin, in a real browser, and sees its SLA clocks, its escalation and the
alerts behind it."""

import pytest

from escalation.timers import timer_sweep
from incidents.models import Incident
from tests.browser import browser_page

from .factories import UserFactory
from .test_overview import fire, world  # noqa: F401  (the fixture)


@pytest.mark.django_db(transaction=True)
def test_an_agent_sees_the_clocks_the_escalation_and_the_alerts(live_server, api, world):  # noqa: F811
    agent = UserFactory(role="agents", is_staff=True, username="carla")
    agent.set_password("correct horse battery")
    agent.save()
    incident = fire(api)
    timer_sweep()
    reference = Incident.objects.get(pk=incident.pk).reference

    with browser_page() as page:
        page.goto(f"{live_server.url}/admin/login/?next=/admin/incidents/incident/")
        page.fill("#id_username", "carla")
        page.fill("#id_password", "correct horse battery")
        page.click("input[type=submit]")
        page.wait_for_selector("#result_list")
        row = page.inner_text("#result_list")
        assert reference in row
        assert "left" in row, "the SLA column shows the running clock"

        page.goto(f"{live_server.url}/admin/incidents/incident/{incident.pk}/change/")
        clocks = page.inner_text("#incident-sla")
        assert "P1 SLA" in clocks
        assert "left" in clocks
        assert page.locator("#incident-sla tr[data-state=running]").count() == 2
        escalation = page.inner_text("#incident-escalation")
        assert "Checkout on call" in escalation
        assert "ana" in escalation
        alerts = page.inner_text("#incident-alerts")
        assert "alertname=HighLatency" in alerts
        assert page.locator("#incident-alerts .alert-row").count() == 2
        assert page.locator("#incident-alerts code.fingerprint[data-firing=true]").count() == 2
        page.screenshot(path="var/incident-overview.png", full_page=True)
