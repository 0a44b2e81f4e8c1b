"""Role x action matrix: reporters create and see their own, agents work all, managers do everything."""

import pytest

from incidents.services import incident_comment, incident_create

from .factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents/"
ROLES = ["anonymous", "no_role", "reporters", "agents", "managers"]


@pytest.fixture
def world():
    """Two incidents: one reported by the client user (set per test), one by somebody else."""
    other = UserFactory(role="reporters")
    return {"other": incident_create(by=other, title="Someone else's", impact=3, urgency=3)}


def _client_as(role, api):
    if role == "anonymous":
        return None
    user = UserFactory(role=None if role == "no_role" else role)
    api.force_authenticate(user)
    return user


def _own_incident(user):
    reporter = UserFactory(role="reporters")
    incident = incident_create(by=reporter, title="Mine", impact=3, urgency=3)
    # Make the client user the reporter without giving them a permission they would not have.
    type(incident).objects.filter(pk=incident.pk).update(reporter=user)
    return incident


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("no_role", 403), ("reporters", 201), ("agents", 201), ("managers", 201)],
)
def test_create(role, expected, api):
    _client_as(role, api)
    assert api.post(URL, {"title": "t", "impact": 3, "urgency": 3}, format="json").status_code == expected


@pytest.mark.parametrize(
    ("role", "list_status", "sees_other"),
    [
        ("anonymous", 401, False),
        ("no_role", 200, False),
        ("reporters", 200, False),
        ("agents", 200, True),
        ("managers", 200, True),
    ],
)
def test_list_and_retrieve_others(role, list_status, sees_other, api, world):
    _client_as(role, api)
    response = api.get(URL)
    assert response.status_code == list_status
    if list_status == 200:
        listed = {i["id"] for i in response.json()["results"]}
        assert (world["other"].pk in listed) is sees_other
        expected = 200 if sees_other else 404
        assert api.get(f"{URL}{world['other'].pk}/").status_code == expected


@pytest.mark.parametrize(("role", "expected"), [("reporters", 403), ("agents", 200), ("managers", 200)])
def test_update_and_transition_own(role, expected, api):
    user = _client_as(role, api)
    incident = _own_incident(user)
    assert api.get(f"{URL}{incident.pk}/").status_code == 200
    assert api.patch(f"{URL}{incident.pk}/", {"title": "new"}, format="json").status_code == expected
    assert api.post(f"{URL}{incident.pk}/acknowledge/", {}, format="json").status_code == expected


@pytest.mark.parametrize(
    ("role", "public", "expected"),
    [("reporters", True, 201), ("reporters", False, 403), ("agents", False, 201), ("managers", False, 201)],
)
def test_comments(role, public, expected, api):
    user = _client_as(role, api)
    incident = _own_incident(user)
    response = api.post(f"{URL}{incident.pk}/comments/", {"body": "hello", "public": public}, format="json")
    assert response.status_code == expected


def test_reporter_sees_public_replies_but_not_work_notes(api):
    reporter = _client_as("reporters", api)
    incident = _own_incident(reporter)
    agent = UserFactory(role="agents")
    incident_comment(incident_id=incident.pk, by=agent, body="internal: db is toast", public=False)
    incident_comment(incident_id=incident.pk, by=agent, body="We are on it", public=True)
    notes = [
        e["note"]
        for e in api.get(f"{URL}{incident.pk}/timeline/").json()["results"]
        if e["kind"] == "comment"
    ]
    assert notes == ["We are on it"]


def test_others_timeline_is_404_for_reporters(api, world):
    _client_as("reporters", api)
    assert api.get(f"{URL}{world['other'].pk}/timeline/").status_code == 404


@pytest.mark.parametrize(("role", "can_edit"), [("agents", False), ("managers", True)])
def test_only_managers_configure_the_priority_matrix(role, can_edit, client):
    from incidents.models import PriorityMatrixCell

    user = UserFactory(role=role, is_staff=True)
    client.force_login(user)
    cell = PriorityMatrixCell.objects.get(impact=4, urgency=4)
    assert client.get("/admin/incidents/prioritymatrixcell/").status_code == 200
    response = client.post(
        f"/admin/incidents/prioritymatrixcell/{cell.pk}/change/", {"impact": 4, "urgency": 4, "priority": 1}
    )
    assert response.status_code == (302 if can_edit else 403)
    cell.refresh_from_db()
    assert (cell.priority == 1) is can_edit


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/admin/incidents/alert/", 200),
        ("/admin/incidents/silence/add/", 200),
        ("/admin/escalation/slaclock/", 200),
        ("/admin/escalation/escalationpolicy/", 200),
        ("/admin/escalation/escalationpolicy/add/", 403),
        ("/admin/incidents/integration/add/", 403),
    ],
)
def test_agents_read_alerts_and_the_engine_but_do_not_configure_it(path, expected, client):
    client.force_login(UserFactory(role="agents", is_staff=True))
    assert client.get(path).status_code == expected
