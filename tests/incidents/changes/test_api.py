"""The change API: request, update by state, transitions and decisions (409 with the allowed ones, 403 for
self-approval, 409 on collisions), the log and the calendar."""

from datetime import timedelta

import pytest

from tests.incidents.factories import ServiceFactory, UserFactory

from .factories import T0, agent, approved, go, new_change

pytestmark = pytest.mark.django_db
URL = "/api/v1/changes/"


def test_request_submit_approve_schedule(api, as_role):
    requester = as_role("agents")
    service = ServiceFactory()
    created = api.post(
        URL,
        {
            "title": "Upgrade PostgreSQL to 17",
            "risk_level": "high",
            "services": [service.pk],
            "planned_start": "2026-03-03T09:00:00+09:00",
            "planned_end": "2026-03-03T11:00:00+09:00",
            "implementation_plan": "pg_upgrade --link",
            "rollback_plan": "Fail back to the old primary",
            "test_plan": "Smoke tests",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["reference"] == f"CHG-{body['id']:06d}"
    assert (body["state"], body["owner"], body["requested_by"]) == ("draft", requester.pk, requester.pk)
    assert body["planned_start"].startswith("2026-03-03T00:00:00")  # stored in UTC
    pk = body["id"]
    submitted = api.post(f"{URL}{pk}/submit/", {}, format="json").json()
    assert submitted["state"] == "submitted"
    assert submitted["approval_status"] == {
        "round": 1,
        "needed": 2,
        "managers_needed": 1,
        "approved": 0,
        "managers_approved": 0,
        "met": False,
    }
    own = api.post(f"{URL}{pk}/approve/", {}, format="json")
    assert own.status_code == 403
    assert own.json()["code"] == "self_approval"
    api.force_authenticate(UserFactory(role="agents"))
    assert api.post(f"{URL}{pk}/approve/", {}, format="json").json()["approval_status"]["approved"] == 1
    api.force_authenticate(UserFactory(role="managers"))
    approved_body = api.post(f"{URL}{pk}/approve/", {}, format="json").json()
    assert approved_body["state"] == "approved"
    assert len(approved_body["approvals"]) == 2
    scheduled = api.post(f"{URL}{pk}/schedule/", {}, format="json")
    assert scheduled.json()["state"] == "scheduled"
    log = api.get(f"{URL}{pk}/log/").json()
    assert [row["kind"] for row in log].count("decision") == 2


def test_a_rejection_without_a_reason_is_400(api, as_role):
    change = go(new_change(), "submit")
    as_role("agents")
    refused = api.post(f"{URL}{change.pk}/reject/", {}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["fields"]
    rejected = api.post(f"{URL}{change.pk}/reject/", {"reason": "No test plan"}, format="json").json()
    assert (rejected["state"], rejected["rejection_reason"]) == ("rejected", "No test plan")


def test_not_allowed_answers_409_with_the_allowed_ones(api, as_role):
    as_role("agents")
    change = new_change()
    refused = api.post(f"{URL}{change.pk}/complete/", {}, format="json")
    assert refused.status_code == 409
    assert (refused.json()["state"], refused.json()["allowed"]) == ("draft", ["submit", "cancel"])


def test_a_collision_answers_409_unless_confirmed(api, as_role):
    as_role("agents")
    db = ServiceFactory()
    first = go(approved(new_change(services=[db])), "schedule")
    second = approved(new_change(services=[db]))
    refused = api.post(f"{URL}{second.pk}/schedule/", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "change_collision"
    assert refused.json()["collisions"][0]["reference"] == first.reference
    confirmed = api.post(f"{URL}{second.pk}/schedule/", {"confirm": True}, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json()["collisions_confirmed"][0]["id"] == first.pk


def test_what_may_change_depends_on_the_state(api, as_role):
    as_role("agents")
    change = go(new_change(), "submit")
    refused = api.patch(f"{URL}{change.pk}/", {"risk_level": "high"}, format="json")
    assert refused.status_code == 409
    assert "risk_level" in refused.json()["fields"]
    same = api.patch(f"{URL}{change.pk}/", {"risk_level": change.risk_level}, format="json")
    assert same.status_code == 200, "sending a value back unchanged is not a change"
    ok = api.patch(f"{URL}{change.pk}/", {"test_plan": "Run the smoke suite"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["test_plan"] == "Run the smoke suite"
    bad_window = api.patch(
        f"{URL}{change.pk}/",
        {"planned_start": "2026-03-03T10:00:00Z", "planned_end": "2026-03-03T09:00:00Z"},
        format="json",
    )
    assert bad_window.status_code == 400


def test_the_calendar(api, as_role):
    as_role("agents")
    change = go(approved(new_change()), "schedule")
    since = (T0 + timedelta(hours=12)).isoformat()
    until = (T0 + timedelta(days=2)).isoformat()
    rows = api.get(f"{URL}calendar/", {"since": since, "until": until}).json()
    assert [row["id"] for row in rows] == [change.pk]
    assert api.get(f"{URL}calendar/", {"since": "tomorrow", "until": until}).status_code == 400
    assert api.get(f"{URL}calendar/", {"since": until, "until": since}).status_code == 400


def test_filters_and_awaiting_my_approval(api, as_role):
    me = as_role("agents")
    waiting = go(new_change(title="Rotate keys"), "submit")
    go(new_change(by=me, title="Mine"), "submit")
    new_change(title="Draft")
    results = api.get(URL, {"awaiting_my_approval": "true"}).json()["results"]
    assert [row["id"] for row in results] == [waiting.pk]
    assert [row["title"] for row in api.get(URL, {"search": "rotate"}).json()["results"]] == ["Rotate keys"]
    assert len(api.get(URL, {"state": ["submitted", "draft"]}).json()["results"]) == 3


def test_reporters_see_no_changes(api, as_role):
    change = new_change()
    as_role("reporters")
    assert api.get(URL).json()["results"] == []
    assert api.get(f"{URL}{change.pk}/").status_code == 404
    assert api.post(f"{URL}{change.pk}/submit/", {}, format="json").status_code == 404
    assert agent().has_perm("incidents.approve_change")
