"""An agent works an incident in the admin with a real browser."""

import pytest

from incidents.models import TimelineEvent
from incidents.services import incident_create
from tests.browser import browser_page

from .factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_agent_acknowledges_and_comments_in_the_admin(live_server):
    agent = UserFactory(role="agents", is_staff=True, username="alice")
    agent.set_password("correct horse battery")
    agent.save()
    incident = incident_create(by=agent, title="Checkout returns 502", impact=1, urgency=1)

    with browser_page() as page:
        page.goto(f"{live_server.url}/admin/login/?next=/admin/incidents/incident/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", "correct horse battery")
        page.click("input[type=submit]")
        page.wait_for_selector("#result_list")
        assert "Checkout returns 502" in page.inner_text("#result_list")

        page.goto(f"{live_server.url}/admin/incidents/incident/{incident.pk}/change/")
        with page.expect_navigation():
            page.click("button[data-transition=acknowledge]")
        assert "is now acknowledged" in page.inner_text(".messagelist")
        assert page.locator("button[data-transition=start]").count() == 1
        assert page.locator("button[data-transition=acknowledge]").count() == 0

        page.fill("textarea[name=body]", "Rolled back the last deploy")
        with page.expect_navigation():
            page.click("button[form=incident-comment]")
        assert "Comment added" in page.inner_text(".messagelist")
        assert "Rolled back the last deploy" in page.inner_text("#timeline-group")
        page.screenshot(path="var/admin-incident.png", full_page=True)

    incident.refresh_from_db()
    assert incident.state == "acknowledged"
    assert TimelineEvent.objects.filter(
        incident=incident, kind="comment", note="Rolled back the last deploy"
    ).exists()
