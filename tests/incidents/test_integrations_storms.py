"""Storms fold new alerts into one incident per integration, flagged for a major-incident decision; ticket
spikes on one service raise a "possible major incident" flag and page the on-call commander."""

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from escalation.models import Notification, Override, Schedule
from escalation.timers import timer_sweep
from incidents.models import AlertGroup, Incident, IncidentState, MajorIncidentFlag, TimelineEvent
from incidents.services import incident_create, incident_transition

from .factories import IntegrationFactory, ServiceFactory, UserFactory
from .integration_support import fire_generic, generic_url, post_raw

pytestmark = pytest.mark.django_db


def test_above_the_rate_new_alerts_fold_into_one_storm_incident(api):
    integration = IntegrationFactory(kind="generic", name="crm", storm_rate_per_minute=3)
    own = [fire_generic(api, integration.key, f"k{i}")["incident"]["id"] for i in range(3)]
    assert len(set(own)) == 3
    folded = [fire_generic(api, integration.key, f"k{i}")["incident"]["id"] for i in range(3, 10)]
    assert len(set(folded)) == 1
    storm = Incident.objects.get(pk=folded[0])
    assert storm.title == "Alert storm from crm"
    assert storm.priority == 1
    assert Incident.objects.count() == 4
    # Every alert is stored and grouped; the folded groups point at the storm incident.
    assert AlertGroup.objects.filter(incident=storm, is_storm=False).count() == 7
    flag = MajorIncidentFlag.objects.get()
    assert flag.kind == MajorIncidentFlag.Kind.STORM
    assert flag.state == MajorIncidentFlag.State.PENDING
    assert flag.incident == storm
    assert flag.count >= 4
    assert (
        TimelineEvent.objects.filter(incident=storm, note__startswith="Possible major incident").count() == 1
    )
    # A repeat of a folded key joins the storm, it does not open anything.
    assert fire_generic(api, integration.key, "k5")["incident"]["id"] == storm.pk


def test_the_storm_resolves_when_every_folded_alert_has_resolved(api):
    integration = IntegrationFactory(kind="generic", storm_rate_per_minute=1)
    fire_generic(api, integration.key, "first")
    storm_id = fire_generic(api, integration.key, "a")["incident"]["id"]
    fire_generic(api, integration.key, "b")
    post_raw(api, generic_url(integration.key), json.dumps({"status": "resolved", "dedup_key": "a"}))
    assert Incident.objects.get(pk=storm_id).state != IncidentState.RESOLVED
    post_raw(api, generic_url(integration.key), json.dumps({"status": "resolved", "dedup_key": "b"}))
    assert Incident.objects.get(pk=storm_id).state == IncidentState.RESOLVED


def test_a_storm_resolved_by_hand_starts_a_new_storm(api):
    integration = IntegrationFactory(kind="generic", storm_rate_per_minute=1)
    fire_generic(api, integration.key, "first")
    storm_id = fire_generic(api, integration.key, "a")["incident"]["id"]
    incident_transition(incident_id=storm_id, name="resolve", by=None)
    assert fire_generic(api, integration.key, "b")["incident"]["id"] != storm_id


def test_storm_folding_off_with_rate_zero(api):
    integration = IntegrationFactory(kind="generic", storm_rate_per_minute=0)
    ids = {fire_generic(api, integration.key, f"k{i}")["incident"]["id"] for i in range(30)}
    assert len(ids) == 30


@override_settings(VIGIL_SPIKE_INCIDENTS=3, VIGIL_SPIKE_WINDOW_MINUTES=10)
def test_ticket_spike_flags_a_possible_major_incident_and_pages_on_call(api):
    service = ServiceFactory(name="billing")
    commander = UserFactory(role="agents")
    schedule = Schedule.objects.create(name="commanders", team=service.owning_team)
    now = timezone.now()
    Override.objects.create(
        schedule=schedule, user=commander, start=now - timedelta(hours=1), end=now + timedelta(hours=1)
    )
    integration = IntegrationFactory(kind="generic")
    for i in range(3):
        fire_generic(api, integration.key, f"b{i}", service="billing")
    # Alert-opened incidents are checked when they engage, in the timer sweep.
    timer_sweep()
    assert not MajorIncidentFlag.objects.exists()
    # Incidents from any source count: the fourth comes from a person (checked as it opens).
    incident_create(by=None, title="Billing is down", impact=2, urgency=2, service=service)
    assert MajorIncidentFlag.objects.get().count == 4
    fire_generic(api, integration.key, "b4", service="billing")
    timer_sweep()
    flag = MajorIncidentFlag.objects.get()
    assert flag.kind == MajorIncidentFlag.Kind.SPIKE
    assert flag.service == service
    assert flag.count == 5
    assert Notification.objects.filter(recipient=commander, reason="incident.possible_major").exists()
    # Further incidents update the pending flag, they do not raise another one.
    fire_generic(api, integration.key, "b5", service="billing")
    timer_sweep()
    assert MajorIncidentFlag.objects.get().count == 6


@override_settings(VIGIL_SPIKE_INCIDENTS=2)
def test_spikes_are_per_service(api):
    ServiceFactory(name="one")
    ServiceFactory(name="two")
    integration = IntegrationFactory(kind="generic")
    for i in range(2):
        fire_generic(api, integration.key, f"a{i}", service="one")
        fire_generic(api, integration.key, f"b{i}", service="two")
    timer_sweep()
    assert not MajorIncidentFlag.objects.exists()
