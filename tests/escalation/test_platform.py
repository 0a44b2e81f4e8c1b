"""The engine as a platform: a subject type that exists only in the tests (tests/engine_subject, a "chore")
gets SLA clocks, is escalated, paged, reminded and told through the communication plan and the reporting
rules, with nothing in escalation/ that names it. And the system check that proves every pending timer and
every event named by a rule has its handler."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from escalation import services as engine
from escalation.checks import TAG
from escalation.events import event_emit
from escalation.models import (
    Audience,
    CommunicationRule,
    Escalation,
    EscalationState,
    Notification,
    ReportingRule,
    SlaClock,
    SlaClockState,
    Timer,
    TimerState,
)
from escalation.registry import event_choices, subject_type_for
from escalation.reminders import ReminderStep, reminder_cancel, reminder_schedule
from escalation.timers import timer_schedule, timer_sweep
from tests.engine_subject.models import Chore, ChoreLog
from tests.escalation.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    RotationFactory,
    ScheduleFactory,
    SlaPolicyFactory,
    StakeholderGroupFactory,
    WebhookSubscriptionFactory,
)
from tests.incidents.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ESCALATION_DIR = Path(__file__).resolve().parents[2] / "escalation"


@pytest.fixture
def chore_world():
    """A team with someone on call, a manager, and a chore owned by someone else; an SLA policy for chores only
    (15 min to acknowledge) whose escalation pages the on-call person at once, then the chore's owner, then the
    owner's manager; management hears when a chore opens; a reporting rule for chores."""
    oncall, owner, manager, boss = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    team = TeamFactory(manager=manager)
    schedule = ScheduleFactory(team=team)
    RotationFactory(schedule=schedule, users=[oncall], starts_at=T0 - timedelta(days=7))
    policy = EscalationPolicyFactory(name="Chores")
    EscalationLevelFactory(policy=policy, position=1, delay=timedelta(0), schedule=schedule)
    EscalationLevelFactory(policy=policy, position=2, delay=timedelta(minutes=5), subject_roles=["owner"])
    EscalationLevelFactory(
        policy=policy, position=3, delay=timedelta(minutes=5), subject_roles=["owner_manager"]
    )
    chore_type = ContentType.objects.get_for_model(Chore)
    SlaPolicyFactory(priority=1, subject_type=chore_type, escalation_policy=policy)
    StakeholderGroupFactory(audience=Audience.MANAGEMENT, users=[boss])
    CommunicationRule.objects.create(event="chore.opened", audience=Audience.MANAGEMENT)
    ReportingRule.objects.create(
        name="Chores to management",
        subject_type=chore_type,
        group=StakeholderGroupFactory(audience=Audience.TECHNICAL, users=[boss]),
        within_minutes=10,
    )
    subscription = WebhookSubscriptionFactory(events=["chore.opened", "sla.warning"])
    chore = Chore.objects.create(title="Renew the TLS certificate", priority=1, owner=owner, team=team)
    return {
        "oncall": oncall,
        "owner": owner,
        "manager": manager,
        "boss": boss,
        "chore": chore,
        "subscription": subscription,
    }


def open_chore(chore: Chore) -> None:
    """What the chore's app would do in its own service: lock, engage, emit, in one transaction."""
    with transaction.atomic():
        locked = Chore.objects.select_for_update().get(pk=chore.pk)
        engine.subject_engage(subject=locked, at=T0)
        event_emit(subject=locked, event="chore.opened", at=T0)


def rows(*, reason: str, user=None) -> list[Notification]:
    query = Notification.objects.filter(reason=reason)
    if user is not None:
        query = query.filter(recipient=user)
    return list(query)


