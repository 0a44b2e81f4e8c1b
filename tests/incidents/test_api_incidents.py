"""The incident API: create, list with filters and search, pagination, update, transitions, timeline."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import IncidentCategory
from incidents.services import incident_create, incident_transition

from .factories import IncidentFactory, ServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents/"


def test_create_shows_reference_priority_and_milestones(api, as_role):
    agent = as_role("agents")
    service = ServiceFactory()
    category = IncidentCategory.objects.get(code="system-outage")
    response = api.post(
        URL,
        {
            "title": "Checkout 502",
            "description": "half the requests",
            "impact": 1,
            "urgency": 2,
            "service": service.pk,
            "category": category.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == f"INC-{body['id']:06d}"
    assert (body["state"], body["priority"], body["service"], body["service_name"]) == (
        "new",
        1,
        service.pk,
        service.name,
    )
    assert body["category_code"] == "system-outage"
    assert body["reporter"] == agent.pk
    assert body["reported_at"]
    assert body["acknowledged_at"] is None
    assert body["allowed_transitions"] == ["acknowledge", "resolve", "cancel"]
    assert api.get(f"{URL}{body['id']}/").json()["title"] == "Checkout 502"


def test_transition_via_api_and_timeline(api, as_role):
    as_role("agents")
    incident_id = api.post(URL, {"title": "x", "impact": 2, "urgency": 2}, format="json").json()["id"]
    assert api.post(f"{URL}{incident_id}/acknowledge/", {"note": "on it"}, format="json").status_code == 200
    assert api.post(f"{URL}{incident_id}/start/", {}, format="json").status_code == 200
    resolved = api.post(
        f"{URL}{incident_id}/resolve/",
        {"resolution_code": "workaround", "resolution_notes": "restarted"},
        format="json",
    )
    assert resolved.status_code == 200
    assert (resolved.json()["state"], resolved.json()["resolution_code"]) == ("resolved", "workaround")
    api.post(f"{URL}{incident_id}/comments/", {"body": "customer told", "public": True}, format="json")
    timeline = api.get(f"{URL}{incident_id}/timeline/").json()["results"]
    assert [(e["kind"], e["transition"]) for e in timeline] == [
        ("created", ""),
        ("transition", "acknowledge"),
        ("transition", "start"),
        ("transition", "resolve"),
        ("comment", ""),
    ]
    assert timeline[1]["note"] == "on it"


def test_409_names_state_and_allowed(api, as_role):
    as_role("agents")
    incident_id = api.post(URL, {"title": "x", "impact": 2, "urgency": 2}, format="json").json()["id"]
    response = api.post(f"{URL}{incident_id}/close/", {}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "transition_not_allowed",
        "detail": "An incident in state new cannot close.",
        "state": "new",
        "allowed": ["acknowledge", "resolve", "cancel"],
    }


def test_resolution_fields_only_apply_to_resolve(api, as_role):
    as_role("agents")
    incident_id = api.post(URL, {"title": "x", "impact": 2, "urgency": 2}, format="json").json()["id"]
    response = api.post(f"{URL}{incident_id}/acknowledge/", {"resolution_code": "fixed"}, format="json")
    assert response.status_code == 400
    assert "resolution_code" in response.json()["fields"]


def test_patch_recomputes_priority_and_rejects_state(api, as_role):
    as_role("agents")
    incident_id = api.post(URL, {"title": "x", "impact": 4, "urgency": 4}, format="json").json()["id"]
    patched = api.patch(f"{URL}{incident_id}/", {"urgency": 1, "impact": 1}, format="json")
    assert patched.status_code == 200
    assert patched.json()["priority"] == 1
    state = api.patch(f"{URL}{incident_id}/", {"state": "closed"}, format="json")
    assert state.status_code == 400
    assert "transitions" in state.json()["fields"]["state"][0]
    assert api.get(f"{URL}{incident_id}/").json()["state"] == "new"


def test_put_needs_the_required_fields(api, as_role):
    as_role("agents")
    incident_id = api.post(URL, {"title": "x", "impact": 4, "urgency": 4}, format="json").json()["id"]
    assert api.put(f"{URL}{incident_id}/", {"title": "y"}, format="json").status_code == 400
    full = api.put(f"{URL}{incident_id}/", {"title": "y", "impact": 2, "urgency": 2}, format="json")
    assert full.status_code == 200
    assert (full.json()["title"], full.json()["priority"]) == ("y", 2)


def test_filters(api, as_role):
    agent = as_role("agents")
    team, service = TeamFactory(), ServiceFactory()
    t0 = datetime(2026, 1, 10, tzinfo=UTC)
    a = IncidentFactory(priority=1, service=service, team=team, assignee=agent, reported_at=t0)
    b = IncidentFactory(priority=2, reported_at=t0 + timedelta(days=2))
    c = IncidentFactory(priority=4, reported_at=t0 + timedelta(days=5))
    incident_transition(incident_id=c.pk, name="acknowledge", by=agent)

    def ids(query: str) -> set[int]:
        response = api.get(URL + "?" + query)
        assert response.status_code == 200, response.json()
        return {i["id"] for i in response.json()["results"]}

    assert ids("state=new") == {a.pk, b.pk}
    assert ids("state=new&state=acknowledged") == {a.pk, b.pk, c.pk}
    assert ids("priority=1&priority=2") == {a.pk, b.pk}
    assert ids(f"service={service.pk}") == {a.pk}
    assert ids(f"team={team.pk}") == {a.pk}
    assert ids(f"assignee={agent.pk}") == {a.pk}
    assert ids("reported_after=2026-01-11T00:00:00Z&reported_before=2026-01-14T00:00:00Z") == {b.pk}
    assert api.get(URL + "?state=bogus").status_code == 400
    assert api.get(URL + "?reported_after=yesterday").status_code == 400


def test_search_by_words_and_reference(api, as_role):
    as_role("agents")
    disk = IncidentFactory(title="Disk full on db-1", description="postgres stopped writing")
    IncidentFactory(title="Printer jam", description="tray 2")
    other = IncidentFactory(title="Mail queue", description="the disk of the relay is almost full")

    def ids(term: str) -> set[int]:
        return {i["id"] for i in api.get(URL, {"search": term}).json()["results"]}

    assert ids("disk full") == {disk.pk, other.pk}
    assert ids("postgres") == {disk.pk}
    assert ids(disk.reference) == {disk.pk}
    assert ids(f"inc-{disk.pk}") == {disk.pk}
    assert ids("nothing-like-this") == set()


def test_pagination_and_page_size_cap(api, as_role):
    as_role("agents")
    IncidentFactory.create_batch(7)
    page = api.get(URL, {"page_size": 3}).json()
    assert (page["count"], len(page["results"])) == (7, 3)
    assert page["next"]
    assert len(api.get(URL, {"page_size": 100000}).json()["results"]) == 7
    assert api.get(URL, {"page": 99}).status_code == 404


def test_list_query_count_does_not_grow_with_rows(api, as_role, django_assert_max_num_queries):
    as_role("agents")
    service, team = ServiceFactory(), TeamFactory()
    IncidentFactory.create_batch(40, service=service, team=team, assignee=UserFactory())
    # session-less token auth: count, page, plus the permission lookups of the user.
    with django_assert_max_num_queries(6):
        response = api.get(URL, {"page_size": 40})
    assert len(response.json()["results"]) == 40


def test_unknown_transition_name_is_404(api, as_role):
    agent = as_role("agents")
    incident = incident_create(by=agent, title="x", impact=3, urgency=3)
    assert api.post(f"{URL}{incident.pk}/explode/", {}, format="json").status_code == 404
