"""`manage.py seed_demo`: idempotent, and what it loads makes the engine and the integrations work out of the
box (SLA clocks per priority, the Platform escalation, the on-call answer, the printed integration keys)."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command

from escalation.models import Escalation, Notification, SlaClock, Team
from escalation.timers import timer_sweep
from incidents.demo import integration_example
from incidents.models import Incident, Integration, Service
from incidents.services import incident_create, incident_transition

pytestmark = pytest.mark.django_db

KEY_LINE = re.compile(r"^integration (\S+) key: ([0-9a-f]{32})$", re.MULTILINE)
# Friday 2026-03-06 16:00 in Paris (CET, UTC+1): two office hours left before the weekend.
FRIDAY_4PM = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    """Rows of every model of every app: what a second run must not change."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_seeding_twice_changes_nothing_and_shows_each_key_once():
    first = seed()
    after_first = counts()
    second = seed()

    assert counts() == after_first
    expected = {
        "escalation.Team": 3,
        "incidents.Service": 5,
        "escalation.BusinessCalendar": 1,
        "escalation.WorkingInterval": 10,
        "escalation.Schedule": 1,
        "escalation.RotationMember": 2,
        # Platform default, and the major-incident commanders' policy (incidents/major/demo.py).
        "escalation.EscalationPolicy": 2,
        "escalation.EscalationLevel": 4,
        "escalation.SlaPolicy": 4,
        "escalation.ContactMethod": 4,
        "escalation.NotificationRule": 4,
        "escalation.StakeholderGroup": 2,
        "escalation.CommunicationRule": 4,
        "incidents.Integration": 3,
        "incidents.MajorIncidentConfiguration": 1,
        "incidents.StatusPageService": 4,
        "incidents.ActionPlanStep": 5,
        "incidents.Incident": 6,
        # A known error and the change that fixes it, approved and scheduled (incidents/problems/demo.py).
        "incidents.Problem": 1,
        "incidents.Change": 1,
        "incidents.ChangeApproval": 1,
    }
    assert {label: after_first[label] for label in expected} == expected
    keys = dict(KEY_LINE.findall(first))
    assert set(keys) == {"demo-alertmanager", "demo-pagerduty", "demo-generic"}
    assert KEY_LINE.findall(second) == []
    assert second.count("cannot be shown again") == 3
    assert "rotate-key" in second
    assert "0 incidents added" in second
    assert Team.objects.get(name="Platform").manager.username == "maria"


def test_printed_keys_open_incidents_on_checkout(api):
    keys = dict(KEY_LINE.findall(seed()))
    checkout = Service.objects.get(name="checkout")
    for name, key in keys.items():
        integration = Integration.objects.get(name=name)
        path, body = integration_example(kind=integration.kind, key=key)
        response = api.post(path, body, format="json")
        assert response.status_code in (200, 202), (name, response.content)
        assert Incident.objects.filter(alert_groups__integration=integration, service=checkout).count() == 1


def _clock(incident: Incident, kind: str) -> SlaClock:
    return SlaClock.objects.get(subject_id=incident.pk, kind=kind)


@pytest.mark.parametrize(
    ("impact", "urgency", "priority", "acknowledge_due", "resolve_due", "pages"),
    [
        (1, 1, 1, FRIDAY_4PM + timedelta(minutes=15), FRIDAY_4PM + timedelta(hours=4), True),
        (2, 2, 2, FRIDAY_4PM + timedelta(minutes=30), FRIDAY_4PM + timedelta(hours=8), True),
        # Office hours: Friday 16:00-18:00, then Monday 09:00 on; 3 business days are 24 hours.
        (3, 2, 3, datetime(2026, 3, 9, 10, 0, tzinfo=UTC), datetime(2026, 3, 11, 15, 0, tzinfo=UTC), False),
        # 1 business day (8 hours) and 10 (80 hours).
        (4, 4, 4, datetime(2026, 3, 9, 15, 0, tzinfo=UTC), datetime(2026, 3, 20, 15, 0, tzinfo=UTC), False),
    ],
)
def test_an_incident_after_seeding_gets_clocks_per_priority(
    impact, urgency, priority, acknowledge_due, resolve_due, pages
):
    with time_machine.travel(FRIDAY_4PM, tick=False):
        seed()
        incident = incident_create(
            by=None,
            title="Checkout is slow",
            impact=impact,
            urgency=urgency,
            service=Service.objects.get(name="checkout"),
        )

    assert incident.priority == priority
    assert _clock(incident, "acknowledge").due_at == acknowledge_due
    assert _clock(incident, "resolve").due_at == resolve_due
    escalation = Escalation.objects.filter(subject_id=incident.pk).first()
    if not pages:
        assert escalation is None  # P3 and P4 wait in the queue: nobody is paged
        return
    assert escalation.snapshot["name"] == "Platform default"
    # Level 1 pages whoever is on call at once, over their "e-mail at once" rule.
    paged = Notification.objects.get(subject_id=incident.pk, reason="page")
    assert (paged.recipient.username, paged.address) in {
        ("alice", "alice@example.org"),
        ("bob", "bob@example.org"),
    }


def test_a_p1_climbs_to_maria_and_management_hears_of_it():
    with time_machine.travel(FRIDAY_4PM, tick=False):
        seed()
        incident = incident_create(
            by=None, title="Checkout down", impact=1, urgency=1, service=Service.objects.get(name="checkout")
        )
    created = Notification.objects.get(subject_id=incident.pk, reason="comms:incident.created")
    assert (created.address, created.channel) == ("maria@example.org", "email")
    assert not Notification.objects.filter(subject_id=incident.pk, reason="page", recipient__username="maria")

    # Level 2, the Platform team's manager, 10 minutes later when nobody has acknowledged.
    timer_sweep(now=FRIDAY_4PM + timedelta(minutes=10))
    assert Notification.objects.filter(subject_id=incident.pk, reason="page", recipient__username="maria")

    with time_machine.travel(FRIDAY_4PM + timedelta(minutes=20), tick=False):
        incident_transition(incident_id=incident.pk, name="resolve", by=None, resolution_code="fixed")
    resolved = Notification.objects.get(subject_id=incident.pk, reason="comms:incident.resolved")
    assert resolved.address == "maria@example.org"


def test_platform_oncall_is_alice_or_bob_and_hands_off_on_monday_morning(api):
    seed()
    platform = Team.objects.get(name="Platform")
    api.force_authenticate(platform.members.get(username="alice"))

    response = api.get(f"/api/v1/teams/{platform.pk}/oncall/")
    assert response.status_code == 200, response.content
    assert [entry["username"] for entry in response.json()["oncall"]] in (["alice"], ["bob"])

    def oncall_at(at: str) -> list[str]:
        answer = api.get(f"/api/v1/teams/{platform.pk}/oncall/", {"at": at}).json()
        return [entry["username"] for entry in answer["oncall"]]

    before, after = oncall_at("2026-03-09T08:59:00+01:00"), oncall_at("2026-03-09T09:00:00+01:00")
    assert sorted(before + after) == ["alice", "bob"]
