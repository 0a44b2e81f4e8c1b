"""Heartbeats: a missed check-in opens an incident (once, however often the sweep runs), the next check-in
resolves it. The clock moves with time_machine."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from incidents.integrations.heartbeats import heartbeat_sweep
from incidents.integrations.tasks import heartbeat_sweep_task
from incidents.models import Incident, IncidentState, Integration

from .factories import IntegrationFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def check_in(api, key):
    return api.post(f"/api/v1/integrations/{key}/heartbeat/", b"", content_type="application/json")


def test_missed_check_in_opens_one_incident_and_the_next_check_in_resolves_it(api):
    integration = IntegrationFactory(kind="generic", name="backup-job", heartbeat_interval_minutes=10)
    with time_machine.travel(T0, tick=False):
        assert heartbeat_sweep() == []  # not armed before the first check-in
        response = check_in(api, integration.key)
        assert response.status_code == 200
        assert response.json()["next_due_at"] == (T0 + timedelta(minutes=10)).isoformat()
    with time_machine.travel(T0 + timedelta(minutes=9), tick=False):
        assert heartbeat_sweep() == []
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        results = heartbeat_sweep()
        assert len(results) == 1
        assert heartbeat_sweep() == []  # idempotent: the due time was cleared with the incident
        assert heartbeat_sweep_task.apply().get() == 0
    incident = Incident.objects.get()
    assert incident.state == IncidentState.NEW
    assert "backup-job missed its heartbeat" in incident.title
    assert incident.priority == 1
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        check_in(api, integration.key)
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    assert incident.resolution_code == "source_recovered"
    integration.refresh_from_db()
    assert integration.heartbeat_due_at == T0 + timedelta(minutes=30)


def test_check_ins_in_time_never_open_anything(api):
    integration = IntegrationFactory(kind="generic", heartbeat_interval_minutes=5)
    for minute in range(0, 60, 4):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            check_in(api, integration.key)
            heartbeat_sweep()
    assert not Incident.objects.exists()


def test_disabled_integrations_are_not_swept(api):
    integration = IntegrationFactory(kind="generic", heartbeat_interval_minutes=5)
    with time_machine.travel(T0, tick=False):
        check_in(api, integration.key)
    Integration.objects.filter(pk=integration.pk).update(enabled=False)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert heartbeat_sweep() == []


def test_heartbeat_without_interval_answers_409(api):
    integration = IntegrationFactory(kind="generic")
    response = check_in(api, integration.key)
    assert response.status_code == 409
    assert response.json()["code"] == "heartbeat_disabled"


def test_the_sweep_is_scheduled_with_celery_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["integrations-heartbeat-sweep"]
    assert entry["task"] == heartbeat_sweep_task.name
