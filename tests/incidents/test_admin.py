"""The agents' admin: queue, timeline, one button per allowed transition, comments, saves via the services."""

import pytest
from django.contrib.auth.models import Permission

from incidents.models import Incident, TimelineEvent
from incidents.services import incident_create

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client):
    agent = UserFactory(role="agents", is_staff=True)
    client.force_login(agent)
    client.agent = agent
    return client


def test_changelist_shows_the_queue_and_searches(agent_client):
    a = incident_create(by=agent_client.agent, title="Disk full", impact=1, urgency=1)
    incident_create(by=agent_client.agent, title="Printer jam", impact=4, urgency=4)
    page = agent_client.get("/admin/incidents/incident/")
    assert page.status_code == 200
    assert b"Disk full" in page.content
    assert b"Printer jam" in page.content
    found = agent_client.get("/admin/incidents/incident/", {"q": a.reference})
    assert b"Disk full" in found.content
    assert b"Printer jam" not in found.content
    assert (
        agent_client.get(
            "/admin/incidents/incident/", {"state__exact": "new", "priority__exact": 1}
        ).status_code
        == 200
    )


def test_change_form_has_one_button_per_allowed_transition(agent_client):
    incident = incident_create(by=agent_client.agent, title="VPN", impact=2, urgency=2)
    page = agent_client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    buttons = sorted(part.split('"')[0] for part in page.split('data-transition="')[1:])
    assert buttons == ["acknowledge", "cancel", "resolve"]


def test_transition_button_runs_the_service(agent_client):
    incident = incident_create(by=agent_client.agent, title="VPN", impact=2, urgency=2)
    response = agent_client.post(f"/admin/incidents/incident/{incident.pk}/transition/acknowledge/")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "acknowledged"
    event = TimelineEvent.objects.get(incident=incident, transition="acknowledge")
    assert event.actor == agent_client.agent
    # A stale button (the state moved on) reports the conflict instead of failing.
    again = agent_client.post(f"/admin/incidents/incident/{incident.pk}/transition/acknowledge/", follow=True)
    assert b"cannot acknowledge" in again.content


def test_transition_button_rechecks_permission(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_incident"))
    client.force_login(viewer)
    incident = incident_create(by=None, title="x", impact=2, urgency=2)
    client.post(f"/admin/incidents/incident/{incident.pk}/transition/acknowledge/")
    incident.refresh_from_db()
    assert incident.state == "new"


def test_transition_needs_post(agent_client):
    incident = incident_create(by=agent_client.agent, title="x", impact=2, urgency=2)
    assert (
        agent_client.get(f"/admin/incidents/incident/{incident.pk}/transition/acknowledge/").status_code
        == 405
    )


def test_comment_from_the_admin(agent_client):
    incident = incident_create(by=agent_client.agent, title="x", impact=2, urgency=2)
    agent_client.post(f"/admin/incidents/incident/{incident.pk}/comment/", {"body": "called the vendor"})
    agent_client.post(
        f"/admin/incidents/incident/{incident.pk}/comment/", {"body": "fixed soon", "public": "on"}
    )
    comments = TimelineEvent.objects.filter(incident=incident, kind="comment").order_by("id")
    assert [(c.note, c.is_public) for c in comments] == [("called the vendor", False), ("fixed soon", True)]


def _incident_form(*, title: str, impact: int, urgency: int, timeline) -> dict:
    """The admin's change form as a browser posts it: the editable fields, and the read-only timeline inline's
    management form with one entry per existing event."""
    form = {
        **dict.fromkeys(
            (
                "description",
                "service",
                "category",
                "team",
                "assignee",
                "parent",
                "resolution_code",
                "resolution_notes",
            ),
            "",
        ),
        "title": title,
        "impact": impact,
        "urgency": urgency,
        "timeline-TOTAL_FORMS": len(timeline),
        "timeline-INITIAL_FORMS": len(timeline),
        "timeline-MIN_NUM_FORMS": 0,
        "timeline-MAX_NUM_FORMS": 1000,
    }
    for index, event in enumerate(timeline):
        form[f"timeline-{index}-id"] = event.pk
        form[f"timeline-{index}-incident"] = event.incident_id
    return form


def test_editing_impact_in_the_admin_recomputes_priority(agent_client):
    incident = incident_create(by=agent_client.agent, title="x", impact=4, urgency=4)
    form = _incident_form(
        title="x", impact=1, urgency=1, timeline=TimelineEvent.objects.filter(incident=incident)
    )
    response = agent_client.post(f"/admin/incidents/incident/{incident.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    incident.refresh_from_db()
    assert incident.priority == 1
    assert TimelineEvent.objects.filter(incident=incident, kind="change").count() == 1


def test_adding_in_the_admin_goes_through_the_service(agent_client):
    form = _incident_form(title="Added by hand", impact=2, urgency=2, timeline=[])
    response = agent_client.post("/admin/incidents/incident/add/", form)
    assert response.status_code == 302, response.content[:2000]
    incident = Incident.objects.get(title="Added by hand")
    assert (incident.source, incident.reporter, incident.priority) == ("admin", agent_client.agent, 2)
    assert TimelineEvent.objects.filter(incident=incident, kind="created").count() == 1
