"""Loads demo data: teams, services, people and a handful of incidents in different states.

Idempotent: every object is found by its natural key first, so running it twice changes nothing."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from escalation.models import Team
from incidents.models import Incident, IncidentCategory, Service, Source
from incidents.services import incident_comment, incident_create, incident_transition

TEAMS = {"Platform": "Servers, networks and the cloud", "Service Desk": "First line", "Security": "SOC"}
SERVICES = [
    ("checkout", "Web shop checkout", "Platform", "critical"),
    ("payments", "Card payments", "Platform", "critical"),
    ("email", "Corporate e-mail", "Service Desk", "high"),
    ("vpn", "Remote access VPN", "Platform", "medium"),
    ("badges", "Building access badges", "Security", "low"),
]
PEOPLE = [
    ("alice", "agents", "Platform"),
    ("bob", "agents", "Service Desk"),
    ("maria", "managers", None),
    ("rob", "reporters", None),
]
# title, service, category, impact, urgency, reporter, transitions
INCIDENTS = [
    (
        "[demo] Checkout returns 502 for some customers",
        "checkout",
        "system-outage",
        1,
        1,
        "rob",
        ["acknowledge", "start"],
    ),
    ("[demo] Card payments slow at peak", "payments", "system-outage", 2, 2, "rob", ["acknowledge"]),
    ("[demo] Invoice e-mail sent to the wrong customer", "email", "misdirected-email-fax", 3, 2, "rob", []),
    (
        "[demo] VPN drops every 10 minutes",
        "vpn",
        "system-outage",
        3,
        3,
        "rob",
        ["acknowledge", "start", "hold"],
    ),
    (
        "[demo] Lost badge reported at reception",
        "badges",
        "lost-id-card",
        4,
        3,
        "rob",
        ["acknowledge", "start", "resolve", "close"],
    ),
    (
        "[demo] Runbook for password reset is outdated",
        None,
        "wrong-manual",
        4,
        4,
        "rob",
        ["acknowledge", "start", "resolve"],
    ),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        teams = {
            name: Team.objects.get_or_create(name=name, defaults={"description": d})[0]
            for name, d in TEAMS.items()
        }
        services = {}
        for name, description, team, criticality in SERVICES:
            services[name], _ = Service.objects.get_or_create(
                name=name,
                defaults={"description": description, "owning_team": teams[team], "criticality": criticality},
            )
        user_model = get_user_model()
        people = {}
        for username, role, team in PEOPLE:
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org"}
            )
            if created:
                # Agents and managers work in the admin; demo people have no password until a manager sets one.
                user.set_unusable_password()
                user.is_staff = role in ("agents", "managers")
                user.save()
            user.groups.add(Group.objects.get(name=role))
            if team:
                teams[team].members.add(user)
            people[username] = user
        created_count = 0
        for title, service, category, impact, urgency, reporter, steps in INCIDENTS:
            if Incident.objects.filter(title=title).exists():
                continue
            incident = incident_create(
                by=people[reporter],
                title=title,
                impact=impact,
                urgency=urgency,
                source=Source.FORM,
                service=services.get(service),
                category=IncidentCategory.objects.get(code=category),
                team=services[service].owning_team if service else teams["Service Desk"],
            )
            agent = people["alice"]
            for step in steps:
                extra = {"resolution_code": "fixed"} if step == "resolve" else {}
                incident_transition(
                    incident_id=incident.pk, name=step, by=agent, note=f"demo: {step}", **extra
                )
            if steps:
                incident_comment(incident_id=incident.pk, by=agent, body="Looking into it.", public=True)
            created_count += 1
        self.stdout.write(f"demo data: {created_count} incidents added, {Incident.objects.count()} in all")
