"""The incident page in Persian (right to left) and in Japanese, in a real browser; the screenshots are kept in
var/test-artifacts/screenshots/ (docs/languages.md)."""

from pathlib import Path

import pytest
from django.conf import settings

from escalation.models import UserProfile
from incidents.models import IncidentCategory
from incidents.services import incident_comment, incident_create, incident_transition
from tests.browser import browser_page
from tests.incidents.factories import UserFactory

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_the_incident_page_in_persian_and_in_japanese(live_server):
    agent = UserFactory(role="agents", is_staff=True, username="sara")
    agent.set_password("correct horse battery")
    agent.save()
    profile = UserProfile.objects.create(user=agent, language="fa", time_zone="Asia/Tehran")
    category = IncidentCategory.objects.get(code="system-outage")
    incident = incident_create(by=agent, title="Checkout returns 502", impact=1, urgency=1, category=category)
    incident_transition(incident_id=incident.pk, name="acknowledge", by=agent)
    incident_comment(incident_id=incident.pk, by=agent, body="Rolled back the last deploy")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    with browser_page() as page:
        page.goto(f"{live_server.url}/admin/login/?next=/admin/incidents/incident/{incident.pk}/change/")
        page.fill("#id_username", "sara")
        page.fill("#id_password", "correct horse battery")
        page.click("input[type=submit]")
        page.wait_for_selector("#timeline-group")
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.get_attribute("html", "lang") == "fa"
        assert "رخداد" in page.inner_text("#content")
        # Right to left for real: the page's text starts at the right edge.
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        page.screenshot(path=str(SCREENSHOTS / "incident-fa.png"), full_page=True)

        # The switch in the header: Japanese, saved in the profile.
        page.select_option("#vigil-language", "ja")
        with page.expect_navigation():
            page.click(".vigil-language-switch button")
        page.wait_for_selector("#timeline-group")
        assert page.get_attribute("html", "dir") == "ltr"
        assert page.get_attribute("html", "lang") == "ja"
        assert "インシデント" in page.inner_text("#content")
        assert "Checkout returns 502" in page.input_value("#id_title")
        page.screenshot(path=str(SCREENSHOTS / "incident-ja.png"), full_page=True)

    profile.refresh_from_db()
    assert profile.language == "ja"
    assert (SCREENSHOTS / "incident-fa.png").stat().st_size > 0
    assert (SCREENSHOTS / "incident-ja.png").stat().st_size > 0
