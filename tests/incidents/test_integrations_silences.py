"""Silences (maintenance windows): matching alerts are stored and visible, open no incident, page nobody; the
API lists the silences about to expire."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from escalation.models import Notification
from incidents.models import Alert, Incident, Silence

from .factories import IntegrationFactory, ServiceFactory
from .integration_support import am_url, capture, generic_url, post_raw

pytestmark = pytest.mark.django_db


def window(**fields):
    now = timezone.now()
    return Silence.objects.create(
        name=fields.pop("name", "maintenance"),
        starts_at=fields.pop("starts_at", now - timedelta(minutes=5)),
        ends_at=fields.pop("ends_at", now + timedelta(hours=1)),
        **fields,
    )


def test_silenced_service_stores_the_alert_and_opens_nothing(api):
    checkout = ServiceFactory(name="checkout")
    silence = window(service=checkout)
    integration = IntegrationFactory(kind="alertmanager")
    response = post_raw(api, am_url(integration.key), capture(1)["body_raw"])
    assert response.status_code == 200
    assert response.json()["silenced"] is True
    assert response.json()["incident"] is None
    assert not Incident.objects.exists()
    assert not Notification.objects.exists()
    assert Alert.objects.filter(silence=silence).count() == 2


@pytest.mark.parametrize(
    ("matchers", "silenced"),
    [
        ([{"name": "alertname", "op": "=", "value": "HighLatency"}], True),
        ([{"name": "instance", "op": "=~", "value": "checkout-.*"}], True),
        ([{"name": "instance", "op": "=~", "value": "checkout-1.*"}], False),  # covers one alert of two
        ([{"name": "severity", "op": "!=", "value": "critical"}], False),
        ([{"name": "job", "op": "!~", "value": "pay.*"}], True),
        ([{"name": "alertname", "value": "Other"}], False),
    ],
)
def test_label_matchers(api, matchers, silenced):
    window(matchers=matchers)
    integration = IntegrationFactory(kind="alertmanager")
    response = post_raw(api, am_url(integration.key), capture(1)["body_raw"])
    assert response.json()["silenced"] is silenced
    assert Incident.objects.exists() is not silenced


def test_expired_and_future_silences_do_not_apply(api):
    now = timezone.now()
    window(
        matchers=[{"name": "alertname", "value": "HighLatency"}],
        starts_at=now - timedelta(hours=2),
        ends_at=now,
    )
    window(matchers=[{"name": "alertname", "value": "HighLatency"}], starts_at=now + timedelta(hours=1))
    integration = IntegrationFactory(kind="alertmanager")
    assert post_raw(api, am_url(integration.key), capture(1)["body_raw"]).json()["silenced"] is False


def test_a_silence_scoped_to_another_integration_does_not_apply(api):
    other = IntegrationFactory(kind="generic")
    window(integration=other)
    integration = IntegrationFactory(kind="generic")
    body = json.dumps({"title": "x", "dedup_key": "k"})
    assert post_raw(api, generic_url(integration.key), body).json()["silenced"] is False
    assert post_raw(api, generic_url(other.key), body).json()["silenced"] is True


def test_an_incident_open_before_the_silence_keeps_receiving_its_alerts(api):
    integration = IntegrationFactory(kind="alertmanager")
    first = post_raw(api, am_url(integration.key), capture(1)["body_raw"]).json()
    window(matchers=[{"name": "alertname", "value": "HighLatency"}])
    post_raw(api, am_url(integration.key), capture(3)["body_raw"])
    post_raw(api, am_url(integration.key), capture(5)["body_raw"])
    assert Incident.objects.get(pk=first["incident"]["id"]).state == "resolved"


def test_silences_api_lists_the_ones_about_to_expire(api, as_role):
    as_role("managers")
    now = timezone.now()
    soon = window(name="soon", ends_at=now + timedelta(minutes=20), matchers=[{"name": "a", "value": "b"}])
    window(name="later", ends_at=now + timedelta(days=2), matchers=[{"name": "a", "value": "b"}])
    window(
        name="over",
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=1),
        matchers=[{"name": "a", "value": "b"}],
    )
    response = api.get("/api/v1/silences/?expiring_within_minutes=60")
    assert response.status_code == 200
    assert [s["name"] for s in response.json()["results"]] == ["soon"]
    assert response.json()["results"][0]["id"] == soon.pk
    active = api.get("/api/v1/silences/?active=true").json()["results"]
    assert {s["name"] for s in active} == {"soon", "later"}


def test_silences_api_create_and_validate(api, as_role):
    manager = as_role("managers")
    now = timezone.now()
    body = {
        "name": "db upgrade",
        "matchers": [{"name": "service", "op": "=", "value": "db"}],
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
    }
    created = api.post("/api/v1/silences/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["created_by"] == manager.username
    assert created.json()["active"] is True
    bad = [
        {**body, "matchers": []},
        {**body, "ends_at": now.isoformat(), "starts_at": (now + timedelta(hours=1)).isoformat()},
        {**body, "matchers": [{"name": "x", "op": "=~", "value": "("}]},
        {**body, "matchers": [{"name": "x", "op": "~", "value": "a"}]},
        {**body, "matchers": "text"},
    ]
    for payload in bad:
        response = api.post("/api/v1/silences/", payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(("role", "may"), [("reporters", False), ("agents", True)])
def test_agents_put_services_into_maintenance_reporters_do_not(api, as_role, role, may):
    as_role(role)
    assert api.get("/api/v1/silences/").status_code == (200 if may else 403)
    start = timezone.now()
    body = {
        "name": "disk swap",
        "matchers": [{"name": "service", "op": "=", "value": "db"}],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }
    assert api.post("/api/v1/silences/", body, format="json").status_code == (201 if may else 403)
