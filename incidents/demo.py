"""The incidents app's demo data, loaded by `manage.py seed_demo`: teams, services, people, integrations and a
handful of incidents in different states.

Every row is found by its natural key first and created only when missing, so running the command twice
changes nothing. Incidents and integrations are created through their services: an incident starts its SLA
clocks and escalation, an integration's key is generated there and only its digest is stored."""

import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User

from escalation.models import Team

from .integrations.services import integration_create
from .models import Incident, IncidentCategory, Integration, IntegrationKind, Service, Source
from .models.catalog import SEED_CATEGORY_DEFINITIONS
from .services import incident_comment, incident_create, incident_transition

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
# Whether each seeded category is specific to one team's work (and which demo team), else common to several
# (the seed's taxonomy: business-operation incidents belong to the team whose business work it is,
# team-operation incidents happen in any team).
CATEGORY_TEAMS = {
    "business-operation": "Service Desk",
    "out-of-scope-handling": "Service Desk",
    "operator-error": "Service Desk",
    "wrong-manual": "Service Desk",
    "system-outage": "Platform",
}
# One integration of each kind, all feeding the checkout service.
INTEGRATIONS = [
    ("demo-alertmanager", IntegrationKind.ALERTMANAGER),
    ("demo-pagerduty", IntegrationKind.PAGERDUTY_EVENTS),
    ("demo-generic", IntegrationKind.GENERIC),
]


def demo_catalogue() -> tuple[dict[str, Team], dict[str, Service]]:
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
    return teams, services


def demo_categories(*, teams: dict[str, Team]) -> int:
    """Fills the seeded categories' definition and scope from the seed taxonomy where a manager left them
    empty (a definition written by hand is kept). Returns how many it filled."""
    filled = 0
    for category in IncidentCategory.objects.filter(code__in=SEED_CATEGORY_DEFINITIONS, definition=""):
        category.definition = SEED_CATEGORY_DEFINITIONS[category.code]
        team = CATEGORY_TEAMS.get(category.code)
        category.scope = IncidentCategory.Scope.TEAM if team else IncidentCategory.Scope.COMMON
        category.team = teams[team] if team else None
        category.full_clean()
        category.save(update_fields=["definition", "scope", "team"])
        filled += 1
    return filled


def demo_people(*, teams: dict[str, Team]) -> dict[str, User]:
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
    return people


@dataclass(frozen=True)
class DemoIntegration:
    integration: Integration
    key: str | None  # only when created by this run: afterwards only the digest is known


def demo_integrations(*, service: Service) -> list[DemoIntegration]:
    found = []
    for name, kind in INTEGRATIONS:
        integration = Integration.objects.filter(name=name).first()
        key = None
        if integration is None:
            integration, key = integration_create(by=None, name=name, kind=kind, service=service)
        found.append(DemoIntegration(integration=integration, key=key))
    return found


def integration_example(*, kind: str, key: str) -> tuple[str, dict]:
    """The path and body of a firing alert for an integration of this kind and key, to try it out."""
    if kind == IntegrationKind.PAGERDUTY_EVENTS:
        summary = {"summary": "Checkout error rate above 5%", "source": "demo", "severity": "error"}
        return "/api/v1/events/v2/enqueue", {
            "routing_key": key,
            "event_action": "trigger",
            "payload": summary,
        }
    if kind == IntegrationKind.ALERTMANAGER:
        alert = {"status": "firing", "labels": {"alertname": "CheckoutDown", "severity": "critical"}}
        body = {"version": "4", "status": "firing", "groupKey": "demo", "alerts": [alert]}
        return f"/api/v1/integrations/{key}/alertmanager/", body
    body = {"title": "Nightly export failed", "dedup_key": "export", "severity": "error"}
    return f"/api/v1/integrations/{key}/generic/", body


def integration_curl(*, kind: str, key: str) -> str:
    path, body = integration_example(kind=kind, key=key)
    url = settings.VIGIL_BASE_URL.rstrip("/") + path
    return f"curl -X POST {url} -H 'Content-Type: application/json' -d '{json.dumps(body)}'"


def demo_incidents(*, people: dict[str, User], teams: dict[str, Team], services: dict[str, Service]) -> int:
    """Opens the demo incidents that are missing (by title) and walks each through its transitions as alice.
    Returns how many it opened."""
    created = 0
    for title, service, category, impact, urgency, reporter, steps in INCIDENTS:
        if Incident.objects.filter(title=title).exists():
            continue
        incident = incident_create(
            by=people[reporter],
            title=title,
            impact=impact,
            urgency=urgency,
            source=Source.FORM,
            service=services.get(service) if service else None,
            category=IncidentCategory.objects.get(code=category),
            team=services[service].owning_team if service else teams["Service Desk"],
        )
        agent = people["alice"]
        for step in steps:
            extra = {"resolution_code": "fixed"} if step == "resolve" else {}
            incident_transition(incident_id=incident.pk, name=step, by=agent, note=f"demo: {step}", **extra)
        if steps:
            incident_comment(incident_id=incident.pk, by=agent, body="Looking into it.", public=True)
        created += 1
    return created
