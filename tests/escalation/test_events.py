"""Events out of the incident lifecycle: webhook subscriptions, the communication plan, reporting rules, and
escalation targets resolved through teams, on-call schedules, service owners and managers."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from escalation.channels import webhook_signature
from escalation.events import event_emit
from escalation.models import CommunicationRule, Notification, ReportingRule
from escalation.outbox import notification_deliver
from escalation.timers import timer_sweep
from tests.escalation.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    RotationFactory,
    ScheduleFactory,
    SlaPolicyFactory,
    StakeholderGroupFactory,
    WebhookSubscriptionFactory,
)
from tests.escalation.receiver import webhook_receiver
from tests.incidents.factories import IncidentFactory, ServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def events_of(subscription) -> list[str]:
    return list(
        Notification.objects.filter(subscription=subscription).order_by("id").values_list("reason", flat=True)
    )


def test_subscriptions_get_the_events_they_asked_for_in_the_same_transaction(api, as_role):
    everything = WebhookSubscriptionFactory(events=[])
    only_resolved = WebhookSubscriptionFactory(events=["incident.resolved"])
    WebhookSubscriptionFactory(events=[], is_active=False)
    as_role("agents")
    incident = api.post("/api/v1/incidents/", {"title": "x", "impact": 2, "urgency": 3}, format="json").json()
    base = f"/api/v1/incidents/{incident['id']}"
    api.post(f"{base}/acknowledge/", {}, format="json")
    api.patch(f"{base}/", {"impact": 1, "urgency": 1}, format="json")
    api.post(f"{base}/resolve/", {}, format="json")
    assert events_of(everything) == [
        "incident.created",
        "incident.acknowledged",
        "incident.priority_changed",
        "incident.resolved",
    ]
    assert events_of(only_resolved) == ["incident.resolved"]
    assert Notification.objects.count() == 5
    changed = Notification.objects.get(subscription=everything, reason="incident.priority_changed")
    assert changed.payload["data"]["from"] == 3
    assert changed.payload["data"]["to"] == 1
    assert changed.payload["subject"]["reference"] == f"INC-{incident['id']:06d}"


def test_a_refused_transition_emits_nothing(api, as_role):
    subscription = WebhookSubscriptionFactory()
    as_role("agents")
    incident = api.post("/api/v1/incidents/", {"title": "x", "impact": 2, "urgency": 3}, format="json").json()
    assert api.post(f"/api/v1/incidents/{incident['id']}/resume/", {}, format="json").status_code == 409
    assert events_of(subscription) == ["incident.created"]


def test_the_receiver_can_check_the_event_signature():

    with webhook_receiver() as receiver:
        subscription = WebhookSubscriptionFactory(url=receiver.url, secret="a-long-shared-secret")

        event_emit(subject=IncidentFactory(), event="incident.created")
        row = Notification.objects.get(subscription=subscription)
        assert notification_deliver(notification_id=row.pk) == "sent"
    [request] = receiver.requests
    timestamp = request.headers["X-Vigil-Timestamp"]
    assert request.headers["X-Vigil-Signature"] == webhook_signature(
        secret="a-long-shared-secret", timestamp=timestamp, body=request.body
    )
    assert request.json()["event"] == "incident.created"


def test_communication_plan_and_reporting_rules_tell_the_right_audiences(api, as_role):

    boss = UserFactory()
    management = StakeholderGroupFactory(audience="management", users=[boss], addresses="ceo@example.org\n")
    StakeholderGroupFactory(audience="affected_users", addresses="status@example.org")
    CommunicationRule.objects.create(priority=1, event="incident.created", audience="management")
    CommunicationRule.objects.create(priority=2, event="incident.created", audience="affected_users")
    ReportingRule.objects.create(name="P1 to management", priority=1, group=management, within_minutes=15)
    as_role("agents")
    with time_machine.travel(T0, tick=False):
        api.post("/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1}, format="json")
    comms = Notification.objects.filter(reason="comms:incident.created")
    assert sorted(comms.values_list("address", flat=True)) == sorted([boss.email, "ceo@example.org"])
    reports = Notification.objects.filter(reason="report")
    assert sorted(reports.values_list("address", flat=True)) == sorted([boss.email, "ceo@example.org"])
    assert {r.deadline_at for r in reports} == {T0 + timedelta(minutes=15)}
    assert "must be told within 15 minutes" in reports.first().body


def test_levels_reach_the_oncall_of_a_schedule_the_service_owner_and_the_manager(api, as_role):
    oncall, off_duty, owner_member, manager = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    schedule = ScheduleFactory()
    RotationFactory(
        schedule=schedule, users=[oncall, off_duty], hand_off="daily", starts_at=T0 - timedelta(hours=1)
    )
    owning_team = TeamFactory(manager=manager)
    owning_team.members.add(owner_member)
    service = ServiceFactory(owning_team=owning_team)
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, position=1, schedule=schedule)
    EscalationLevelFactory(
        policy=policy,
        position=2,
        delay=timedelta(minutes=5),
        notify_service_owner=True,
        notify_team_manager=True,
    )
    SlaPolicyFactory(priority=1, escalation_policy=policy)
    as_role("agents")
    with time_machine.travel(T0, tick=False) as clock:
        api.post(
            "/api/v1/incidents/",
            {"title": "x", "impact": 1, "urgency": 1, "service": service.pk},
            format="json",
        )
        assert list(Notification.objects.filter(reason="page").values_list("recipient", flat=True)) == [
            oncall.pk
        ]
        clock.move_to(T0 + timedelta(minutes=5))

        timer_sweep()
    level2 = set(
        Notification.objects.filter(reason="page")
        .exclude(recipient=oncall)
        .values_list("recipient", flat=True)
    )
    assert level2 == {owner_member.pk, manager.pk}


def test_a_person_in_two_groups_of_the_plan_hears_about_an_event_once(api, as_role):
    """Told exactly once per event, recipient and contact method: two groups (or a general and a P1 rule) for
    the same audience used to mean two identical messages. Reports keep the tightest deadline."""
    boss = UserFactory()
    board = StakeholderGroupFactory(audience="management", users=[boss], addresses="ceo@example.org")
    execs = StakeholderGroupFactory(audience="management", users=[boss], addresses="ceo@example.org")
    ReportingRule.objects.create(name="slow", priority=1, group=board, within_minutes=30)
    ReportingRule.objects.create(name="fast", priority=None, group=execs, within_minutes=10)
    CommunicationRule.objects.create(priority=1, event="incident.created", audience="management")
    CommunicationRule.objects.create(priority=None, event="incident.created", audience="management")
    as_role("agents")
    response = api.post("/api/v1/incidents/", {"title": "x", "impact": 1, "urgency": 1}, format="json")
    assert response.status_code == 201
    comms = Notification.objects.filter(reason="comms:incident.created")
    assert sorted(comms.values_list("address", flat=True)) == sorted([boss.email, "ceo@example.org"])
    reports = Notification.objects.filter(reason="report")
    assert sorted(reports.values_list("address", flat=True)) == sorted([boss.email, "ceo@example.org"])
    assert all(r.deadline_at - r.created_at < timedelta(minutes=11) for r in reports)
