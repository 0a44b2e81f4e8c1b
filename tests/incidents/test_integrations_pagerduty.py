"""The PagerDuty Events v2 endpoint: PagerDuty's semantics and answers, replayed from Alertmanager 0.25's
PagerDuty receiver (tests/incidents/fixtures) and from PagerDuty's own OpenAPI example."""

import json

import pytest
from django.db import connection

from incidents.models import Alert, AlertGroup, Incident, IncidentState

from .factories import IntegrationFactory
from .integration_support import LOCAL, PD_URL, capture, pagerduty_captures, pd_body, post_raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def pd():
    return IntegrationFactory(kind="pagerduty-events")


def send(api, body):
    return post_raw(api, PD_URL, json.dumps(body))


def trigger(key, dedup_key=None, **payload):
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "Disk full", "source": "db-1", "severity": "critical", **payload},
    }
    if dedup_key is not None:
        body["dedup_key"] = dedup_key
    return body


def test_whole_alertmanager_pagerduty_series(api, pd):
    answers = []
    for item in pagerduty_captures():
        response = post_raw(api, PD_URL, pd_body(item, pd.key))
        assert response.status_code == 202, response.content
        assert response.json() == {
            "status": "success",
            "message": "Event processed",
            "dedup_key": item["body"]["dedup_key"],
        }
        answers.append(item["capture"]["stage"])
    # checkout (s1 trigger, s2 trigger = update, s3 resolve), payments (s4, s5 repeat, s6 resolve),
    # checkout again after its resolve (s7 trigger, s8 resolve): three incidents, all resolved.
    incidents = list(Incident.objects.order_by("id"))
    assert len(incidents) == 3
    assert all(i.state == IncidentState.RESOLVED for i in incidents)
    assert all(i.resolution_code == "source_recovered" for i in incidents)
    assert incidents[0].title == "[FIRING:2] HighLatency checkout (checkout critical)"
    assert incidents[0].priority == 1
    assert incidents[1].priority == 3  # warning
    assert Alert.objects.count() == len(answers) == 8


def test_repeated_triggers_join_the_open_incident(api, pd):
    send(api, trigger(pd.key, "db-1/disk"))
    send(api, trigger(pd.key, "db-1/disk", summary="Disk still full"))
    assert Incident.objects.count() == 1
    assert AlertGroup.objects.get().alert_count == 2


def test_trigger_without_dedup_key_gets_a_generated_one(api, pd):
    response = send(api, trigger(pd.key))
    assert response.status_code == 202
    dedup_key = response.json()["dedup_key"]
    assert len(dedup_key) == 32
    assert AlertGroup.objects.get().dedup_key == dedup_key
    resolved = send(api, {"routing_key": pd.key, "event_action": "resolve", "dedup_key": dedup_key})
    assert resolved.status_code == 202
    assert Incident.objects.get().state == IncidentState.RESOLVED


def test_acknowledge_then_resolve_then_new_trigger_opens_a_new_incident(api, pd):
    send(api, trigger(pd.key, "k1"))
    incident = Incident.objects.get()
    send(api, {"routing_key": pd.key, "event_action": "acknowledge", "dedup_key": "k1"})
    incident.refresh_from_db()
    assert incident.state == IncidentState.ACKNOWLEDGED
    # A second acknowledge is processed and changes nothing.
    assert (
        send(api, {"routing_key": pd.key, "event_action": "acknowledge", "dedup_key": "k1"}).status_code
        == 202
    )
    send(api, {"routing_key": pd.key, "event_action": "resolve", "dedup_key": "k1"})
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    send(api, trigger(pd.key, "k1"))
    assert Incident.objects.count() == 2
    assert Incident.objects.exclude(pk=incident.pk).get().state == IncidentState.NEW


def test_resolve_of_an_unknown_key_is_stored_and_changes_nothing(api, pd):
    response = send(api, {"routing_key": pd.key, "event_action": "resolve", "dedup_key": "never-seen"})
    assert response.status_code == 202
    assert not Incident.objects.exists()
    assert Alert.objects.get().status == "resolved"


