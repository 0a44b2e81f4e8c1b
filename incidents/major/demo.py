"""Major incidents' demo data, loaded by `manage.py seed_demo`: the configuration (the Platform on-call
commands, a policy that pages the commander then the manager), the status page's services, a cadence of
status updates and a general action plan template. Idempotent like the rest of the demo."""

from datetime import timedelta

from django.contrib.auth.models import User

from escalation.demo import PLATFORM_SCHEDULE
from escalation.models import Audience, CommunicationRule, EscalationLevel, EscalationPolicy, Schedule

from ..events import MajorIncidentEvent
from ..models import (
    ActionPlanStep,
    ActionPlanTemplate,
    MajorIncidentConfiguration,
    Service,
    StatusPageService,
)

COMMANDERS_POLICY = "Major incident commanders"
PUBLIC_NAMES = {
    "checkout": "Online shop",
    "payments": "Card payments",
    "email": "E-mail",
    "vpn": "Remote access",
}
# title, workstream, priority (1 safety ... 4 routine), due after declaration (minutes), owner's role
GENERAL_PLAN = [
    ("Open the bridge and the war room; post their links", "process_briefing", 2, 5, "commander"),
    ("Check that nobody's safety is at risk", "process_briefing", 1, 10, "commander"),
    ("Find what changed in the last 24 hours", "debugging", 2, 15, "technical_lead"),
    ("Publish the first status update", "communications", 2, 15, "communications_lead"),
    ("Brief the service desk on what to tell callers", "customer_support", 3, 20, "customer_support_lead"),
]


def demo_major_incidents(*, manager: User, services: dict[str, Service]) -> int:
    created = 0
    policy, new = EscalationPolicy.objects.get_or_create(
        name=COMMANDERS_POLICY,
        defaults={
            "description": "The major incident's commander at once, then the manager after 10 minutes."
        },
    )
    if new:
        created += 1
        EscalationLevel.objects.create(policy=policy, position=1, subject_roles=["commander"])
        EscalationLevel.objects.create(policy=policy, position=2, delay=timedelta(minutes=10)).users.add(
            manager
        )
    config = MajorIncidentConfiguration.load()
    if config.escalation_policy_id is None and config.commander_schedule_id is None:
        config.escalation_policy = policy
        config.commander_schedule = Schedule.objects.filter(name=PLATFORM_SCHEDULE).first()
        config.status_page_title = "Service status"
        config.save()
        created += 1
    for position, (code, public_name) in enumerate(PUBLIC_NAMES.items()):
        if code in services:
            _row, new = StatusPageService.objects.get_or_create(
                service=services[code], defaults={"public_name": public_name, "position": position}
            )
            created += int(new)
    for audience, interval in ((Audience.MANAGEMENT, timedelta(minutes=30)), (Audience.TECHNICAL, None)):
        _rule, new = CommunicationRule.objects.get_or_create(
            event=MajorIncidentEvent.STATUS_UPDATE,
            audience=audience,
            priority=1 if interval else None,
            defaults={"update_interval": interval},
        )
        created += int(new)
    template, new = ActionPlanTemplate.objects.get_or_create(name="Any major incident")
    if new:
        created += 1
        for position, (title, workstream, priority, minutes, role) in enumerate(GENERAL_PLAN, start=1):
            ActionPlanStep.objects.create(
                template=template,
                position=position,
                title=title,
                workstream=workstream,
                priority=priority,
                due_after=timedelta(minutes=minutes),
                owner_role=role,
            )
    return created
