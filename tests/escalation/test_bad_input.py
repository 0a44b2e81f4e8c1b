"""Hostile input to the engine's API answers 400/404 with a JSON body, never 500."""

from datetime import timedelta

import pytest

from tests.escalation.factories import EscalationLevelFactory, EscalationPolicyFactory
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

CASES = [
    (
        "/api/v1/sla-policies/",
        {
            "name": "x",
            "priority": 1,
            "time_to_acknowledge_seconds": 60,
            "time_to_resolve_seconds": 60,
            "service_id": 2**70,
        },
    ),
    (
        "/api/v1/sla-policies/",
        {"name": "x\x00", "priority": 1, "time_to_acknowledge_seconds": 60, "time_to_resolve_seconds": 60},
    ),
    (
        "/api/v1/sla-policies/",
        {"name": "x", "priority": 0, "time_to_acknowledge_seconds": 0, "time_to_resolve_seconds": 60},
    ),
    (
        "/api/v1/sla-policies/",
        {"name": "x", "priority": 1, "time_to_acknowledge_seconds": 60, "time_to_resolve_seconds": 10**12},
    ),
    (
        "/api/v1/sla-policies/",
        {
            "name": "x",
            "priority": 1,
            "time_to_acknowledge_seconds": 60,
            "time_to_resolve_seconds": 60,
            "calendar": 999999,
        },
    ),
    ("/api/v1/escalation-policies/", {"name": "x", "levels": "not a list"}),
    ("/api/v1/escalation-policies/", {"name": "x", "levels": [{"position": 1, "schedule": "abc"}]}),
    # Two levels without a position both take the default one: a clash, not a KeyError.
    ("/api/v1/escalation-policies/", {"name": "x", "levels": [{}, {"delay_seconds": 60}]}),
    ("/api/v1/contact-methods/", {"channel": "apprise", "address": "\x00://"}),
    ("/api/v1/contact-methods/", {"channel": "webhook", "address": "ftp://x"}),
    ("/api/v1/contact-methods/", {"channel": "pigeon", "address": "x"}),
    ("/api/v1/stakeholder-groups/", {"name": "g", "audience": "martians"}),
    ("/api/v1/stakeholder-groups/", {"name": "g", "audience": "management", "addresses": "a\x00b"}),
    (
        "/api/v1/communication-rules/",
        {"event": "incident.created", "audience": "management", "template": "../../etc/passwd"},
    ),
    ("/api/v1/reporting-rules/", {"name": "r", "group": 999999, "within_minutes": 5}),
    ("/api/v1/webhook-subscriptions/", {"name": "w", "url": "not a url"}),
    ("/api/v1/webhook-subscriptions/", {"name": "w", "url": "https://x.org", "secret": "short"}),
    ("/api/v1/notification-rules/", {"contact_method": 999999}),
]


@pytest.mark.parametrize(("path", "body"), CASES)
def test_bad_bodies_are_400_json(api, as_role, path, body):
    as_role("managers")
    response = api.post(path, body, format="json")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/escalation-policies/999999/",
        "/api/v1/notifications/999999/",
        "/api/v1/webhook-subscriptions/999999/deliveries/",
        "/api/v1/escalation-policies/abc/",
    ],
)
def test_unknown_rows_are_404_json(api, as_role, path):
    as_role("managers")
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_malformed_json_is_400(api, as_role):
    as_role("managers")
    policy = EscalationPolicyFactory()
    response = api.generic(
        "POST",
        f"/api/v1/escalation-policies/{policy.pk}/simulate/",
        b'{"start": ',
        content_type="application/json",
    )
    assert response.status_code == 400


def test_simulate_running_past_the_year_9999_is_400(api, as_role):
    """On a 24x7 calendar, start + delay was computed outside business_add's overflow guard: a 500. The
    start is now bounded, and business_add answers 400 for what still runs past the year 9999."""
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, delay=timedelta(days=2), users=[UserFactory()])
    as_role("managers")
    response = api.post(
        f"/api/v1/escalation-policies/{policy.pk}/simulate/",
        {"start": "9999-12-31T00:00:00Z", "priority": 1},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
