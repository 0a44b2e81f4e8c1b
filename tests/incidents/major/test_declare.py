"""Declaring: the primary incident, linked ones, the on-call commander by default, paging through the engine,
the first notices, the action plan template; from a possible-major flag; joining an open one."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from escalation.models import (
    Audience,
    CommunicationRule,
    Escalation,
    Notification,
    StakeholderGroup,
    WebhookSubscription,
)
from escalation.timers import timer_sweep
from incidents.major.services import major_incident_join
from incidents.models import (
    ActionPlanStep,
    ActionPlanTemplate,
    Incident,
    MajorIncidentFlag,
    MajorIncidentLogEntry,
    RoleAssignment,
    Task,
    TimelineEvent,
)
from tests.incidents.factories import IncidentFactory, ServiceFactory, UserFactory

from .factories import commander_on_call, declare

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_declaration_opens_the_primary_incident_assigns_the_on_call_commander_and_pages_them():
    with time_machine.travel(T0, tick=False) as clock:
        world = commander_on_call(since=T0)
        reporter = UserFactory(role="reporters")
        boss = UserFactory()
        StakeholderGroup.objects.create(name="Board", audience=Audience.MANAGEMENT).users.add(boss)
        CommunicationRule.objects.create(event="major_incident.declared", audience=Audience.MANAGEMENT)
        service = ServiceFactory()
        major = declare(by=reporter, title="Nobody can pay", services=[service], via="form")

        assert major.reference == f"MI-{major.pk:06d}"
        assert major.state == "declared"
        primary = major.primary_incident
        assert (primary.reporter, primary.source, primary.priority, primary.service) == (
            reporter,
            "form",
            1,
            service,
        )
        assert list(major.services.all()) == [service]
        [commander] = RoleAssignment.objects.filter(major_incident=major, role="commander")
        assert commander.user == world["commander"]
        assert "On call" in commander.note
        # Paged at once through the engine, by the commander role of the configured policy.
        escalation = Escalation.objects.get(subject_id=major.pk, subject_type__model="majorincident")
        assert escalation.policy == world["policy"]
        [page] = Notification.objects.filter(reason="page", recipient=world["commander"])
        assert page.title.startswith(
            f"[Vigil] SEV1 major incident {major.reference}: you are needed as commander"
        )
        # The communication plan's first notice.
        [notice] = Notification.objects.filter(reason="comms:major_incident.declared")
        assert notice.recipient == boss
        kinds = list(
            MajorIncidentLogEntry.objects.filter(major_incident=major).values_list("kind", flat=True)
        )
        assert kinds[:2] == ["declared", "role"]
        assert "paged" in kinds
        assert TimelineEvent.objects.filter(incident=primary, note__contains=major.reference).exists()

        # Nobody acknowledges: the second level pages the schedule's person again ten minutes later.
        clock.move_to(T0 + timedelta(minutes=10))
        timer_sweep()
        assert Notification.objects.filter(reason="page", recipient=world["commander"]).count() == 2


def test_the_webhook_says_declared_with_the_incidents():
    subscription = WebhookSubscription.objects.create(name="crm", url="https://crm.example/hook", events=[])
    major = declare(by=None)
    rows = Notification.objects.filter(subscription=subscription, reason="major_incident.declared")
    [row] = rows
    assert row.payload["subject"]["reference"] == major.reference
    assert row.payload["data"]["incidents"] == [major.primary_incident_id]


def test_existing_incidents_are_gathered_the_first_as_primary_and_others_acknowledged():
    first, second = IncidentFactory(priority=1), IncidentFactory(priority=2)
    major = declare(by=None, incidents=[first, second])
    assert major.primary_incident == first
    assert set(major.links.values_list("incident_id", flat=True)) == {first.pk, second.pk}
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.state == "acknowledged", "a linked report is handled by the major incident team"
    assert first.state == "new", "the primary incident keeps paging its service's on-call"


def test_an_incident_belongs_to_one_major_incident():
    incident = IncidentFactory()
    declare(by=None, incidents=[incident])
    from config.errors import Conflict

    with pytest.raises(Conflict):
        declare(by=None, incidents=[incident])


def test_the_most_specific_action_plan_template_becomes_tasks_owned_by_role_holders():
    with time_machine.travel(T0, tick=False):
        world = commander_on_call(since=T0)
        general = ActionPlanTemplate.objects.create(name="Any major incident")
        ActionPlanStep.objects.create(template=general, position=1, title="Open the bridge")
        attack = ActionPlanTemplate.objects.create(name="Cyber-attack", cause="cyber_attack")
        ActionPlanStep.objects.create(
            template=attack,
            position=1,
            title="Isolate the hosts",
            priority=1,
            due_after=timedelta(minutes=15),
        )
        ActionPlanStep.objects.create(
            template=attack, position=2, title="Brief customers", owner_role="communications_lead"
        )
        major = declare(by=None, cause="cyber_attack")
    tasks = list(Task.objects.filter(major_incident=major).order_by("position"))
    assert [t.title for t in tasks] == ["Isolate the hosts", "Brief customers"]
    assert tasks[0].owner_user == world["commander"]
    assert tasks[0].due_at == T0 + timedelta(minutes=15)
    # Nobody is communications lead yet: the task waits, and goes to whoever takes the role.
    assert tasks[1].owner_user is None
    from incidents.major.command import role_assign

    lead = UserFactory()
    role_assign(major_incident_id=major.pk, role="communications_lead", user=lead, by=None)
    tasks[1].refresh_from_db()
    assert tasks[1].owner_user == lead


def test_deciding_a_flag_declared_declares_the_major_incident_with_the_spikes_incidents():
    from incidents.spikes import flag_decide

    service = ServiceFactory()
    with time_machine.travel(T0, tick=False):
        incidents = [
            IncidentFactory(service=service, reported_at=T0 - timedelta(minutes=i)) for i in range(3)
        ]
        flag = MajorIncidentFlag.objects.create(
            kind="spike",
            service=service,
            incident=incidents[0],
            count=3,
            window_minutes=10,
            raised_at=T0,
            updated_at=T0,
        )
        commander = UserFactory(role="agents")
        flag_decide(flag_id=flag.pk, state="declared", by=commander)
    [major] = flag.major_incidents.all()
    assert major.declared_via == "flag"
    assert major.primary_incident == incidents[0]
    assert set(major.links.values_list("incident_id", flat=True)) == {i.pk for i in incidents}
    assert Notification.objects.filter(reason="major_incident.declared").count() == 0  # no subscription
    assert MajorIncidentLogEntry.objects.filter(major_incident=major, kind="declared").count() == 1
    # Deciding again changes nothing.
    flag_decide(flag_id=flag.pk, state="declared", by=commander)
    assert flag.major_incidents.count() == 1


def test_a_second_report_joins_the_open_major_incident():
    reporter = UserFactory(role="reporters")
    major = declare(by=None)
    with transaction.atomic():
        report = major_incident_join(
            major_incident_id=major.pk, by=reporter, title="Cannot pay either", contact="+33 6 12 34 56 78"
        )
    assert report.reporter == reporter
    assert report.parent == major.primary_incident
    assert report.state == "acknowledged"
    assert Incident.objects.filter(major_incident_link__major_incident=major).count() == 2
    note = MajorIncidentLogEntry.objects.filter(major_incident=major, kind="note").get()
    assert "+33 6 12 34 56 78" in note.note
