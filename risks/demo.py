"""The risks app's demo data, loaded by `manage.py seed_risks_demo` after `seed_demo` (it reads its teams,
services and people): two areas, a few risks of the seed material, KRIs, a drill, a response checklist, a
reporting procedure, emergency contacts and this week's radar. Every row is found by its name first and
created through the services only when missing, so running the command twice changes nothing."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from escalation.models import Team
from incidents.models import IncidentCategory, Service

from .drills import drill_schedule
from .models import (
    KRI,
    Area,
    ChecklistItem,
    Drill,
    DrillStep,
    EmergencyContact,
    ReportingProcedure,
    ResponseChecklist,
    Risk,
)
from .procedures import procedure_publish
from .radar import radar_snapshot
from .services import risk_create

# title, area, category, inherent (likelihood, impact), residual (likelihood, impact) or None
RISKS = [
    ("[demo] Backup network device switched off", "IT operations", "system_failure", (3, 5), None),
    ("[demo] Servers run out of capacity at peak", "IT operations", "system_failure", (3, 4), (2, 4)),
    ("[demo] Card processor outage", "Payments", "supplier", (2, 5), (2, 4)),
    ("[demo] Lost ID cards open the building", "Security", "security", (3, 3), (2, 2)),
]


def demo_risks() -> int:
    """Returns how many rows it added."""
    user_model = get_user_model()
    maria = user_model.objects.filter(username="maria").first()
    alice = user_model.objects.filter(username="alice").first()
    added = 0
    areas = {}
    for name, threshold in (("IT operations", 15.0), ("Payments", 10.0), ("Security", 10.0)):
        areas[name], created = Area.objects.get_or_create(
            name=name, defaults={"owner": maria, "radar_threshold": threshold}
        )
        added += created
    risks = {}
    for title, area, category, inherent, residual in RISKS:
        risk = Risk.objects.filter(title=title).first()
        if risk is None:
            risk = risk_create(
                by=None,
                title=title,
                area=areas[area],
                category=category,
                owner=alice or maria,
                inherent_likelihood=inherent[0],
                inherent_impact=inherent[1],
                residual_likelihood=residual[0] if residual else None,
                residual_impact=residual[1] if residual else None,
            )
            added += 1
        risks[title] = risk
    cpu, created = KRI.objects.get_or_create(
        name="[demo] Server CPU use", defaults={"unit": "%", "yellow": 80, "red": 90, "hysteresis": 2}
    )
    if created:
        cpu.risks.add(risks["[demo] Servers run out of capacity at peak"])
        added += 1
    vpn = Service.objects.filter(name="vpn").first()
    if vpn is not None:
        kri, created = KRI.objects.get_or_create(
            name="[demo] VPN incidents per week",
            defaults={
                "unit": "",
                "yellow": 3,
                "red": 6,
                "hysteresis": 1,
                "source": "computed",
                "measure": "incidents_per_week",
                "service": vpn,
            },
        )
        if created:
            kri.risks.add(risks["[demo] Backup network device switched off"])
            added += 1
    drill, created = Drill.objects.get_or_create(
        title="[demo] Failover to the backup network device",
        defaults={
            "scenario": "The core switch dies during business hours.",
            "owner": alice,
            "interval_days": 90,
        },
    )
    if created:
        drill.risks.add(risks["[demo] Backup network device switched off"])
        if vpn is not None:
            drill.services.add(vpn)
        for position, (instruction, expected) in enumerate(
            [
                ("Check that the backup device is powered on and monitored", "Green in monitoring"),
                ("Pull the primary uplink", "Traffic moves to the backup within 30 seconds"),
                ("Restore the primary uplink", "Traffic moves back; no alert left open"),
            ],
            start=1,
        ):
            DrillStep.objects.create(
                drill=drill, position=position, instruction=instruction, expected_result=expected
            )
        drill_schedule(drill_id=drill.pk, by=None, next_run_at=timezone.now() + dt.timedelta(days=30))
        added += 1
    lost_card = IncidentCategory.objects.filter(code="lost-id-card").first()
    if lost_card is not None:
        checklist, created = ResponseChecklist.objects.get_or_create(
            category=lost_card, name="[demo] Lost ID card"
        )
        if created:
            for position, title in enumerate(
                ["Block the card", "Tell the security desk", "Issue a temporary card"], start=1
            ):
                ChecklistItem.objects.create(checklist=checklist, position=position, title=title)
            added += 1
    security = Team.objects.filter(name="Security").first()
    procedure, created = ReportingProcedure.objects.get_or_create(name="[demo] Security incidents")
    if created:
        if security is not None:
            procedure.teams.add(security)
        procedure_publish(
            procedure_id=procedure.pk,
            by=None,
            body="Report at once; if the first contact does not answer, call the next one.",
            steps=[
                {"what": "Lost ID card", "to": "Security desk", "within_minutes": 15, "channel": "phone"},
                {
                    "what": "Misdirected e-mail or fax",
                    "to": "Data protection officer",
                    "within_minutes": 60,
                    "channel": "e-mail",
                },
            ],
        )
        added += 1
    platform = Team.objects.filter(name="Platform").first()
    if platform is not None and not EmergencyContact.objects.filter(team=platform).exists():
        EmergencyContact.objects.create(
            team=platform, name="Network on-call", role="On-call engineer", phone="+1 555 0100", position=1
        )
        EmergencyContact.objects.create(
            team=platform,
            name="Data centre operator",
            organisation="Colo Inc.",
            phone="+1 555 0199",
            position=2,
        )
        added += 2
    radar_snapshot(at=timezone.now())
    return added
