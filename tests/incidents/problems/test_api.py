"""The problem API: open, list with filters and search, transitions (409 with the allowed ones), links, the
log, known errors from an incident, recurring incidents; visibility."""

import pytest

from incidents.models import TimelineEvent
from tests.incidents.factories import IncidentFactory, ServiceFactory

from .factories import known_error, open_problem

pytestmark = pytest.mark.django_db
URL = "/api/v1/problems/"


def test_open_list_and_filter(api, as_role):
    agent = as_role("agents")
    service = ServiceFactory()
    incident = IncidentFactory(service=service)
    created = api.post(
        URL,
        {
            "title": "Disk fills up nightly",
            "symptoms": "backup job fails",
            "priority": 2,
            "incidents": [incident.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["reference"] == f"PRB-{body['id']:06d}"
    assert (body["state"], body["owner"], body["services"]) == ("open", agent.pk, [service.pk])
    assert body["incidents"][0]["incident"] == incident.pk
    assert body["allowed_transitions"] == ["investigate"]
    known_error(title="Another one")
    assert [p["id"] for p in api.get(URL, {"state": "open"}).json()["results"]] == [body["id"]]
    assert [p["title"] for p in api.get(URL, {"known_error": "true"}).json()["results"]] == ["Another one"]
    assert [p["id"] for p in api.get(URL, {"search": "backup"}).json()["results"]] == [body["id"]]
    assert [p["id"] for p in api.get(URL, {"service": service.pk}).json()["results"]] == [body["id"]]


def test_unknown_keys_and_the_state_are_refused(api, as_role):
    as_role("agents")
    response = api.post(URL, {"title": "x", "state": "closed"}, format="json")
    assert response.status_code == 400
    assert "state" in response.json()["fields"]


def test_transitions_answer_409_with_the_allowed_ones(api, as_role):
    as_role("agents")
    problem = open_problem()
    refused = api.post(f"{URL}{problem.pk}/close/", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "transition_not_allowed"
    assert (refused.json()["state"], refused.json()["allowed"]) == ("open", ["investigate"])
    no_workaround = api.post(f"{URL}{problem.pk}/record_known_error/", {}, format="json")
    assert no_workaround.status_code == 409
    assert no_workaround.json()["code"] == "condition_not_met"
    moved = api.post(
        f"{URL}{problem.pk}/record_known_error/", {"workaround": "Purge the queue."}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["state"], moved.json()["workaround"]) == ("known_error", "Purge the queue.")
    log = api.get(f"{URL}{problem.pk}/log/").json()
    assert [row["kind"] for row in log] == ["opened", "transition"]


def test_known_errors_from_an_incident_and_linking_it(api, as_role):
    as_role("agents")
    service = ServiceFactory()
    error = known_error(
        title="Queue backlog after failover", services=[service], workaround="Purge the queue."
    )
    incident = IncidentFactory(service=service, title="Orders stuck after failover")
    found = api.get(f"{URL}known-errors/", {"incident": incident.pk}).json()
    assert [p["id"] for p in found] == [error.pk]
    linked = api.post(f"{URL}{error.pk}/incidents/", {"incident": incident.pk}, format="json")
    assert linked.status_code == 201, linked.json()
    assert linked.json()["workaround_applied_at"] is not None
    assert TimelineEvent.objects.filter(incident=incident, data__workaround=True).exists()
    timeline = api.get(f"/api/v1/incidents/{incident.pk}/timeline/").json()
    notes = [row.get("note", "") for row in (timeline["results"] if isinstance(timeline, dict) else timeline)]
    assert any("Purge the queue." in note for note in notes)
    assert api.delete(f"{URL}{error.pk}/incidents/{incident.pk}/").status_code == 204


def test_recurring_incidents_and_the_one_click_problem(api, as_role):
    as_role("agents")
    service = ServiceFactory(name="mail")
    for _ in range(3):
        IncidentFactory(service=service)
    rows = api.get(f"{URL}recurring/", {"window_days": 7, "min_incidents": 3}).json()
    assert [(r["service"], r["count"]) for r in rows] == [("mail", 3)]
    opened = api.post(f"{URL}recurring/", {"service": service.pk, "category": None}, format="json")
    assert opened.status_code == 201, opened.json()
    assert len(opened.json()["incidents"]) == 3


def test_reporters_see_no_problems(api, as_role):
    problem = open_problem()
    as_role("reporters")
    assert api.get(URL).json()["results"] == []
    assert api.get(f"{URL}{problem.pk}/").status_code == 404
    assert api.post(f"{URL}{problem.pk}/investigate/", {}, format="json").status_code == 404
    assert api.post(URL, {"title": "x"}, format="json").status_code == 403
