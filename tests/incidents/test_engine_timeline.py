"""The incident's timeline tells what the engine did (SubjectType.record): each page and how it was sent,
each step of the escalation, the acknowledgement that stopped it and by whom, each stakeholder notice."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from escalation.models import Channel, CommunicationRule
from escalation.timers import timer_sweep
from incidents.models import TimelineEvent
from incidents.services import incident_create, incident_transition
from tests.escalation.factories import (
    ContactMethodFactory,
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NotificationRuleFactory,
    SlaPolicyFactory,
    StakeholderGroupFactory,
)
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def lines(incident, kind: str) -> list[TimelineEvent]:
    return list(TimelineEvent.objects.filter(incident=incident, kind=kind).order_by("created_at", "id"))


def test_pages_steps_acknowledgement_and_notices_are_on_the_timeline():
    first = UserFactory(role="agents", username="ana")
    second = UserFactory(role="agents", username="bo")
    chat = ContactMethodFactory(user=second, channel=Channel.APPRISE, address="tgram://123456:ABCDEF/987")
    NotificationRuleFactory(contact_method=chat)
    policy = EscalationPolicyFactory(name="Payments")
    EscalationLevelFactory(policy=policy, position=1, users=[first])
    EscalationLevelFactory(policy=policy, position=2, delay=timedelta(minutes=5), users=[second])
    SlaPolicyFactory(priority=1, escalation_policy=policy)
    manager = UserFactory(username="maria")
    group = StakeholderGroupFactory(audience="management", users=[manager], addresses="ops@example.org")
    CommunicationRule.objects.create(event="incident.acknowledged", audience=group.audience)

    with time_machine.travel(T0, tick=False) as clock:
        incident = incident_create(by=None, title="Card payments fail", impact=1, urgency=1)
        clock.move_to(T0 + timedelta(minutes=5))
        timer_sweep()
        clock.move_to(T0 + timedelta(minutes=7))
        incident_transition(incident_id=incident.pk, name="acknowledge", by=second)

    steps = lines(incident, TimelineEvent.Kind.ESCALATION)
    assert [line.created_at for line in steps] == [T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=7)]
    assert "Payments" in steps[0].note
    assert "ana" in steps[0].note
    assert steps[1].data["level"] == 2
    assert "bo" in steps[1].note
    assert steps[2].actor == second, "who acknowledged"
    assert "bo" in steps[2].note
    assert steps[2].data["level"] == 2

    notices = lines(incident, TimelineEvent.Kind.NOTIFICATION)
    pages = [line for line in notices if line.data["reason"] == "page"]
    assert [(line.data["username"], line.data["channel"], line.data["level"]) for line in pages] == [
        ("ana", "email", 1),
        ("bo", "apprise", 2),
    ]
    assert "ana" in pages[0].note
    assert "e-mail" in pages[0].note
    told = [line for line in notices if line.data["reason"] == "comms:incident.acknowledged"]
    assert {line.data.get("username") or line.data.get("address") for line in told} == {
        "maria",
        "ops@example.org",
    }
    # The whole story in order: created, level 1 and its page, level 2 and its page, acknowledged, notices.
    kinds = list(TimelineEvent.objects.filter(incident=incident).values_list("kind", flat=True))
    assert kinds[:5] == ["created", "escalation", "notification", "escalation", "notification"]


def test_an_apprise_address_on_the_timeline_hides_its_tokens():
    group = StakeholderGroupFactory(audience="technical", addresses="tgram://123456:SECRETTOKEN/987")
    CommunicationRule.objects.create(event="incident.created", audience=group.audience)
    incident = incident_create(by=None, title="Disk full", impact=3, urgency=3)
    [line] = lines(incident, TimelineEvent.Kind.NOTIFICATION)
    assert "SECRETTOKEN" not in line.note
    assert "SECRETTOKEN" not in str(line.data)


def test_agents_read_the_engine_lines_in_the_api_and_reporters_do_not(api):
    agent = UserFactory(role="agents", username="ana")
    policy = EscalationPolicyFactory(name="Payments")
    EscalationLevelFactory(policy=policy, position=1, users=[agent])
    SlaPolicyFactory(priority=1, escalation_policy=policy)
    reporter = UserFactory(role="reporters")
    incident = incident_create(by=reporter, title="Card payments fail", impact=1, urgency=1)

    api.force_authenticate(agent)
    kinds = [line["kind"] for line in api.get(f"/api/v1/incidents/{incident.pk}/timeline/").json()["results"]]
    assert "escalation" in kinds
    assert "notification" in kinds
    api.force_authenticate(reporter)
    kinds = [line["kind"] for line in api.get(f"/api/v1/incidents/{incident.pk}/timeline/").json()["results"]]
    assert "escalation" not in kinds
    assert "notification" not in kinds
