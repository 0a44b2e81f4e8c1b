"""A paged person acknowledges from the link in the e-mail they received, in a real browser (Debian's
Chromium, headless), without signing in."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from escalation.models import Notification
from escalation.outbox import notification_deliver
from incidents.models import Incident, TimelineEvent
from incidents.services import incident_create
from tests.browser import browser_page
from tests.escalation.factories import EscalationLevelFactory, EscalationPolicyFactory, SlaPolicyFactory
from tests.incidents.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_paged_person_acknowledges_from_the_link_in_the_mail(live_server, settings):
    settings.VIGIL_BASE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agent = UserFactory(role="agents", username="night-owl", email="owl@example.org")
    policy = EscalationPolicyFactory(name="Night")
    EscalationLevelFactory(policy=policy, position=1, delay=timedelta(0), users=[agent])
    SlaPolicyFactory(priority=1, escalation_policy=policy)
    incident = incident_create(by=None, title="Checkout returns 502", impact=1, urgency=1)

    [page_row] = Notification.objects.filter(reason="page", recipient=agent)
    assert notification_deliver(notification_id=page_row.pk) == "sent"
    [message] = mail.outbox
    assert message.to == ["owl@example.org"]
    links = re.findall(r"(http://\S+/act/\S+/)", message.body)
    assert len(links) == 2
    acknowledge = next(
        link for link in links if message.body.split(link)[0].splitlines()[-1].startswith("Ack")
    )

    with browser_page() as page:
        page.goto(acknowledge)
        assert "Checkout returns 502" in page.inner_text("h1")
        # (Playwright's loop runs in this thread: the database is read once the browser is closed.)
    assert Incident.objects.get(pk=incident.pk).state == "new", "opening the link changes nothing"

    with browser_page() as page:
        page.goto(acknowledge)
        with page.expect_navigation():
            page.click("button[data-action=acknowledge]")
        assert "is now acknowledged" in page.inner_text("[role=status]")
        page.screenshot(path="var/action-link.png", full_page=True)

        # Pressed again (the link reused once it took effect): too late, with the state.
        page.goto(acknowledge)
        assert "too late" in page.inner_text("[role=alert]")

    incident.refresh_from_db()
    assert incident.state == "acknowledged"
    assert TimelineEvent.objects.get(incident=incident, transition="acknowledge").actor == agent