def test_a_subject_the_engine_has_never_heard_of_gets_clocks_pages_and_the_communication_plan(chore_world):
    world = chore_world
    chore = world["chore"]
    with time_machine.travel(T0, tick=False) as clock:
        open_chore(chore)
        clocks = {c.kind: c for c in SlaClock.objects.filter(subject_id=chore.pk)}
        assert set(clocks) == {"acknowledge", "resolve"}
        assert clocks["acknowledge"].due_at == T0 + timedelta(minutes=15)
        # Level 1 at once, over the subject type's own page template.
        [page] = rows(reason="page", user=world["oncall"])
        assert page.title == f"Chore CHORE-{chore.pk} needs you (level 1), owner {world['owner'].username}"
        assert page.payload["subject"]["type"] == "engine_subject.chore"
        # The communication plan and the reporting rule, by the subject's own event and type.
        assert [n.recipient for n in rows(reason="comms:chore.opened")] == [world["boss"]]
        [report] = rows(reason="report")
        assert report.deadline_at == T0 + timedelta(minutes=10)
        [webhook] = Notification.objects.filter(subscription=world["subscription"])
        assert webhook.payload["event"] == "chore.opened"

        clock.move_to(T0 + timedelta(minutes=5))
        timer_sweep()
        assert len(rows(reason="page", user=world["owner"])) == 1, "level 2: the chore's owner, by role"
        clock.move_to(T0 + timedelta(minutes=10))
        timer_sweep()
        assert len(rows(reason="page", user=world["manager"])) == 1, "level 3: the owner's manager"
        clock.move_to(T0 + timedelta(minutes=11, seconds=15))
        timer_sweep()
        assert SlaClock.objects.get(subject_id=chore.pk, kind="acknowledge").warned_at is not None
        assert (
            Notification.objects.filter(subscription=world["subscription"], reason="sla.warning").count() == 1
        )

        # Acknowledged through the engine: the escalation stops and the clock is met.
        with transaction.atomic():
            Chore.objects.filter(pk=chore.pk).update(state=Chore.State.ACKNOWLEDGED)
            engine.subject_acknowledge(subject=chore, by=world["owner"], at=T0 + timedelta(minutes=12))
        assert Escalation.objects.get(subject_id=chore.pk).state == EscalationState.ACKNOWLEDGED
        assert SlaClock.objects.get(subject_id=chore.pk, kind="acknowledge").state == SlaClockState.MET

    # The app kept its own history through SubjectType.record.
    log = list(ChoreLog.objects.filter(chore=chore).values_list("what", flat=True))
    assert log.count("escalated") == 3
    assert "acknowledged" in log
    assert "notified" in log
    assert log.count("heard") == 1, "the listener registered for chore.opened ran once"


def test_a_policy_for_another_subject_type_does_not_apply(chore_world):
    """An SLA policy made for chores is not used by an incident of the same priority, and a policy for any
    type is used by a chore only when no chore policy exists."""
    from tests.incidents.factories import IncidentFactory

    incident = IncidentFactory(priority=1)
    with transaction.atomic():
        engine.subject_engage(subject=incident, at=T0)
    assert not SlaClock.objects.filter(subject_type=ContentType.objects.get_for_model(incident)).exists()


def test_reminders_tell_the_owner_then_the_manager_and_stop_when_done(chore_world):
    world = chore_world
    chore = world["chore"]
    due = T0 + timedelta(hours=1)
    with time_machine.travel(T0, tick=False) as clock:
        with transaction.atomic():
            reminder_schedule(
                subject=chore,
                key="renewal",
                due_at=due,
                steps=[
                    ReminderStep(timedelta(0), ("owner",)),
                    ReminderStep(timedelta(hours=1), ("owner_manager",)),
                ],
            )
        clock.move_to(due - timedelta(seconds=1))
        assert timer_sweep() == 0
        clock.move_to(due)
        timer_sweep()
        [first] = rows(reason="reminder")
        assert first.recipient == world["owner"]
        assert "Due now" in first.title
        # A second sweep at the same instant tells nobody again.
        timer_sweep()
        assert len(rows(reason="reminder")) == 1
        clock.move_to(due + timedelta(hours=1))
        timer_sweep()
        assert [n.recipient for n in rows(reason="reminder", user=world["manager"])] == [world["manager"]]
        assert "Still overdue" in rows(reason="reminder", user=world["manager"])[0].title


def test_a_reminder_whose_reason_went_away_tells_nobody(chore_world):
    chore = chore_world["chore"]
    with time_machine.travel(T0, tick=False) as clock:
        with transaction.atomic():
            reminder_schedule(
                subject=chore, key="a", due_at=T0, steps=[ReminderStep(timedelta(0), ("owner",))]
            )
            reminder_schedule(
                subject=chore, key="b", due_at=T0, steps=[ReminderStep(timedelta(0), ("owner",))]
            )
            assert reminder_cancel(subject=chore, key="a") == 1
        # "b" was not cancelled, but the chore is done when it fires (a cancel that lost the race).
        Chore.objects.filter(pk=chore.pk).update(state=Chore.State.DONE)
        clock.move_to(T0 + timedelta(seconds=1))
        timer_sweep()
    assert rows(reason="reminder") == []
    assert set(Timer.objects.filter(kind="escalation.reminder").values_list("state", flat=True)) == {
        TimerState.CANCELLED,
        TimerState.FIRED,
    }


