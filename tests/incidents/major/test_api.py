"""The major-incident API: declaring, transitions (409 with the allowed ones), the command data nested under
it, tasks, bad input (400 naming the field), who sees what."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import MajorIncident, OutsidePerson
from tests.incidents.factories import IncidentFactory, ServiceFactory

from .factories import declare

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
BASE = "/api/v1/major-incidents/"


def test_an_agent_declares_and_runs_a_major_incident(api, as_role):
    agent = as_role("agents")
    service = ServiceFactory()
    response = api.post(BASE, {"title": "Payments down", "severity": 1, "services": [service.pk]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == f"MI-{body['id']:06d}"
    assert body["state"] == "declared"
    assert body["allowed_transitions"] == ["cancel"], "investigate waits for a commander"
    pk = body["id"]

    refused = api.post(f"{BASE}{pk}/investigate/", {})
    assert refused.status_code == 409
    assert refused.json()["code"] == "condition_not_met"
    assert refused.json()["fields"] == {"commander": ["Assign a commander first."]}

    assert api.post(f"{BASE}{pk}/roles/", {"role": "commander", "user": agent.pk}).status_code == 201
    assert api.post(f"{BASE}{pk}/investigate/", {}).json()["state"] == "investigating"
    wrong = api.post(f"{BASE}{pk}/close/", {})
    assert wrong.status_code == 409
    assert wrong.json() == {
        "code": "transition_not_allowed",
        "detail": wrong.json()["detail"],
        "state": "investigating",
        "allowed": ["identify", "mitigate", "resolve", "cancel"],
    }
    no_reason = api.post(f"{BASE}{pk}/resolve/", {})
    assert no_reason.status_code == 409
    assert "no_problem_reason" in no_reason.json()["fields"]
    resolved = api.post(f"{BASE}{pk}/resolve/", {"no_problem_reason": "Supplier fault, their RCA covers it"})
    assert resolved.json()["state"] == "resolved"
    log = api.get(f"{BASE}{pk}/log/").json()
    assert [e["transition"] for e in log if e["kind"] == "transition"] == ["investigate", "resolve"]


def test_the_command_data_endpoints(api, as_role):
    agent = as_role("agents")
    major = declare(by=None)
    pk = major.pk
    person = api.post(
        "/api/v1/outside-people/", {"name": "Sam", "organisation": "ISP", "email": "sam@isp.example"}
    )
    assert person.status_code == 201
    person_id = person.json()["id"]
    assert api.post(f"{BASE}{pk}/roles/", {"role": "liaison_officer", "person": person_id}).status_code == 201
    members = api.get(f"{BASE}{pk}/members/").json()
    assert [m["name"] for m in members] == ["Sam (ISP)"]
    assert api.post(f"{BASE}{pk}/objectives/", {"text": "Restore payments in the EU"}).status_code == 201
    task = api.post(
        "/api/v1/tasks/",
        {
            "major_incident": pk,
            "title": "Fail over",
            "owner_user": agent.pk,
            "priority": 1,
            "workstream": "debugging",
        },
    )
    assert task.status_code == 201, task.json()
    assert api.post(f"/api/v1/tasks/{task.json()['id']}/start/", {}).json()["state"] == "in_progress"
    assert api.post(f"/api/v1/tasks/{task.json()['id']}/start/", {}).status_code == 409
    assert [t["title"] for t in api.get(f"{BASE}{pk}/tasks/").json()] == ["Fail over"]
    update = api.post(
        f"{BASE}{pk}/updates/", {"status": "Failing over", "audiences": ["technical", "public"]}
    )
    assert update.status_code == 201, update.json()
    assert update.json()["is_public"] is True
    assert api.post(f"{BASE}{pk}/funds/", {"amount": "500.00", "currency": "EUR"}).status_code == 201
    assert (
        api.post(
            f"{BASE}{pk}/costs/", {"category": "staff", "amount": "120.00", "currency": "EUR"}
        ).status_code
        == 201
    )
    finance = api.get(f"{BASE}{pk}/finance/").json()
    assert finance["currencies"][0]["remaining"] == "380.00"
    request = api.post(f"{BASE}{pk}/resource-requests/", {"kind": "people", "description": "A DBA"})
    assert request.status_code == 201
    decided = api.post(f"{BASE}{pk}/resource-requests/{request.json()['id']}/decide/", {"state": "provided"})
    assert decided.json()["provided_by"] == agent.pk
    assert api.post(f"{BASE}{pk}/escalate/", {"target": "management"}).status_code == 201
    other = IncidentFactory()
    assert api.post(f"{BASE}{pk}/incidents/", {"incident": other.pk}).status_code == 201
    assert {row["incident"] for row in api.get(f"{BASE}{pk}/incidents/").json()} == {
        major.primary_incident_id,
        other.pk,
    }
    assert api.delete(f"{BASE}{pk}/incidents/{other.pk}/").status_code == 204
    assert api.get(f"{BASE}{pk}/notifications/").status_code == 200
    assert api.post(f"{BASE}{pk}/acknowledge/", {}).json()["acknowledged_at"] is not None


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("tasks", {"title": "x", "owner_user": "USER", "owner_person": "PERSON"}, "owner_person"),
        ("tasks", {"title": "x"}, "owner_user"),
        ("costs", {"category": "staff", "amount": "-5.00", "currency": "EUR"}, "amount"),
        ("costs", {"category": "staff", "amount": "5.00", "currency": "ZZZ"}, "currency"),
        ("updates", {"status": "x", "audiences": []}, "audiences"),
        ("updates", {"status": "x"}, "audiences"),
        ("updates", {"status": "x", "audiences": ["public"], "surprise": 1}, "surprise"),
        ("roles", {"role": "commander"}, "user"),
        ("roles", {"role": "king", "user": "USER"}, "role"),
        ("escalate", {"target": "team"}, "team"),
    ],
)
def test_bad_input_answers_400_naming_the_field(api, as_role, path, body, field):
    agent = as_role("agents")
    major = declare(by=None)
    person = OutsidePerson.objects.create(name="P")
    body = {k: (agent.pk if v == "USER" else person.pk if v == "PERSON" else v) for k, v in body.items()}
    url = "/api/v1/tasks/" if path == "tasks" else f"{BASE}{major.pk}/{path}/"
    if path == "tasks":
        body["major_incident"] = major.pk
    response = api.post(url, body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()


def test_bad_input_on_the_major_incident_itself(api, as_role):
    as_role("agents")
    assert api.post(BASE, {"title": "x", "severity": 4}).json()["fields"].keys() == {"severity"}
    major = declare(by=None)
    response = api.patch(f"{BASE}{major.pk}/", {"state": "closed"})
    assert response.status_code == 400
    assert "state" in response.json()["fields"]
    assert api.get(f"{BASE}999999/").status_code == 404
    assert api.post(f"{BASE}{major.pk}/fly/", {}).status_code == 404


def test_a_reporter_sees_their_own_declarations_and_no_command_data(api, as_role):
    mine = declare(by=None, title="Mine")
    theirs = declare(by=None, title="Theirs")
    reporter = as_role("reporters")
    MajorIncident.objects.filter(pk=mine.pk).update(declared_by=reporter)
    listed = api.get(BASE).json()["results"]
    assert [row["reference"] for row in listed] == [mine.reference]
    assert set(listed[0]) == {
        "id",
        "reference",
        "title",
        "state",
        "severity",
        "declared_at",
        "resolved_at",
        "closed_at",
    }
    assert api.get(f"{BASE}{theirs.pk}/").status_code == 404
    assert api.get(f"{BASE}{mine.pk}/roles/").status_code == 403
    assert api.get(f"{BASE}{mine.pk}/updates/").status_code == 403
    assert api.post(f"{BASE}{mine.pk}/investigate/", {}).status_code == 403
    assert api.get("/api/v1/tasks/").status_code == 403
    declared = api.post(BASE, {"title": "Printers on fire", "severity": 2})
    assert declared.status_code == 201
    assert set(declared.json()) == set(listed[0])


def test_list_filters_search_and_query_count(api, as_role, django_assert_max_num_queries):
    as_role("agents")
    service = ServiceFactory()
    with time_machine.travel(T0, tick=False):
        wanted = declare(by=None, title="VPN unreachable", services=[service], severity=1)
    for n in range(5):
        declare(by=None, title=f"Other {n}", severity=2)
    assert [r["id"] for r in api.get(f"{BASE}?service={service.pk}").json()["results"]] == [wanted.pk]
    assert [r["id"] for r in api.get(f"{BASE}?severity=1").json()["results"]] == [wanted.pk]
    assert [r["id"] for r in api.get(f"{BASE}?search=vpn").json()["results"]] == [wanted.pk]
    assert [r["id"] for r in api.get(f"{BASE}?search=mi-{wanted.pk}").json()["results"]] == [wanted.pk]
    assert len(api.get(f"{BASE}?active=true").json()["results"]) == 6
    before = api.get(
        f"{BASE}?declared_before={(T0 + timedelta(seconds=1)).isoformat().replace('+00:00', 'Z')}"
    )
    assert [r["id"] for r in before.json()["results"]] == [wanted.pk]
    with django_assert_max_num_queries(12):
        assert len(api.get(BASE).json()["results"]) == 6


def test_the_configuration_is_for_managers(api, as_role):
    as_role("agents")
    assert api.get("/api/v1/major-incident-configuration/").status_code == 403
    as_role("managers")
    response = api.patch("/api/v1/major-incident-configuration/", {"missed_update_minutes": 5})
    assert response.status_code == 200
    assert response.json()["missed_update_minutes"] == 5
    assert api.patch("/api/v1/major-incident-configuration/", {"nope": 1}).status_code == 400
