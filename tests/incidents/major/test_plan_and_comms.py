"""The action plan (one owner, overdue reminders to the owner then the commander), the update cadence of the
communication plan (the communications lead, then the commander), status updates to each audience, escalating
beyond the team, costs against funds."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from config.errors import InvalidInput
from escalation.models import Audience, CommunicationRule, Notification, StakeholderGroup
from escalation.timers import timer_sweep
from incidents.major.actionplan import task_create, task_transition, task_update
from incidents.major.command import role_assign
from incidents.major.comms import major_incident_escalate, status_update_publish
from incidents.major.logistics import (
    cost_add,
    funds_allocate,
    resource_request_create,
    resource_request_decide,
)
from incidents.major.selectors import finance_summary
from incidents.models import MajorIncidentLogEntry, Task
from tests.incidents.factories import IncidentFactory, TeamFactory, UserFactory

from .factories import declare, outside_person

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def reminders(user=None):
    rows = Notification.objects.filter(reason="reminder").order_by("id")
    return list(rows.filter(recipient=user) if user else rows)


def test_a_task_has_exactly_one_owner():
    major = declare(by=None)
    owner, vendor = UserFactory(), outside_person()
    with pytest.raises(InvalidInput) as two:
        task_create(by=None, major_incident=major, title="Fail over", owner_user=owner, owner_person=vendor)
    assert "owner_person" in two.value.extra["fields"]
    with pytest.raises(InvalidInput) as none:
        task_create(by=None, major_incident=major, title="Fail over")
    assert "owner_user" in none.value.extra["fields"]
    task = task_create(by=None, major_incident=major, title="Fail over", owner_person=vendor)
    # Naming a user replaces the outside person: still one owner.
    task = task_update(task_id=task.pk, by=None, changes={"owner_user": owner})
    assert (task.owner_user, task.owner_person) == (owner, None)
    with pytest.raises(InvalidInput):
        task_update(task_id=task.pk, by=None, changes={"owner_user": owner, "owner_person": vendor})
    with pytest.raises(InvalidInput):
        task_create(by=None, major_incident=major, incident=IncidentFactory(), title="x", owner_user=owner)


def test_a_plain_incident_has_tasks_too():
    incident = IncidentFactory()
    owner = UserFactory()
    task = task_create(by=None, incident=incident, title="Call the customer", owner_user=owner, priority=2)
    assert task.reference == f"{incident.reference}/T{task.pk}"
    assert incident.timeline.filter(note__contains="Call the customer").exists()


def test_an_overdue_task_reminds_its_owner_then_the_commander_and_stops_when_done():
    owner, commander = UserFactory(), UserFactory()
    with time_machine.travel(T0, tick=False) as clock:
        major = declare(by=None)
        role_assign(major_incident_id=major.pk, role="commander", user=commander, by=None)
        task = task_create(
            by=None,
            major_incident=major,
            title="Restore the database",
            owner_user=owner,
            due_at=T0 + timedelta(hours=1),
        )
        clock.move_to(T0 + timedelta(hours=1))
        timer_sweep()
        assert [n.recipient for n in reminders()] == [owner]
        assert "Task due now" in reminders()[0].title
        clock.move_to(T0 + timedelta(hours=1, minutes=15))  # the configuration's 15 minutes
        timer_sweep()
        assert [n.recipient for n in reminders()] == [owner, commander]
        assert "still overdue" in reminders(commander)[0].title

        later = task_create(
            by=None,
            major_incident=major,
            title="Write it up",
            owner_user=owner,
            due_at=T0 + timedelta(hours=3),
        )
        task_transition(task_id=later.pk, name="complete", by=None)
        clock.move_to(T0 + timedelta(hours=4))
        timer_sweep()
        assert len(reminders()) == 2, "a done task reminds nobody"
    task.refresh_from_db()
    assert task.state == "todo"


@pytest.fixture
def plan():
    """Management wants an update every 30 minutes on a SEV1; the technical team hears every update."""
    boss, engineer = UserFactory(username="boss"), UserFactory(username="engineer")
    StakeholderGroup.objects.create(name="Board", audience=Audience.MANAGEMENT).users.add(boss)
    StakeholderGroup.objects.create(name="Engineers", audience=Audience.TECHNICAL).users.add(engineer)
    CommunicationRule.objects.create(
        event="major_incident.status_update",
        audience=Audience.MANAGEMENT,
        priority=1,
        update_interval=timedelta(minutes=30),
    )
    CommunicationRule.objects.create(event="major_incident.status_update", audience=Audience.TECHNICAL)
    return {"boss": boss, "engineer": engineer}


def test_the_cadence_reminds_the_communications_lead_then_the_commander(plan):
    lead, commander = UserFactory(role="agents"), UserFactory()
    with time_machine.travel(T0, tick=False) as clock:
        major = declare(by=None, severity=1)
        role_assign(major_incident_id=major.pk, role="commander", user=commander, by=None)
        role_assign(major_incident_id=major.pk, role="communications_lead", user=lead, by=None)
        major.refresh_from_db()
        assert major.next_update_at == T0 + timedelta(minutes=30)

        clock.move_to(T0 + timedelta(minutes=20))
        update = status_update_publish(
            major_incident_id=major.pk,
            by=lead,
            status="Failing over to the second site",
            audiences=["management"],
        )
        major.refresh_from_db()
        assert major.next_update_at == T0 + timedelta(minutes=50), "the cadence starts again from the update"
        clock.move_to(T0 + timedelta(minutes=30))
        assert timer_sweep() == 0

        clock.move_to(T0 + timedelta(minutes=50))
        timer_sweep()
        [due] = reminders()
        assert due.recipient == lead
        assert "Status update due" in due.title
        clock.move_to(T0 + timedelta(minutes=60))  # missed for the configured 10 minutes
        timer_sweep()
        assert [n.recipient for n in reminders()] == [lead, commander]
        assert "Missed status update" in reminders(commander)[0].title
    # The update went to management only, and the API's deliveries say so.
    assert [
        n.recipient for n in Notification.objects.filter(reason="comms:major_incident.status_update")
    ] == [plan["boss"]]
    assert update.event_id


def test_an_update_without_an_audience_is_refused(plan):
    major = declare(by=None)
    with pytest.raises(InvalidInput) as refused:
        status_update_publish(major_incident_id=major.pk, by=None, status="x", audiences=[])
    assert "audiences" in refused.value.extra["fields"]
    with pytest.raises(InvalidInput):
        status_update_publish(major_incident_id=major.pk, by=None, status="x", audiences=["everyone"])


def test_a_promised_next_update_is_reminded_even_without_a_cadence(plan):
    lead = UserFactory()
    with time_machine.travel(T0, tick=False) as clock:
        major = declare(by=None, severity=2)
        role_assign(major_incident_id=major.pk, role="communications_lead", user=lead, by=None)
        status_update_publish(
            major_incident_id=major.pk,
            by=None,
            status="Investigating",
            audiences=["technical"],
            next_update_at=T0 + timedelta(minutes=15),
        )
        clock.move_to(T0 + timedelta(minutes=15))
        timer_sweep()
    assert [n.recipient for n in reminders()] == [lead]


def test_resolving_stops_the_cadence(plan):
    lead = UserFactory()
    with time_machine.travel(T0, tick=False) as clock:
        major = declare(by=None, severity=1)
        role_assign(major_incident_id=major.pk, role="commander", user=lead, by=None)
        from incidents.major.services import major_incident_transition

        for name in ("investigate", "mitigate"):
            major_incident_transition(major_incident_id=major.pk, name=name, by=None)
        major_incident_transition(major_incident_id=major.pk, name="resolve", by=None, no_problem_reason="x")
        clock.move_to(T0 + timedelta(hours=2))
        timer_sweep()
    assert reminders() == []


def test_escalating_to_management_and_bringing_in_a_team_and_an_outside_agency(plan):
    major = declare(by=None)
    entry = major_incident_escalate(
        major_incident_id=major.pk, by=None, target="management", note="Needs a decision"
    )
    assert entry.data["reached"] == ["Board"]
    assert (
        Notification.objects.filter(
            recipient=plan["boss"], reason="comms:major_incident.escalated_to_management"
        ).count()
        == 1
    )

    team = TeamFactory(name="Network")
    network_engineer = UserFactory()
    team.members.add(network_engineer)
    entry = major_incident_escalate(major_incident_id=major.pk, by=None, target="team", team=team)
    assert entry.data["reached"] == [network_engineer.username]
    assert Notification.objects.filter(
        recipient=network_engineer, reason="major_incident.help_requested"
    ).exists()

    vendor = outside_person()
    major_incident_escalate(major_incident_id=major.pk, by=None, target="person", person=vendor)
    assert Notification.objects.filter(address=vendor.email, reason="major_incident.help_requested").exists()
    assert major.team_members.filter(person=vendor).exists()
    with pytest.raises(InvalidInput) as refused:
        major_incident_escalate(major_incident_id=major.pk, by=None, target="group")
    assert "group" in refused.value.extra["fields"]
    assert MajorIncidentLogEntry.objects.filter(major_incident=major, kind="escalated").count() == 3


def test_costs_are_totalled_against_allocated_funds_per_currency():
    major = declare(by=None)
    funds_allocate(major_incident_id=major.pk, by=None, amount=Decimal("1000"), currency="eur")
    cost_add(major_incident_id=major.pk, by=None, category="staff", amount=Decimal("600"), currency="EUR")
    cost_add(
        major_incident_id=major.pk,
        by=None,
        category="outside_services",
        amount=Decimal("550.50"),
        currency="EUR",
    )
    cost_add(major_incident_id=major.pk, by=None, category="travel", amount=Decimal("80"), currency="USD")
    rows = {row["currency"]: row for row in finance_summary(major)}
    assert rows["EUR"]["allocated"] == Decimal("1000")
    assert rows["EUR"]["spent"] == Decimal("1150.50")
    assert rows["EUR"]["remaining"] == Decimal("-150.50")
    assert rows["EUR"]["overspent"] is True
    assert rows["USD"] == {
        "currency": "USD",
        "allocated": Decimal(0),
        "spent": Decimal("80"),
        "remaining": Decimal("-80"),
        "overspent": True,
        "spent_by_category": {"travel": Decimal("80")},
    }
    with pytest.raises(InvalidInput) as negative:
        cost_add(major_incident_id=major.pk, by=None, category="staff", amount=Decimal("-1"), currency="EUR")
    assert "amount" in negative.value.extra["fields"]
    with pytest.raises(InvalidInput) as unknown:
        cost_add(major_incident_id=major.pk, by=None, category="staff", amount=Decimal("1"), currency="XYZ")
    assert "currency" in unknown.value.extra["fields"]


def test_resource_requests_record_who_asked_and_who_provided():
    asker, provider = UserFactory(role="agents"), UserFactory(role="agents")
    major = declare(by=None)
    request = resource_request_create(
        major_incident_id=major.pk, by=asker, kind="access", description="Prod DB"
    )
    request = resource_request_decide(request_id=request.pk, by=provider, state="provided")
    assert (request.requested_by, request.provided_by, request.state) == (asker, provider, "provided")
    from config.errors import Conflict

    with pytest.raises(Conflict):
        resource_request_decide(request_id=request.pk, by=provider, state="refused")
    assert Task.objects.count() == 0


def test_managers_set_a_cadence_on_the_communication_plan(api, as_role):
    as_role("managers")
    response = api.post(
        "/api/v1/communication-rules/",
        {
            "event": "major_incident.status_update",
            "audience": "sla_owners",
            "priority": 1,
            "update_interval_seconds": 1800,
        },
    )
    assert response.status_code == 201, response.json()
    assert CommunicationRule.objects.get().update_interval == timedelta(minutes=30)
    refused = api.post(
        "/api/v1/communication-rules/",
        {"event": "major_incident.status_update", "audience": "management", "update_interval_seconds": 5},
    )
    assert refused.status_code == 400
    assert "update_interval_seconds" in refused.json()["fields"]
