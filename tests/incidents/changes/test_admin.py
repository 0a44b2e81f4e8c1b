"""The change desk in the admin: buttons per allowed transition, decisions, the collision confirmation, the
review form, the calendar page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Change, ChangeApproval
from tests.incidents.factories import ServiceFactory, UserFactory

from .factories import approved, go, new_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    user = UserFactory(role="agents", is_staff=True)
    client.force_login(user)
    return user


def test_buttons_decisions_and_the_collision_confirmation(client, agent):
    db = ServiceFactory()
    go(approved(new_change(services=[db])), "schedule")
    change = go(new_change(services=[db]), "submit")
    url = f"/admin/incidents/change/{change.pk}/change/"
    html = client.get(url).content.decode()
    assert 'data-transition="approve"' in html
    assert 'data-transition="reject"' in html
    assert 'data-transition="schedule"' not in html
    client.post(f"/admin/incidents/change/{change.pk}/transition/approve/")
    assert ChangeApproval.objects.get(change=change).approver == agent
    refused = client.post(f"/admin/incidents/change/{change.pk}/transition/schedule/", follow=True)
    assert "collides" in refused.content.decode()
    client.post(f"/admin/incidents/change/{change.pk}/transition/schedule/", {"confirm": "on"})
    assert Change.objects.get(pk=change.pk).state == "scheduled"


def test_the_review_form(client, agent):
    change = go(go(go(approved(new_change()), "schedule"), "start"), "complete")
    client.post(
        f"/admin/incidents/change/{change.pk}/transition/review/", {"fixed": "yes", "side_effects": "none"}
    )
    change.refresh_from_db()
    assert (change.state, change.review_fixed, change.review_side_effects) == ("reviewed", True, "none")


def test_the_calendar_page(client, agent):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    change = go(
        approved(
            new_change(title="Patch the VPN", planned_start=start, planned_end=start + timedelta(hours=1))
        ),
        "schedule",
    )
    html = client.get("/admin/incidents/change/calendar/").content.decode()
    assert change.reference in html
    assert "Patch the VPN" in html
    assert "/admin/incidents/change/calendar/" in client.get("/admin/incidents/change/").content.decode()


def test_adding_a_change_in_the_admin_creates_a_draft(client, agent):
    service = ServiceFactory()
    response = client.post(
        "/admin/incidents/change/add/",
        {
            "title": "Rotate TLS keys",
            "description": "",
            "change_type": "normal",
            "risk_level": "low",
            "services": [service.pk],
            "owner": "",
            "team": "",
            "problem": "",
            "major_incident": "",
            "planned_start_0": "",
            "planned_start_1": "",
            "planned_end_0": "",
            "planned_end_1": "",
            "implementation_plan": "",
            "rollback_plan": "",
            "test_plan": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    change = Change.objects.get(title="Rotate TLS keys")
    assert (change.state, change.requested_by, change.owner) == ("draft", agent, agent)


def test_the_queue_of_changes_awaiting_my_decision(client, agent):
    waiting = go(new_change(title="Waiting for me"), "submit")
    go(new_change(by=agent, title="My own"), "submit")
    decided = go(new_change(title="Decided by me", risk_level="high"), "submit")
    go(decided, "approve", by=agent)
    new_change(title="Still a draft")
    html = client.get("/admin/incidents/change/", {"awaiting": "me"}).content.decode()
    assert waiting.title in html
    assert "My own" not in html
    assert "Decided by me" not in html
    assert "Still a draft" not in html


def test_what_the_state_freezes_is_read_only_in_the_form(client, agent):
    change = go(new_change(), "submit")
    html = client.get(f"/admin/incidents/change/{change.pk}/change/").content.decode()
    assert 'name="risk_level"' not in html
    assert 'name="test_plan"' in html
    assert 'name="planned_start_0"' in html
    scheduled = go(go(change, "approve", by=UserFactory(role="agents")), "schedule")
    html = client.get(f"/admin/incidents/change/{scheduled.pk}/change/").content.decode()
    assert 'name="planned_start_0"' not in html, "moving a scheduled window needs the API's confirm"
