"""The escalation engine's demo configuration, loaded by `manage.py seed_demo` (in the incidents app, which
calls `demo_engine` before it opens the demo incidents, so they start SLA clocks and escalations).

Every row is found by its natural key first and created only when missing; a row that exists is left as it
is, even if someone edited it since, so running the command twice changes nothing. Configuration rows have
no side effects (no clock, timer or outbox row follows from writing them), so they are written directly, as
the API's serializers do."""

import datetime as dt
import zoneinfo
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import models

from .models import (
    Audience,
    BusinessCalendar,
    Channel,
    CommunicationRule,
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    HandOff,
    NotificationRule,
    Rotation,
    RotationMember,
    Schedule,
    SlaPolicy,
    StakeholderGroup,
    Team,
    Weekday,
    WorkingInterval,
)

PARIS = "Europe/Paris"
OFFICE_HOURS = "Office hours (Europe/Paris)"
OFFICE_INTERVALS = [(dt.time(9), dt.time(12, 30)), (dt.time(13, 30), dt.time(18))]
BUSINESS_DAY = timedelta(hours=8)  # 09:00-12:30 and 13:30-18:00
PLATFORM_SCHEDULE = "Platform on-call"
PLATFORM_POLICY = "Platform default"
# A Monday at the hand-off time, well in the past, so someone is on call from the first run.
ROTATION_START = dt.datetime(2024, 1, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo(PARIS))
# priority: name, acknowledge, resolve, on office hours (else 24x7), paged through the Platform policy.
# Only P1 and P2 page: P3 and P4 are worked from the queue in office hours, nobody is woken for them.
SLA_POLICIES = {
    1: ("Critical", timedelta(minutes=15), timedelta(hours=4), False, True),
    2: ("High", timedelta(minutes=30), timedelta(hours=8), False, True),
    3: ("Medium", timedelta(hours=4), 3 * BUSINESS_DAY, True, False),
    4: ("Low", BUSINESS_DAY, 10 * BUSINESS_DAY, True, False),
}


def _find_or_create(
    model: type[models.Model], *, defaults: dict[str, Any] | None = None, **key: Any
) -> tuple[Any, bool]:
    """The first row matching the natural key, else a new one. Unlike `get_or_create`, a key that is not
    unique in the database (a user may have added a second matching row since) is not an error."""
    found = model._default_manager.filter(**key).order_by("pk").first()
    if found is not None:
        return found, False
    return model._default_manager.create(**key, **(defaults or {})), True


def demo_calendar() -> tuple[BusinessCalendar, int]:
    """Office hours in Paris, Monday to Friday with a lunch break. Policies without one run 24x7."""
    calendar, created = BusinessCalendar.objects.get_or_create(
        name=OFFICE_HOURS,
        defaults={"time_zone": PARIS, "description": "Monday to Friday, 09:00-12:30 and 13:30-18:00."},
    )
    if created:
        WorkingInterval.objects.bulk_create(
            WorkingInterval(calendar=calendar, weekday=day, start=start, end=end)
            for day in range(Weekday.MONDAY, Weekday.FRIDAY + 1)
            for start, end in OFFICE_INTERVALS
        )
    return calendar, int(created)


def demo_oncall(*, team: Team, people: list[User]) -> tuple[Schedule, int]:
    """The team's schedule: one weekly rotation through `people`, handed off on Monday at 09:00 Paris time."""
    schedule, created = Schedule.objects.get_or_create(
        team=team, name=PLATFORM_SCHEDULE, defaults={"time_zone": PARIS}
    )
    if created:
        rotation = Rotation.objects.create(
            schedule=schedule,
            name="primary",
            hand_off=HandOff.WEEKLY,
            hand_off_time=dt.time(9),
            hand_off_weekday=Weekday.MONDAY,
            starts_at=ROTATION_START,
        )
        RotationMember.objects.bulk_create(
            RotationMember(rotation=rotation, user=user, position=position)
            for position, user in enumerate(people)
        )
    return schedule, int(created)