def test_rescheduling_a_reminder_replaces_the_pending_one(chore_world):
    chore = chore_world["chore"]
    with transaction.atomic():
        reminder_schedule(subject=chore, key="k", due_at=T0, steps=[ReminderStep(timedelta(0), ("owner",))])
        reminder_schedule(
            subject=chore,
            key="k",
            due_at=T0 + timedelta(days=1),
            steps=[ReminderStep(timedelta(0), ("owner",))],
        )
    pending = Timer.objects.filter(kind="escalation.reminder", state=TimerState.PENDING)
    assert [t.due_at for t in pending] == [T0 + timedelta(days=1)]


def test_the_subjects_own_timer_kind_and_events_are_registered_from_its_ready():
    assert subject_type_for(Chore) is not None
    assert {"chore.opened", "chore.done", "incident.created", "sla.breached"} <= {
        n for n, _ in event_choices()
    }
    chore = Chore.objects.create(title="x")
    with transaction.atomic():
        timer_schedule(subject=chore, kind="chore.expire", due_at=T0)
    timer_sweep(now=T0)
    chore.refresh_from_db()
    assert chore.state == Chore.State.DONE


def test_an_unregistered_timer_kind_or_event_is_refused_where_the_mistake_is_made():
    chore = Chore.objects.create(title="x")
    with pytest.raises(ImproperlyConfigured, match="no handler"):
        timer_schedule(subject=chore, kind="chore.unknown", due_at=T0)
    with pytest.raises(ImproperlyConfigured, match="not registered"):
        event_emit(subject=chore, event="chore.unknown")


def engine_errors() -> list[str]:
    return [message.id for message in run_checks(tags=[TAG]) if message.is_serious()]


def test_the_system_check_fails_for_a_pending_timer_without_a_handler():
    assert engine_errors() == []
    chore = Chore.objects.create(title="x")
    # Written as another process (an older release, the ingestion statement) would: not through timer_schedule.
    Timer.objects.create(
        subject_type=ContentType.objects.get_for_model(chore),
        subject_id=chore.pk,
        kind="gone.away",
        due_at=T0,
    )
    assert engine_errors() == ["escalation.E001"]
    Timer.objects.filter(kind="gone.away").update(state=TimerState.CANCELLED)
    assert engine_errors() == []


def test_the_system_check_fails_for_an_event_named_by_a_rule_that_nobody_registers():
    CommunicationRule.objects.create(event="nobody.emits", audience=Audience.MANAGEMENT)
    assert engine_errors() == ["escalation.E002"]
    CommunicationRule.objects.all().delete()
    WebhookSubscriptionFactory(events=["incident.created", "nobody.either"])
    assert engine_errors() == ["escalation.E002"]


def test_the_engine_names_no_subject_of_the_apps_above():
    """escalation/ neither imports the apps above it nor names their events or timers."""
    offenders = []
    pattern = re.compile(
        r"\b(incident|major_incident|problem|change|risk|kri|postmortem)\.[a-z_]+\"|^\s*(from|import) (incidents|risks|postmortems)\b",
        re.M,
    )
    for path in ESCALATION_DIR.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for match in pattern.finditer(path.read_text()):
            offenders.append(f"{path.relative_to(ESCALATION_DIR)}: {match.group(0).strip()}")
    assert offenders == []


def test_the_api_sets_what_a_policy_applies_to_and_the_roles_a_level_pages(api, as_role):
    as_role("managers")
    response = api.post(
        "/api/v1/sla-policies/",
        {
            "name": "Chores P1",
            "subject_type": "engine_subject.chore",
            "priority": 1,
            "time_to_acknowledge_seconds": 600,
            "time_to_resolve_seconds": 3600,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["subject_type"] == "engine_subject.chore"
    response = api.post(
        "/api/v1/escalation-policies/",
        {"name": "Chores", "levels": [{"position": 1, "subject_roles": ["owner", "owner_manager"]}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["levels"][0]["subject_roles"] == ["owner", "owner_manager"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/sla-policies/", {"subject_type": "auth.user"}, "subject_type"),
        ("/api/v1/reporting-rules/", {"subject_type": "nope"}, "subject_type"),
        ("/api/v1/escalation-policies/", {"levels": [{"position": 1, "subject_roles": ["king"]}]}, "levels"),
    ],
)
def test_an_unknown_kind_of_subject_or_role_is_400(api, as_role, path, body, field):
    as_role("managers")
    response = api.post(path, {"name": "x", **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_the_admin_offers_only_the_kinds_of_subject_the_engine_knows(client):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin_user)
    page = client.get("/admin/escalation/slapolicy/add/").content.decode()
    assert "| chore</option>" in page
    assert "| incident</option>" in page
    assert "| user</option>" not in page, "only registered subject types, not every model"
    page = client.get("/admin/escalation/escalationpolicy/add/").content.decode()
    assert 'name="levels-0-subject_roles"' in page
    assert "owner_manager" in page
