"""The engine's admin pages, the outbox retry action, and SLA breaches in the incident list and API."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation.models import (
    CommunicationRule,
    ContactMethod,
    DeliveryAttempt,
    Escalation,
    EscalationPolicy,
    Notification,
    NotificationRule,
    NotificationState,
    ReportingRule,
    SlaClock,
    SlaPolicy,
    StakeholderGroup,
    Timer,
    WebhookSubscription,
)
from escalation.outbox import notification_write
from escalation.timers import timer_sweep
from tests.escalation.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    SlaPolicyFactory,
)
from tests.incidents.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model",
    [
        SlaPolicy,
        EscalationPolicy,
        ContactMethod,
        NotificationRule,
        StakeholderGroup,
        CommunicationRule,
        ReportingRule,
        WebhookSubscription,
        Notification,
        Escalation,
        SlaClock,
        Timer,
    ],
)
def test_changelists_and_add_pages_answer(admin_client, model):
    opts = model._meta
    assert (
        admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    )
    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)


def test_policy_page_shows_its_levels_inline(admin_client):
    level = EscalationLevelFactory(users=[UserFactory(username="ops-alice")])
    page = admin_client.get(reverse("admin:escalation_escalationpolicy_change", args=[level.policy.pk]))
    assert page.status_code == 200
    assert b"ops-alice" in page.content


def test_retry_action_requeues_failed_notifications(admin_client):
    row = notification_write(
        subject=IncidentFactory(),
        reason="page",
        channel="email",
        address="a@example.org",
        idempotency_key="adm-1",
    )
    Notification.objects.filter(pk=row.pk).update(state=NotificationState.FAILED, attempts=8)
    DeliveryAttempt.objects.create(notification=row, started_at=T0, error="HTTP 500")
    assert (
        b"HTTP 500"
        in admin_client.get(reverse("admin:escalation_notification_change", args=[row.pk])).content
    )
    response = admin_client.post(
        reverse("admin:escalation_notification_changelist"),
        {"action": "retry", "_selected_action": [row.pk]},
        follow=True,
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.state, row.attempts) == (NotificationState.PENDING, 0)


def test_breached_incidents_show_in_the_admin_list_and_the_api(admin_client, api, as_role):
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, users=[UserFactory()])
    SlaPolicyFactory(priority=1, time_to_acknowledge=timedelta(minutes=10), escalation_policy=policy)
    as_role("agents")
    with time_machine.travel(T0, tick=False) as clock:
        late = api.post(
            "/api/v1/incidents/", {"title": "late one", "impact": 1, "urgency": 1}, format="json"
        ).json()
        api.post("/api/v1/incidents/", {"title": "fine one", "impact": 1, "urgency": 1}, format="json")
        clock.move_to(T0 + timedelta(minutes=5))
        api.post(f"/api/v1/incidents/{late['id'] + 1}/acknowledge/", {}, format="json")
        clock.move_to(T0 + timedelta(minutes=11))
        timer_sweep()
    page = admin_client.get(reverse("admin:incidents_incident_changelist")).content.decode()
    assert page.count(">breached<") == 1
    for _ in range(3):
        IncidentFactory()
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/v1/incidents/?page_size=50").json()
    by_title = {i["title"]: i for i in body["results"]}
    assert by_title["late one"]["sla_breached"] is True
    assert by_title["late one"]["sla"]["acknowledge"]["breached_at"] == "2026-03-02T10:10:00Z"
    assert by_title["fine one"]["sla_breached"] is False
    assert by_title["fine one"]["sla"]["acknowledge"]["state"] == "met"
    # The clocks of the whole page come in one query, whatever the page size.
    assert sum("escalation_slaclock" in q["sql"] for q in queries.captured_queries) == 1


def test_the_outbox_pages_do_not_show_apprise_tokens(admin_client):
    token = "123456789:ABCdefGhIJKlmnOPQRsTUVwxyZ"
    row = notification_write(
        subject=IncidentFactory(),
        reason="page",
        channel="apprise",
        address=f"tgram://{token}/12345",
        idempotency_key="adm-apprise",
    )
    for url in (
        reverse("admin:escalation_notification_changelist"),
        reverse("admin:escalation_notification_change", args=[row.pk]),
    ):
        page = admin_client.get(url)
        assert page.status_code == 200
        assert token.encode() not in page.content, url
        assert b"tgram://1...Z/12345" in page.content, url
