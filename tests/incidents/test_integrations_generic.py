"""The generic JSON endpoint: the documented body fills the incident; resolved resolves it."""

import json

import pytest

from incidents.models import Alert, Incident, IncidentState, TimelineEvent

from .factories import IntegrationFactory, ServiceFactory
from .integration_support import generic_url, post_raw

pytestmark = pytest.mark.django_db


def send(api, key, **body):
    return post_raw(api, generic_url(key), json.dumps(body))


def test_documented_body_fills_the_incident_and_resolves_it(api):
    payments = ServiceFactory(name="payments")
    integration = IntegrationFactory(kind="generic", name="crm")
    response = send(
        api,
        integration.key,
        title="Payment provider timeouts",
        description="3% of card payments time out",
        severity="critical",
        dedup_key="psp-timeouts",
        service="payments",
        labels={"region": "eu-west-1"},
        details={"ticket": "CRM-1234"},
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "accepted"
    assert body["dedup_key"] == "psp-timeouts"
    incident = Incident.objects.get(pk=body["incident"]["id"])
    assert body["incident"]["reference"] == incident.reference
    assert incident.title == "Payment provider timeouts"
    assert incident.description == "3% of card payments time out"
    assert incident.service == payments
    assert incident.priority == 1
    assert incident.source == "alert"
    alert = Alert.objects.get()
    assert alert.labels == {"region": "eu-west-1", "severity": "critical", "service": "payments"}
    assert alert.details == {"ticket": "CRM-1234"}
    assert TimelineEvent.objects.filter(incident=incident, note__startswith="Opened by 1 alert").exists()

    resolved = send(api, integration.key, status="resolved", dedup_key="psp-timeouts")
    assert resolved.status_code == 202
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    assert incident.resolution_code == "source_recovered"


def test_severity_map_of_the_integration_decides_the_priority(api):
    integration = IntegrationFactory(
        kind="generic",
        severity_map={"sev1": {"impact": 1, "urgency": 1}, "default": {"impact": 4, "urgency": 4}},
    )
    first = send(api, integration.key, title="a", severity="SEV1").json()["incident"]["id"]
    other = send(api, integration.key, title="b", severity="whatever").json()["incident"]["id"]
    assert Incident.objects.get(pk=first).priority == 1
    assert Incident.objects.get(pk=other).priority == 4


def test_a_long_title_is_cut_for_the_incident_and_kept_on_the_alert(api):
    integration = IntegrationFactory(kind="generic")
    send(api, integration.key, title="x" * 1000)
    assert len(Incident.objects.get().title) == 200
    assert len(Alert.objects.get().summary) == 1000


def test_resolved_for_an_unknown_key_is_stored_and_opens_nothing(api):
    integration = IntegrationFactory(kind="generic")
    response = send(api, integration.key, status="resolved", dedup_key="never")
    assert response.status_code == 202
    assert response.json()["incident"] is None
    assert not Incident.objects.exists()
    assert Alert.objects.get().status == "resolved"
