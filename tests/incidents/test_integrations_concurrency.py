"""Concurrent alerts with one dedup key never open two incidents: real HTTP requests on real connections to
PostgreSQL, released together by a barrier."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.test import override_settings

from escalation.timers import timer_sweep
from incidents.models import Alert, AlertGroup, Incident, IncidentState, MajorIncidentFlag
from tests.services import require_postgres

from .factories import IntegrationFactory, ServiceFactory
from .integration_support import capture

CLIENTS = 16


def _post(url: str, raw: bytes) -> int:
    request = urllib.request.Request(
        url, data=raw, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _together(url: str, bodies: list[bytes]) -> list[int]:
    start = threading.Barrier(len(bodies))
    statuses: list[int] = []
    lock = threading.Lock()

    def client(raw: bytes) -> None:
        start.wait()
        status = _post(url, raw)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=client, args=(raw,)) for raw in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_concurrent_pagerduty_triggers_on_one_key_open_one_incident(live_server):
    require_postgres()
    integration = IntegrationFactory(kind="pagerduty-events")
    body = {
        "routing_key": integration.key,
        "event_action": "trigger",
        "dedup_key": "db-1/disk",
        "payload": {"summary": "Disk full", "source": "db-1", "severity": "critical"},
    }
    statuses = _together(f"{live_server.url}/api/v1/events/v2/enqueue", [json.dumps(body).encode()] * CLIENTS)
    assert statuses == [202] * CLIENTS
    assert Incident.objects.count() == 1
    group = AlertGroup.objects.get()
    assert group.is_open
    assert group.alert_count == CLIENTS
    assert Alert.objects.filter(incident=group.incident).count() == CLIENTS


@pytest.mark.django_db(transaction=True)
def test_concurrent_alertmanager_messages_of_one_group_open_one_incident(live_server):
    require_postgres()
    integration = IntegrationFactory(kind="alertmanager")
    raw = capture(1)["body_raw"].encode()
    url = f"{live_server.url}/api/v1/integrations/{integration.key}/alertmanager/"
    statuses = _together(url, [raw] * CLIENTS)
    assert statuses == [200] * CLIENTS
    assert Incident.objects.count() == 1
    assert AlertGroup.objects.filter(is_open=True).count() == 1
    assert Alert.objects.count() == 2 * CLIENTS


@pytest.mark.django_db(transaction=True)
def test_concurrent_trigger_and_resolve_leave_a_consistent_state(live_server):
    require_postgres()
    integration = IntegrationFactory(kind="pagerduty-events")
    url = f"{live_server.url}/api/v1/events/v2/enqueue"
    trigger = {
        "routing_key": integration.key,
        "event_action": "trigger",
        "dedup_key": "flappy",
        "payload": {"summary": "Flapping", "source": "x", "severity": "warning"},
    }
    resolve = {"routing_key": integration.key, "event_action": "resolve", "dedup_key": "flappy"}
    _post(url, json.dumps(trigger).encode())
    bodies = [json.dumps(trigger if i % 2 else resolve).encode() for i in range(CLIENTS)]
    assert _together(url, bodies) == [202] * CLIENTS
    # Whatever the order, at most one open group, and every open incident has its open group.
    assert AlertGroup.objects.filter(is_open=True).count() <= 1
    for incident in Incident.objects.all():
        has_open_group = AlertGroup.objects.filter(incident=incident, is_open=True).exists()
        assert has_open_group == (incident.state != IncidentState.RESOLVED)


@pytest.mark.django_db(transaction=True)
@override_settings(VIGIL_SPIKE_INCIDENTS=1)
def test_a_concurrent_storm_opens_one_storm_incident_and_one_pending_flag_each(live_server):
    require_postgres()
    billing = ServiceFactory(name="billing")
    integration = IntegrationFactory(kind="generic", storm_rate_per_minute=2)
    url = f"{live_server.url}/api/v1/integrations/{integration.key}/generic/"
    bodies = [
        json.dumps({"title": f"t{i}", "dedup_key": f"k{i}", "service": "billing"}).encode()
        for i in range(CLIENTS)
    ]
    assert _together(url, bodies) == [202] * CLIENTS
    # New groups are counted under the integration's lock, however the requests interleave: the first two
    # open incidents of their own, the other fourteen fold into the one storm incident.
    storm = AlertGroup.objects.get(is_storm=True)
    assert AlertGroup.objects.filter(is_storm=False).count() == CLIENTS
    assert AlertGroup.objects.filter(is_storm=False, incident=storm.incident).count() == CLIENTS - 2
    assert Incident.objects.filter(service=billing).count() == 2
    assert Incident.objects.count() == 3
    assert MajorIncidentFlag.objects.filter(kind="storm", state="pending").count() == 1
    # Two new billing incidents are more than VIGIL_SPIKE_INCIDENTS: one pending spike flag once the sweep
    # has engaged them (alert-opened incidents engage there). (The storm incident takes the integration's
    # service, none here, so it does not count towards billing's.)
    timer_sweep()
    assert MajorIncidentFlag.objects.filter(kind="spike", state="pending", service=billing).count() == 1
