"""Alertmanager's webhook, replayed from real Alertmanager 0.25 captures (tests/incidents/fixtures)."""

import json

import pytest
from django.db import connection

from incidents.models import Alert, AlertGroup, AlertPayload, Incident, IncidentState, TimelineEvent
from incidents.services import incident_transition

from .factories import IntegrationFactory, ServiceFactory
from .integration_support import am_url, capture, post_raw, webhook_captures

pytestmark = pytest.mark.django_db


@pytest.fixture
def am():
    return IntegrationFactory(kind="alertmanager")


def replay(api, key, order):
    response = post_raw(api, am_url(key), capture(order)["body_raw"])
    assert response.status_code == 200, response.content
    return response.json()


def test_whole_series_firing_partial_full_resolve_repeat_refire(api, am):
    checkout = ServiceFactory(name="checkout")
    payments = ServiceFactory(name="payments")

    # s1: two alerts of one group fire -> one incident, P1 from severity=critical, service from the label.
    first = replay(api, am.key, 1)
    incident = Incident.objects.get(pk=first["incident"]["id"])
    assert incident.state == IncidentState.NEW
    assert incident.source == "alert"
    assert incident.service == checkout
    assert incident.priority == 1
    assert incident.title == "HighLatency (service=checkout)"
    group = AlertGroup.objects.get(incident=incident)
    assert group.firing_fingerprints == ["1ef79b4d069e9d64", "f531535f07fccfd9"]

    # s2: checkout-1 resolves, checkout-2 still firing (top-level status stays "firing") -> still open.
    second = replay(api, am.key, 3)
    assert second["incident"]["id"] == incident.pk
    incident.refresh_from_db()
    assert incident.state == IncidentState.NEW
    group.refresh_from_db()
    assert group.firing_fingerprints == ["1ef79b4d069e9d64"]
    assert TimelineEvent.objects.filter(incident=incident, note__startswith="Resolved at the source").exists()

    # s3: only checkout-2 is in the message (checkout-1 was reported already) -> every fingerprint resolved.
    replay(api, am.key, 5)
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    assert incident.resolution_code == "source_recovered"
    resolve = TimelineEvent.objects.get(incident=incident, transition="resolve")
    assert resolve.actor is None

    # s4/s5: another group (payments, warning) fires, then Alertmanager repeats it -> one incident, P3.
    fired = replay(api, am.key, 7)
    repeated = replay(api, am.key, 9)
    assert fired["incident"]["id"] == repeated["incident"]["id"] != incident.pk
    payments_incident = Incident.objects.get(pk=fired["incident"]["id"])
    assert payments_incident.service == payments
    assert payments_incident.priority == 3
    assert AlertGroup.objects.get(incident=payments_incident).alert_count == 2

    # s6: payments resolves.
    replay(api, am.key, 11)
    payments_incident.refresh_from_db()
    assert payments_incident.state == IncidentState.RESOLVED

    # s7: checkout-1 fires again after its group resolved -> a new incident (no reopen window by default).
    refired = replay(api, am.key, 13)
    assert refired["incident"]["id"] not in (incident.pk, payments_incident.pk)
    refire = Incident.objects.get(pk=refired["incident"]["id"])
    assert refire.title == "p99 latency above 2s on checkout-1:8080"

    # s8: and resolves again.
    replay(api, am.key, 15)
    refire.refresh_from_db()
    assert refire.state == IncidentState.RESOLVED

    assert Incident.objects.count() == 3
    # Every alert of every message is stored, with its raw body.
    assert AlertPayload.objects.count() == 8
    assert Alert.objects.count() == sum(len(c["body"]["alerts"]) for c in webhook_captures())
    assert not AlertGroup.objects.filter(is_open=True).exists()


def test_labels_annotations_and_raw_body_are_kept(api, am):
    raw = capture(1)["body_raw"]
    replay(api, am.key, 1)
    payload = AlertPayload.objects.get()
    assert payload.raw_body == raw
    assert payload.user_agent == ""
    alert = Alert.objects.get(fingerprint="f531535f07fccfd9")
    assert alert.labels["instance"] == "checkout-1:8080"
    assert alert.annotations["runbook_url"] == "http://127.0.0.1:19093/runbooks/high-latency"
    assert alert.summary == "p99 latency above 2s on checkout-1:8080"
    assert alert.starts_at is not None
    assert alert.ends_at is None  # Go's zero time means "no end yet"
    assert "instance=checkout-1:8080" in alert.labels_text


def test_dedup_key_is_the_sha256_of_the_group_key(api, am):
    replay(api, am.key, 1)
    assert AlertGroup.objects.get().dedup_key == capture(1)["capture"]["groupKey_sha256"]


def test_unknown_service_label_falls_back_to_the_integration_service(api):
    service = ServiceFactory(name="shop")
    integration = IntegrationFactory(kind="alertmanager", service=service)
    body = replay(api, integration.key, 1)
    assert Incident.objects.get(pk=body["incident"]["id"]).service == service


def test_a_person_resolving_then_a_repeat_opens_a_new_incident(api, am):
    first = replay(api, am.key, 7)
    incident_transition(incident_id=first["incident"]["id"], name="resolve", by=None)
    again = replay(api, am.key, 9)
    assert again["incident"]["id"] != first["incident"]["id"]
    assert AlertGroup.objects.filter(is_open=True).count() == 1


def test_a_late_retry_of_a_resolved_firing_does_not_reopen_the_fingerprint(api, am):
    replay(api, am.key, 1)
    replay(api, am.key, 3)  # checkout-1 resolved
    # Alertmanager retries the first message late (same startsAt): checkout-1 stays resolved.
    replay(api, am.key, 1)
    group = AlertGroup.objects.get(is_open=True)
    assert group.firing_fingerprints == ["1ef79b4d069e9d64"]


def test_reopen_window_reopens_the_resolved_incident(api):
    integration = IntegrationFactory(kind="alertmanager", reopen_window_minutes=30)
    first = replay(api, integration.key, 1)
    replay(api, integration.key, 3)
    replay(api, integration.key, 5)
    refired = replay(api, integration.key, 13)
    assert refired["incident"]["id"] == first["incident"]["id"]
    incident = Incident.objects.get(pk=first["incident"]["id"])
    assert incident.state == IncidentState.IN_PROGRESS
    assert TimelineEvent.objects.filter(incident=incident, transition="reopen").count() == 1


def test_status_resolved_closes_fingerprints_that_were_never_reported_resolved(api, am):
    replay(api, am.key, 1)
    body = capture(5)["body"]  # top-level "resolved", lists only checkout-2
    response = post_raw(api, am_url(am.key), json.dumps(body))
    assert response.status_code == 200
    assert Incident.objects.get().state == IncidentState.RESOLVED


def test_ingestion_query_count_is_bounded(api, am, django_assert_max_num_queries):
    replay(api, am.key, 7)
    raw = capture(9)["body_raw"]
    # A repeat on PostgreSQL: the integration, then one statement (incidents/integrations/one_statement.py).
    # Elsewhere: integration, payload, group lock, alerts, group update, and the transaction's two.
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 7):
        response = post_raw(api, am_url(am.key), raw)
    assert response.status_code == 200
