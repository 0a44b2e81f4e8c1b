"""The engine's API: policies with levels, the dry run, contact methods, webhooks, the outbox; bad input."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation.models import Channel, EscalationPolicy, NotificationState
from escalation.outbox import notification_deliver, notification_write
from tests.escalation.engine_factories import (
    ContactMethodFactory,
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NotificationRuleFactory,
    SlaPolicyFactory,
)
from tests.escalation.factories import BusinessCalendarFactory, office_hours
from tests.escalation.receiver import webhook_receiver
from tests.incidents.factories import IncidentFactory, UserFactory

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


def test_users_manage_their_own_contact_methods_only(api, as_role):
    other = ContactMethodFactory()
    me = as_role("agents")
    created = api.post(
        "/api/v1/contact-methods/", {"channel": "email", "address": "me@example.org"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["user"] == me.pk
    assert [m["id"] for m in api.get("/api/v1/contact-methods/").json()["results"]] == [created.json()["id"]]
    assert api.get(f"/api/v1/contact-methods/{other.pk}/").status_code == 404
    steal = api.post(
        "/api/v1/contact-methods/",
        {"channel": "email", "address": "x@example.org", "user": other.user_id},
        format="json",
    )
    assert steal.status_code == 403
    bad = api.post(
        "/api/v1/contact-methods/", {"channel": "email", "address": "not an address"}, format="json"
    )
    assert bad.status_code == 400
    rule = api.post(
        "/api/v1/notification-rules/", {"contact_method": other.pk, "delay_seconds": 60}, format="json"
    )
    assert rule.status_code == 400


def test_webhook_subscription_answers_its_secret_once(api, as_role):
    as_role("managers")
    created = api.post(
        "/api/v1/webhook-subscriptions/",
        {"name": "CRM", "url": "https://crm.example.org/hook", "events": ["incident.created"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert len(created.json()["secret"]) >= 32
    again = api.get(f"/api/v1/webhook-subscriptions/{created.json()['id']}/").json()
    assert "secret" not in again
    bad = api.post(
        "/api/v1/webhook-subscriptions/",
        {"name": "x", "url": "https://x.org", "events": ["nope"]},
        format="json",
    )
    assert bad.status_code == 400


def test_outbox_list_and_retry(api, as_role):
    row = notification_write(
        subject=IncidentFactory(),
        reason="page",
        channel="email",
        address="a@example.org",
        idempotency_key="api-1",
    )
    row.state = NotificationState.FAILED
    row.save()
    as_role("managers")
    listed = api.get("/api/v1/notifications/?state=failed").json()["results"]
    assert [n["id"] for n in listed] == [row.pk]
    retried = api.post(f"/api/v1/notifications/{row.pk}/retry/")
    assert retried.status_code == 200
    assert retried.json()["state"] == "pending"
    row.state = NotificationState.SENT
    row.save()
    assert api.post(f"/api/v1/notifications/{row.pk}/retry/").status_code == 409
    assert api.post("/api/v1/notifications/999999/retry/").status_code == 404


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


def test_a_user_sends_a_test_message_to_their_own_webhook(api, as_role, django_capture_on_commit_callbacks):
    me = as_role("agents")
    with webhook_receiver() as receiver:
        method = ContactMethodFactory(user=me, channel=Channel.WEBHOOK, address=receiver.url, secret="mine")
        with django_capture_on_commit_callbacks() as callbacks:
            response = api.post(f"/api/v1/contact-methods/{method.pk}/test/")
        assert response.status_code == 202
        assert len(callbacks) == 1
        assert notification_deliver(notification_id=response.json()["id"]) == "sent"
    [request] = receiver.requests
    assert request.json()["event"] == "test"
    assert "X-Vigil-Signature" in request.headers
    other = ContactMethodFactory()
    assert api.post(f"/api/v1/contact-methods/{other.pk}/test/").status_code == 404


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


def test_the_outbox_and_other_peoples_contact_methods_do_not_show_apprise_tokens(api, as_role):
    """An Apprise URL holds the service's credentials (a bot token here): lists show Apprise's redacted form."""
    token = "123456789:ABCdefGhIJKlmnOPQRsTUVwxyZ"
    url = f"tgram://{token}/12345"
    method = ContactMethodFactory(channel=Channel.APPRISE, address=url)
    notification_write(
        subject=IncidentFactory(), reason="page", channel="apprise", address=url, idempotency_key="apprise-1"
    )
    as_role("managers")
    for path in ("/api/v1/notifications/", "/api/v1/contact-methods/"):
        response = api.get(path)
        assert response.status_code == 200
        assert token not in response.content.decode(), path
    api.force_authenticate(method.user)  # the owner sees (and can correct) their own address
    assert api.get(f"/api/v1/contact-methods/{method.pk}/").json()["address"] == url


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