def demo_escalation_policy(*, schedule: Schedule) -> tuple[EscalationPolicy, int]:
    """Whoever is on call at once, the team's manager 10 minutes later, the whole policy once more after
    another 10 minutes. 24x7 (no calendar): a P1 at night climbs as fast as one by day."""
    policy, created = EscalationPolicy.objects.get_or_create(
        name=PLATFORM_POLICY,
        defaults={
            "description": "The Platform on-call at once, then the team's manager; repeated once.",
            "repeat_count": 1,
            "repeat_delay": timedelta(minutes=10),
        },
    )
    if created:
        EscalationLevel.objects.create(policy=policy, position=1, delay=timedelta(0), schedule=schedule)
        EscalationLevel.objects.create(
            policy=policy, position=2, delay=timedelta(minutes=10), notify_team_manager=True
        )
    return policy, int(created)


def demo_sla_policies(*, calendar: BusinessCalendar, escalation_policy: EscalationPolicy) -> int:
    """One policy per priority, for every service and category. A priority that already has one (the
    demo's, or the user's own) is left alone: a second would never apply."""
    created = 0
    for priority, (name, acknowledge, resolve, office, pages) in SLA_POLICIES.items():
        _, new = _find_or_create(
            SlaPolicy,
            priority=priority,
            service_id=None,
            category_id=None,
            defaults={
                "name": name,
                "time_to_acknowledge": acknowledge,
                "time_to_resolve": resolve,
                "calendar": calendar if office else None,
                "escalation_policy": escalation_policy if pages else None,
            },
        )
        created += new
    return created


def demo_contacts(*, people: list[User]) -> int:
    """Each person's work e-mail, and a personal rule using it at once for every priority (unless a rule for
    that contact method exists: one whose delay was edited is not doubled by an immediate one)."""
    created = 0
    for user in people:
        method, new_method = _find_or_create(
            ContactMethod,
            user=user,
            channel=Channel.EMAIL,
            address=f"{user.get_username()}@example.org",
            defaults={"label": "work e-mail"},
        )
        _, new_rule = _find_or_create(
            NotificationRule,
            user=user,
            contact_method=method,
            defaults={"delay": timedelta(0), "max_priority": 4},
        )
        created += new_method + new_rule
    return created


def demo_stakeholders(*, technical: list[Team], management: list[User], management_news: list[str]) -> int:
    """The technical team and management; management hears by e-mail of these events about P1 subjects (the
    apps above name them: the engine knows no incident events)."""
    tech, new_tech = StakeholderGroup.objects.get_or_create(
        name="Technical team", defaults={"audience": Audience.TECHNICAL}
    )
    if new_tech:
        tech.teams.set(technical)
    managers, new_managers = StakeholderGroup.objects.get_or_create(
        name="Management", defaults={"audience": Audience.MANAGEMENT}
    )
    if new_managers:
        managers.users.set(management)
    created = new_tech + new_managers
    for event in management_news:
        _, new = _find_or_create(
            CommunicationRule,
            priority=1,
            event=event,
            audience=Audience.MANAGEMENT,
            defaults={"channel": Channel.EMAIL, "template": "event", "owner": management[0]},
        )
        created += new
    return created


def demo_engine(
    *,
    team: Team,
    oncall: list[User],
    manager: User,
    everyone: list[User],
    management_news: list[str],
) -> int:
    """The whole demo configuration for `team`: `oncall` take turns weekly, `manager` manages the team (when
    it has no manager yet) and is management's stakeholder, `everyone` gets an e-mail contact method.
    Returns how many rows it wrote (0 on a second run)."""
    created = 0
    if team.manager_id is None:
        team.manager = manager
        team.save(update_fields=["manager"])
        created += 1
    calendar, new = demo_calendar()
    created += new
    schedule, new = demo_oncall(team=team, people=oncall)
    created += new
    policy, new = demo_escalation_policy(schedule=schedule)
    created += new
    created += demo_sla_policies(calendar=calendar, escalation_policy=policy)
    created += demo_contacts(people=everyone)
    created += demo_stakeholders(technical=[team], management=[manager], management_news=management_news)
    return created
