"""The API of SLA and escalation policies: levels, the dry run, the clocks and escalations they start."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation.models import Channel, EscalationPolicy
from escalation.outbox import notification_write
from tests.escalation.factories import (
    BusinessCalendarFactory,
    ContactMethodFactory,
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NotificationRuleFactory,
    SlaPolicyFactory,
    office_hours,
)
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_manager_creates_a_policy_with_levels_and_reads_it_back(api, as_role):
    as_role("managers")
    alice, bob = UserFactory(), UserFactory()
    body = {
        "name": "Payments",
        "repeat_count": 1,
        "levels": [
            {"position": 2, "delay_seconds": 300, "users": [bob.pk]},
            {"position": 1, "users": [alice.pk], "notify_team_manager": True},
        ],
    }
    created = api.post("/api/v1/escalation-policies/", body, format="json")
    assert created.status_code == 201, created.content
    levels = api.get(f"/api/v1/escalation-policies/{created.json()['id']}/").json()["levels"]
    assert [(lv["position"], lv["delay_seconds"], lv["users"]) for lv in levels] == [
        (1, 0, [alice.pk]),
        (2, 300, [bob.pk]),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "levels": [{"position": 1}, {"position": 1}]}, "levels"),
        ({"name": "x", "levels": [{"position": 1, "delay_seconds": -5}]}, "levels"),
        ({"name": "x", "state": "active"}, "state"),
        ({"name": "x", "levels": [{"position": 1, "users": [999999]}]}, "levels"),
        ({"name": "x", "repeat_count": "many"}, "repeat_count"),
    ],
)
def test_bad_policies_are_400_with_the_field(api, as_role, body, field):
    as_role("managers")
    response = api.post("/api/v1/escalation-policies/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]


@pytest.mark.parametrize(
    ("role", "read", "write"), [("reporters", 403, 403), ("agents", 200, 403), ("managers", 200, 400)]
)
def test_managers_configure_policies_agents_read_them(api, as_role, role, read, write):
    as_role(role)
    assert api.get("/api/v1/escalation-policies/").status_code == read
    assert api.post("/api/v1/sla-policies/", {}, format="json").status_code == write


def test_simulate_applies_business_hours_personal_rules_and_the_sla(api, as_role):
    as_role("managers")
    calendar = office_hours(BusinessCalendarFactory(time_zone="UTC"), spans=((time(9), time(17)),))
    alice, bob = UserFactory(), UserFactory()
    sms = ContactMethodFactory(user=alice, channel=Channel.APPRISE, address="tgram://token/chat")
    NotificationRuleFactory(contact_method=ContactMethodFactory(user=alice))
    NotificationRuleFactory(contact_method=sms, delay=timedelta(minutes=5), max_priority=1)
    policy = EscalationPolicyFactory(calendar=calendar)
    EscalationLevelFactory(policy=policy, position=1, users=[alice])
    EscalationLevelFactory(policy=policy, position=2, delay=timedelta(minutes=30), users=[bob])
    SlaPolicyFactory(priority=1, escalation_policy=policy, time_to_acknowledge=timedelta(minutes=20))
    friday = datetime(2026, 3, 6, 16, 45, tzinfo=UTC)

    def steps(priority: int) -> list[tuple]:
        response = api.post(
            f"/api/v1/escalation-policies/{policy.pk}/simulate/",
            {"start": friday.isoformat(), "priority": priority},
            format="json",
        )
        assert response.status_code == 200, response.content
        return [
            (s["at"], s["reason"], s["level"], s["username"], s["channel"]) for s in response.json()["steps"]
        ]

    a, b = alice.username, bob.username
    assert steps(1) == [
        ("2026-03-06T16:45:00Z", "page", 1, a, "email"),
        ("2026-03-06T16:50:00Z", "page", 1, a, "apprise"),
        ("2026-03-06T17:00:00Z", "sla.warning", 1, a, "email"),  # 75 % of 20 minutes, the SLA is 24x7
        ("2026-03-06T17:05:00Z", "sla.warning", 1, a, "apprise"),
        ("2026-03-06T17:05:00Z", "sla.breach", 1, a, "email"),
        ("2026-03-06T17:10:00Z", "sla.breach", 1, a, "apprise"),
        ("2026-03-09T09:15:00Z", "page", 2, b, "email"),  # 15 business minutes on Friday, 15 on Monday
    ]
    assert [(s[1], s[4]) for s in steps(3)] == [("page", "email"), ("page", "email")]  # SMS and SLA: P1 only


@pytest.mark.parametrize(
    "body", [{}, {"start": "yesterday", "priority": 1}, {"start": "2026-01-01T00:00:00Z", "priority": 9}, []]
)
def test_simulate_bad_input_is_400(api, as_role, body):
    as_role("managers")
    policy = EscalationPolicyFactory()
    response = api.post(f"/api/v1/escalation-policies/{policy.pk}/simulate/", body, format="json")
    assert response.status_code == 400


def test_simulate_unknown_policy_is_404(api, as_role):
    as_role("managers")
    response = api.post(
        "/api/v1/escalation-policies/999999/simulate/",
        {"start": "2026-01-01T00:00:00Z", "priority": 1},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_only_one_default_policy(api, as_role):
    as_role("managers")
    EscalationPolicy.objects.create(name="a", is_default=True)
    response = api.post("/api/v1/escalation-policies/", {"name": "b", "is_default": True}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/api/v1/escalation-policies/", "/api/v1/notifications/", "/api/v1/contact-methods/"]
)
def test_list_queries_do_not_grow_with_rows(api, as_role, path):
    as_role("managers")

    def add_rows(n: int) -> None:
        for _ in range(n):
            level = EscalationLevelFactory(users=[UserFactory(), UserFactory()])
            ContactMethodFactory()
            notification_write(
                subject=level.policy,
                reason="x",
                channel="email",
                address="a@b.org",
                idempotency_key=f"q{level.pk}",
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200
        return len(queries)

    add_rows(2)
    count()  # warms the permission and content type caches
    few = count()
    add_rows(8)
    assert count() == few


def test_clocks_and_escalations_are_readable_by_agents_and_managers_only(api, as_role):
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, users=[UserFactory()])
    SlaPolicyFactory(priority=1, escalation_policy=policy)
    as_role("agents")
    incident = api.post("/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1}, format="json").json()
    assert api.get("/api/v1/sla-clocks/").status_code == 200
    as_role("reporters")
    assert api.get("/api/v1/sla-clocks/").status_code == 403
    assert api.get("/api/v1/escalations/").status_code == 403
    as_role("managers")
    clocks = api.get(f"/api/v1/sla-clocks/?subject_id={incident['id']}").json()["results"]
    assert sorted(c["kind"] for c in clocks) == ["acknowledge", "resolve"]
    assert {c["target_seconds"] for c in clocks} == {15 * 60, 4 * 3600}
    [escalation] = api.get(f"/api/v1/escalations/?subject_id={incident['id']}").json()["results"]
    assert (escalation["state"], escalation["level"]) == ("exhausted", 1)


def test_simulate_does_not_show_apprise_tokens(api, as_role):
    token = "123456789:ABCdefGhIJKlmnOPQRsTUVwxyZ"
    alice = UserFactory()
    NotificationRuleFactory(
        contact_method=ContactMethodFactory(user=alice, channel=Channel.APPRISE, address=f"tgram://{token}/1")
    )
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, users=[alice])
    as_role("agents")
    response = api.post(
        f"/api/v1/escalation-policies/{policy.pk}/simulate/",
        {"start": "2026-03-02T10:00:00Z", "priority": 1},
        format="json",
    )
    assert response.status_code == 200
    assert [step["channel"] for step in response.json()["steps"]] == ["apprise"]
    assert token not in response.content.decode()
