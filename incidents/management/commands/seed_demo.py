"""Loads demo data: teams, services, people, the escalation engine's configuration (office hours, SLA
policies, the Platform on-call and its escalation policy, contact methods, stakeholders), one integration of
each kind and a handful of incidents in different states.

Idempotent: every object is found by its natural key first, so running it twice changes nothing. The data
and the functions that write it are in `incidents/demo.py` and `escalation/demo.py`."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from escalation.demo import demo_engine
from incidents.demo import (
    demo_catalogue,
    demo_incidents,
    demo_integrations,
    demo_people,
    integration_curl,
)
from incidents.events import IncidentEvent
from incidents.major.demo import demo_major_incidents
from incidents.models import Incident
from incidents.problems.demo import demo_problems_and_changes


class Command(BaseCommand):
    help = "Load demo data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            teams, services = demo_catalogue()
            people = demo_people(teams=teams)
            # Before the incidents, so the demo incidents start their SLA clocks and escalations.
            configured = demo_engine(
                team=teams["Platform"],
                oncall=[people["alice"], people["bob"]],
                manager=people["maria"],
                everyone=list(people.values()),
                management_news=[IncidentEvent.CREATED, IncidentEvent.RESOLVED],
            )
            configured += demo_major_incidents(manager=people["maria"], services=services)
            integrations = demo_integrations(service=services["checkout"])
            added = demo_incidents(people=people, teams=teams, services=services)
            configured += demo_problems_and_changes(
                agent=people["alice"], approver=people["maria"], services=services
            )
        # Written after the commit: a key is only worth showing once the digest that accepts it is stored.
        self.stdout.write(f"demo configuration: {configured} rows added")
        for demo in integrations:
            name, kind = demo.integration.name, demo.integration.kind
            if demo.key is None:
                self.stdout.write(
                    f"integration {name} exists ({kind}, key {demo.integration.key_hint}...): keys are stored "
                    f"hashed and cannot be shown again; POST /api/v1/integrations/{demo.integration.pk}"
                    "/rotate-key/ (or the admin's 'Rotate the key' action) gives a new one"
                )
                continue
            self.stdout.write(f"integration {name} key: {demo.key}")
            self.stdout.write(f"  try it: {integration_curl(kind=kind, key=demo.key)}")
        self.stdout.write(f"demo data: {added} incidents added, {Incident.objects.count()} in all")
