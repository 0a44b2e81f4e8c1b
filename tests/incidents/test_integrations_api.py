"""Managing integrations over the API (the key answered once, stored hashed, rotatable), reading alerts,
finding incidents by alert labels, and the admin pages."""

import hashlib
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from config.errors import InvalidInput
from incidents.integrations.services import integration_create
from incidents.models import Alert, Integration, MajorIncidentFlag
from incidents.models.integration import default_severity_map, key_digest

from .factories import IntegrationFactory, UserFactory
from .integration_support import PD_URL, am_url, capture, post_raw

pytestmark = pytest.mark.django_db


def test_create_answers_the_key_once_and_stores_only_its_digest(api, as_role):
    as_role("managers")
    response = api.post("/api/v1/integrations/", {"name": "prom", "kind": "alertmanager"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    key = body["key"]
    assert len(key) == 32
    assert int(key, 16) >= 0
    assert key == key.lower()
    integration = Integration.objects.get(pk=body["id"])
    assert integration.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in json.dumps(list(Integration.objects.values()), default=str)
    assert body["severity_map"]["critical"] == {"impact": 1, "urgency": 1}
    listed = api.get("/api/v1/integrations/").json()["results"]
    retrieved = api.get(f"/api/v1/integrations/{body['id']}/").json()
    for shown in (listed[0], retrieved):
        assert "key" not in shown
        assert key not in json.dumps(shown)
        assert shown["key_hint"] == key[:4]


def test_rotate_key_answers_a_new_key_and_the_old_one_stops_working(api, as_role):
    as_role("managers")
    created = api.post(
        "/api/v1/integrations/", {"name": "pd", "kind": "pagerduty-events"}, format="json"
    ).json()
    old = created["key"]
    rotated = api.post(f"/api/v1/integrations/{created['id']}/rotate-key/")
    assert rotated.status_code == 200
    new = rotated.json()["key"]
    assert new != old
    assert len(new) == 32
    event = {
        "event_action": "trigger",
        "dedup_key": "x",
        "payload": {"summary": "s", "source": "h", "severity": "info"},
    }
    assert post_raw(api, PD_URL, json.dumps({**event, "routing_key": old})).status_code == 404
    assert post_raw(api, PD_URL, json.dumps({**event, "routing_key": new})).status_code == 202


def test_update_settings_and_validate_the_severity_map(api, as_role):
    as_role("managers")
    integration = IntegrationFactory(kind="generic")
    url = f"/api/v1/integrations/{integration.pk}/"
    ok = api.patch(
        url, {"severity_map": {"default": {"impact": 4, "urgency": 4}}, "enabled": False}, format="json"
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["enabled"] is False
    for bad in (
        {"severity_map": {"critical": {"impact": 0, "urgency": 1}}},
        {"severity_map": {"critical": {"impact": 1}}},
        {"severity_map": []},
        {"kind": "nagios"},
        {"key_hash": "x"},
        {"storm_rate_per_minute": -1},
    ):
        response = api.patch(url, bad, format="json")
        assert response.status_code == 400, bad


def test_hmac_secret_is_write_only(api, as_role):
    as_role("managers")
    body = api.post(
        "/api/v1/integrations/", {"name": "crm", "kind": "generic", "hmac_secret": "s3cret"}, format="json"
    ).json()
    assert body["has_hmac_secret"] is True
    assert "s3cret" not in json.dumps(body)


@pytest.mark.parametrize(("role", "may_read"), [(None, False), ("reporters", False), ("agents", True)])
def test_only_managers_manage_integrations(api, as_role, role, may_read):
    as_role(role)
    assert api.get("/api/v1/integrations/").status_code == (200 if may_read else 403)
    assert (
        api.post("/api/v1/integrations/", {"name": "x", "kind": "generic"}, format="json").status_code == 403
    )


def test_anonymous_is_refused(api):
    assert api.get("/api/v1/integrations/").status_code in (401, 403)


def test_alerts_api_and_search_by_label(api, as_role):
    integration = IntegrationFactory(kind="alertmanager")
    incident_id = post_raw(api, am_url(integration.key), capture(1)["body_raw"]).json()["incident"]["id"]
    post_raw(api, am_url(integration.key), capture(7)["body_raw"])
    as_role("managers")
    alerts = api.get(f"/api/v1/alerts/?incident={incident_id}").json()["results"]
    assert {a["labels"]["instance"] for a in alerts} == {"checkout-1:8080", "checkout-2:8080"}
    found = api.get("/api/v1/incidents/?search=checkout-2:8080").json()["results"]
    assert [i["id"] for i in found] == [incident_id]
    # One incident, however many of its alerts match.
    both = api.get("/api/v1/incidents/?search=HighLatency").json()["results"]
    assert len(both) == len({i["id"] for i in both}) == 2


def test_admin_pages(api):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    integration = IntegrationFactory(kind="alertmanager")
    post_raw(api, am_url(integration.key), capture(1)["body_raw"])
    browser = Client()
    browser.force_login(admin_user)
    for url in (
        "/admin/incidents/integration/",
        f"/admin/incidents/integration/{integration.pk}/change/",
        "/admin/incidents/alert/",
        f"/admin/incidents/alert/{Alert.objects.first().pk}/change/",
        "/admin/incidents/alertgroup/",
        "/admin/incidents/silence/?state=expiring",
        "/admin/incidents/majorincidentflag/",
    ):
        assert browser.get(url).status_code == 200, url
    added = browser.post(
        "/admin/incidents/integration/add/",
        {
            "name": "from-admin",
            "kind": "generic",
            "enabled": "on",
            "severity_map": '{"default": {"impact": 3, "urgency": 3}}',
            "storm_rate_per_minute": 20,
            "hard_cap_per_minute": 100,
            "reopen_window_minutes": 0,
            "heartbeat_interval_minutes": 0,
        },
        follow=True,
    )
    assert added.status_code == 200
    shown = [str(m) for m in added.context["messages"]]
    assert any("shown only this once" in m for m in shown), shown
    created = Integration.objects.get(name="from-admin")
    key = next(m for m in shown if "shown only this once" in m).split("<code>")[1].split("</code>")[0]
    assert created.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert Group.objects.filter(name="managers").exists()


def test_invalid_settings_from_a_direct_caller_are_a_400_not_a_500():
    IntegrationFactory(name="taken")
    with pytest.raises(InvalidInput) as raised:
        integration_create(by=None, name="taken", kind="generic")
    assert "name" in raised.value.extra["fields"]
    with pytest.raises(InvalidInput):
        integration_create(by=None, name="new", kind="generic", severity_map={"x": 1})


def test_duplicate_name_over_the_api_is_a_400(api, as_role):
    as_role("managers")
    IntegrationFactory(name="taken")
    response = api.post("/api/v1/integrations/", {"name": "taken", "kind": "generic"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["fields"]


def test_admin_rotates_keys_and_dismisses_flags(api):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    integration = IntegrationFactory(kind="generic")
    old_hash = integration.key_hash
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        "/admin/incidents/integration/",
        {"action": "rotate_keys", "_selected_action": [integration.pk]},
        follow=True,
    )
    assert response.status_code == 200
    integration.refresh_from_db()
    assert integration.key_hash != old_hash
    assert any("shown only this once" in str(m) for m in response.context["messages"])
    flag = MajorIncidentFlag.objects.create(
        kind="storm", integration=integration, raised_at=timezone.now(), updated_at=timezone.now()
    )
    browser.post(
        "/admin/incidents/majorincidentflag/",
        {"action": "dismiss", "_selected_action": [flag.pk]},
        follow=True,
    )
    flag.refresh_from_db()
    assert flag.state == "dismissed"
    assert flag.decided_by == admin_user


def test_admin_adds_an_integration_through_the_service_and_shows_its_key_once(api):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin_user)
    form = {
        "name": "from-the-admin",
        "kind": "generic",
        "service": "",
        "enabled": "on",
        "severity_map": json.dumps(default_severity_map()),
        "hmac_secret": "",
        "storm_rate_per_minute": 20,
        "hard_cap_per_minute": 3000,
        "reopen_window_minutes": 0,
        "heartbeat_interval_minutes": 0,
    }
    response = browser.post("/admin/incidents/integration/add/", form, follow=True)
    assert response.status_code == 200
    integration = Integration.objects.get(name="from-the-admin")
    shown = [str(m) for m in response.context["messages"] if "shown only this once" in str(m)]
    assert len(shown) == 1
    key = re.search(r"<code>([0-9a-f]{32})</code>", shown[0]).group(1)
    assert integration.key_hash == key_digest(key)
    assert integration.key_rotated_at is not None


def test_deciding_a_flag_records_who_and_writes_the_timeline():
    from incidents.models import TimelineEvent
    from incidents.services import incident_create
    from incidents.spikes import flag_decide

    commander = UserFactory(role="managers")
    incident = incident_create(by=None, title="many 502s", impact=1, urgency=1)
    now = timezone.now()
    flag = MajorIncidentFlag.objects.create(kind="spike", incident=incident, raised_at=now, updated_at=now)
    flag = flag_decide(flag_id=flag.pk, state="declared", by=commander)
    assert (flag.state, flag.decided_by) == ("declared", commander)
    line = TimelineEvent.objects.get(incident=incident, data__major_incident_flag=flag.pk)
    assert line.actor == commander
    assert "major incident declared" in line.note
    # The same decision again is a no-op: no second line.
    flag_decide(flag_id=flag.pk, state="declared", by=commander)
    assert TimelineEvent.objects.filter(incident=incident, data__major_incident_flag=flag.pk).count() == 1