def test_empty_severity_from_a_mixed_group_uses_the_default(api, pd):
    body = trigger(pd.key, "mixed")
    body["payload"]["severity"] = ""
    assert send(api, body).status_code == 202
    assert Incident.objects.get().priority == 3


def test_the_openapi_example_event_is_accepted(api, pd):
    spec = json.loads((LOCAL / "pagerduty-events-v2.openapi.json").read_text())
    example = spec["paths"]["/enqueue"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    body = dict(example["event"]["value"], routing_key=pd.key)
    response = send(api, body)
    assert response.status_code == 202
    assert response.json()["dedup_key"] == "srv01/mysql"
    alert = Alert.objects.get()
    assert alert.labels == {
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "severity": "critical",
    }
    assert alert.details["links"][0]["href"] == "http://pagerduty.example.com"
    assert alert.starts_at is not None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"event_action": "nope"}, "event_action"),
        ({"event_action": "trigger"}, "payload"),
        ({"event_action": "trigger", "payload": {"source": "x", "severity": "critical"}}, "summary"),
        ({"event_action": "trigger", "payload": {"summary": "x", "severity": "critical"}}, "source"),
        (
            {"event_action": "trigger", "payload": {"summary": "x", "source": "y", "severity": "huge"}},
            "severity",
        ),
        ({"event_action": "resolve"}, "dedup_key"),
        ({"event_action": "acknowledge", "dedup_key": 5}, "dedup_key"),
        (
            {"event_action": "trigger", "dedup_key": "k" * 256, "payload": {"summary": "x", "source": "y"}},
            "dedup_key",
        ),
        ({"event_action": "trigger", "payload": "text"}, "payload"),
        (
            {"event_action": "trigger", "payload": {"summary": "x", "source": "y", "timestamp": "soon"}},
            "timestamp",
        ),
        (
            {
                "event_action": "trigger",
                "payload": {"summary": "x", "source": "y"},
                "links": [{"text": "no href"}],
            },
            "links",
        ),
    ],
)
def test_invalid_events_answer_400_like_pagerduty(api, pd, body, fragment):
    response = send(api, {"routing_key": pd.key, **body})
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "invalid event"
    assert answer["message"] == "Event object is invalid"
    assert any(fragment in error for error in answer["errors"]), answer
    assert not Alert.objects.exists()


def test_smoke_check_shape(api, pd):
    response = send(api, {"routing_key": pd.key, "event_action": "nope"})
    assert response.status_code == 400
    assert response.json()["status"] == "invalid event"
    assert "errors" in response.json()


def test_unparseable_body_answers_pagerdutys_unrecognized_object(api, pd):
    response = post_raw(api, PD_URL, b'{"routing_key": ')
    assert response.status_code == 400
    assert response.json()["status"] == "Unrecognized object"
    assert response.json()["message"] == "Event object format is unrecognized"


@pytest.mark.parametrize("routing_key", ["0" * 32, "short", "", None, 12])
def test_unknown_or_missing_routing_key(api, routing_key):
    response = send(api, {"routing_key": routing_key, "event_action": "trigger"})
    assert response.status_code in (400, 404)
    assert response.json()["status"] in ("invalid routing key", "invalid event")


def test_key_of_another_kind_is_refused(api):
    other = IntegrationFactory(kind="generic")
    response = send(api, trigger(other.key, "k"))
    assert response.status_code == 400
    assert response.json()["status"] == "invalid routing key"


def test_the_captured_routing_key_is_32_hex_like_ours(pd):
    assert len(capture(2)["body"]["routing_key"]) == len(pd.key) == 32


def test_repeats_with_a_new_timestamp_each_take_the_one_statement_path(
    api, pd, django_assert_max_num_queries
):
    send(api, trigger(pd.key, "k", timestamp="2026-11-22T08:00:00Z"))
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 7):
        response = send(api, trigger(pd.key, "k", timestamp="2026-11-22T08:01:00Z"))
    assert response.status_code == 202
    assert Incident.objects.count() == 1
    assert AlertGroup.objects.get().alert_count == 2
    assert sorted(a.starts_at.minute for a in Alert.objects.all()) == [0, 1]
