"""A new alert group opens its incident in one statement (incidents/integrations/one_statement.py) on
PostgreSQL, writing the very rows the general path writes, and the incident engages (SLA clocks, escalation,
webhooks, spike check) from the `incident.engage` timer, or the first time anything locks it, whichever comes
first."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation.escalations import PAGE_REASON
from escalation.models import (
    Notification,
    NotificationState,
    SlaClock,
    SlaClockKind,
    SlaClockState,
    Timer,
    TimerState,
)
from escalation.timers import timer_sweep
from incidents.creation import ENGAGE_TIMER
from incidents.integrations.alertmanager import alertmanager_parse
from incidents.integrations.generic import generic_parse
from incidents.integrations.ingest import alerts_ingest_orm
from incidents.integrations.one_statement import alerts_one_statement
from incidents.integrations.pagerduty import pagerduty_parse
from incidents.integrations.payloads import body_decode
from incidents.integrations.rules import Received
from incidents.models import (
    Alert,
    AlertGroup,
    AlertPayload,
    Incident,
    Integration,
    PriorityMatrixCell,
    Silence,
    TimelineEvent,
)
from incidents.services import incident_transition
from tests.escalation.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    SlaPolicyFactory,
    WebhookSubscriptionFactory,
)
from tests.services import require_postgres

from .factories import IntegrationFactory, ServiceFactory, UserFactory
from .integration_support import capture, fire_generic

pytestmark = pytest.mark.django_db


def fire(api, key, dedup_key, **fields):
    """A critical alert (P1 by default): the id of the incident it opened or joined."""
    return fire_generic(api, key, dedup_key, severity="critical", **fields)["incident"]["id"]


def fire_counting(api, key, dedup_key, **fields):
    """Fires and answers (incident id, the number of queries that went through Django's cursor)."""
    with CaptureQueriesContext(connection) as queries:
        incident_id = fire(api, key, dedup_key, **fields)
    return incident_id, len(queries)


NOW = datetime(2026, 11, 21, 23, 41, 20, tzinfo=UTC)


def _generic_body() -> str:
    return json.dumps(
        {
            "title": "Payment provider timeouts",
            "description": "3% of card payments time out",
            "severity": "error",
            "dedup_key": "psp-timeouts",
            "service": "Checkout",  # a known service, named in another case
            "labels": {"region": "eu-west-1"},
            "details": {"ticket": "CRM-1234"},
        }
    )


# Each format's body: a real Alertmanager 0.25 capture (two alerts, naming the service), the PagerDuty trigger
# Alertmanager sent beside it (no service: the integration's), and a generic body.
FORMATS = {
    "alertmanager": (lambda: capture(1)["body_raw"], alertmanager_parse),
    "pagerduty-events": (lambda: capture(2)["body_raw"], pagerduty_parse),
    "generic": (_generic_body, generic_parse),
}


def written(integration: Integration) -> dict[str, list[dict]]:
    """Every row ingestion wrote for an integration, in order, without its own ids: references to the group,
    incident and payload rows are their positions in those lists, and the integration's id and name are
    `<integration>`, so that two integrations' rows compare equal when both paths wrote the same."""
    groups = list(AlertGroup.objects.filter(integration=integration).order_by("id").values())
    incident_ids = sorted({group["incident_id"] for group in groups})
    payloads = list(AlertPayload.objects.filter(integration=integration).order_by("id").values())
    tables = {
        "group": groups,
        "incident": list(Incident.objects.filter(pk__in=incident_ids).order_by("id").values()),
        "timeline": list(TimelineEvent.objects.filter(incident_id__in=incident_ids).order_by("id").values()),
        "timer": list(
            Timer.objects.filter(
                subject_type=ContentType.objects.get_for_model(Incident), subject_id__in=incident_ids
            )
            .order_by("id")
            .values()
        ),
        "payload": payloads,
        "alerts": list(Alert.objects.filter(integration=integration).order_by("id").values()),
    }
    position = {
        "group_id": {row["id"]: n for n, row in enumerate(groups)},
        "incident_id": {pk: n for n, pk in enumerate(incident_ids)},
        "subject_id": {pk: n for n, pk in enumerate(incident_ids)},
        "payload_id": {row["id"]: n for n, row in enumerate(payloads)},
    }

    def plain(value: object) -> object:
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, str):
            return value.replace(integration.name, "<integration>")
        return value

    result = {}
    for table, rows in tables.items():
        result[table] = []
        for row in rows:
            row = {
                name: position[name].get(value, value) if name in position else value
                for name, value in row.items()
            }
            row.pop("id")
            if row.get("integration_id") == integration.pk:
                row["integration_id"] = "<integration>"
            if row.get("data", {}).get("integration") == integration.pk:
                row["data"]["integration"] = "<integration>"
            result[table].append(plain(row))
    return result


@pytest.mark.parametrize("storm_rate", [0, 20], ids=["one statement", "storm folding"])
@pytest.mark.parametrize("kind", list(FORMATS))
def test_both_paths_write_the_same_rows(kind: str, storm_rate: int) -> None:
    """The hot path (one_statement.py) and the general path (ingest.alerts_ingest_orm) write the very same
    rows for the same request, in every table, for every format: opening a new key, then repeating it."""
    require_postgres()
    checkout = ServiceFactory(name="checkout")
    platform = ServiceFactory(name="platform")
    # The matrix is read, not assumed: every cell gives P2 here (P1 and P3 by the default matrix).
    PriorityMatrixCell.objects.update(priority=2)
    body, parse = FORMATS[kind]
    fast_integration, general_integration = (
        IntegrationFactory(kind=kind, service=platform, storm_rate_per_minute=storm_rate) for _ in range(2)
    )

    def ingest(path, integration):
        parsed, text = body_decode(body().encode())
        return path(Received(integration, parse(parsed), text, "10.0.0.7", "Alertmanager/0.25.0", NOW))

    with time_machine.travel(NOW, tick=False):
        for _ in ("open", "repeat"):
            assert ingest(alerts_one_statement, fast_integration) is not None
            ingest(alerts_ingest_orm, general_integration)
            fast = written(fast_integration)
            assert fast == written(general_integration)

    events = len(fast["alerts"]) // 2
    assert events == (2 if kind == "alertmanager" else 1)
    assert [len(fast[table]) for table in ("group", "incident", "timeline", "timer", "payload")] == [
        1
    ] * 4 + [2]
    assert fast["group"][0]["alert_count"] == 2 * events
    assert fast["incident"][0]["priority"] == 2
    assert fast["incident"][0]["service_id"] == (platform.pk if kind == "pagerduty-events" else checkout.pk)
    assert fast["incident"][0]["engaged_at"] is None
    assert fast["timer"][0]["kind"] == ENGAGE_TIMER
    assert fast["timeline"][0]["data"]["priority"] == 2


def test_an_active_silence_sends_a_new_key_down_the_general_path(api):
    require_postgres()
    integration = IntegrationFactory(kind="generic", storm_rate_per_minute=0)
    fast_id, fast_queries = fire_counting(api, integration.key, "fast")
    # A silence that matches nothing: the statement leaves every active silence to the general path.
    now = timezone.now()
    Silence.objects.create(
        name="elsewhere",
        integration=IntegrationFactory(kind="generic"),
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )
    general_id, general_queries = fire_counting(api, integration.key, "general")
    assert general_id != fast_id
    # The one-statement path runs outside Django's cursor but for the integration's lookup (and, once per
    # process, the incident's content type).
    assert fast_queries <= 2 < 10 < general_queries
    assert Incident.objects.get(pk=general_id).engaged_at is None


def test_an_alert_opened_incident_engages_in_the_sweep(api):
    oncall = UserFactory()
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, users=[oncall])
    SlaPolicyFactory(priority=1, time_to_acknowledge=timedelta(minutes=5), escalation_policy=policy)
    hook = WebhookSubscriptionFactory(events=["incident.created"])
    integration = IntegrationFactory(kind="generic")

    incident_id = fire(api, integration.key, "db-1")
    incident = Incident.objects.get(pk=incident_id)
    assert incident.engaged_at is None
    assert not SlaClock.objects.exists()
    assert not Notification.objects.exists()

    assert timer_sweep() == 1  # the engage timer (the first escalation level pages at once)
    incident.refresh_from_db()
    assert incident.engaged_at is not None
    ack = SlaClock.objects.get(kind=SlaClockKind.ACKNOWLEDGE)
    # Clocks count from the alert, not from the sweep.
    assert ack.started_at == incident.reported_at
    assert ack.due_at == incident.reported_at + timedelta(minutes=5)
    assert Notification.objects.filter(recipient=oncall, reason=PAGE_REASON).count() == 1
    assert Notification.objects.filter(subscription=hook, reason="incident.created").count() == 1
    # A second sweep changes nothing: the engage timer fired once.
    timer_sweep()
    assert SlaClock.objects.count() == 2
    assert Notification.objects.filter(subscription=hook).count() == 1


def test_acknowledged_before_the_sweep_is_engaged_first_and_never_paged(api):
    oncall = UserFactory()
    policy = EscalationPolicyFactory()
    EscalationLevelFactory(policy=policy, users=[oncall])
    SlaPolicyFactory(priority=1, time_to_acknowledge=timedelta(minutes=5), escalation_policy=policy)
    integration = IntegrationFactory(kind="generic")
    incident_id = fire(api, integration.key, "db-1")

    incident_transition(incident_id=incident_id, name="acknowledge", by=None)
    # The transition engaged it before acknowledging: the acknowledge clock exists, and it is met.
    assert SlaClock.objects.get(kind=SlaClockKind.ACKNOWLEDGE).state == SlaClockState.MET
    timer_sweep()
    assert SlaClock.objects.filter(kind=SlaClockKind.ACKNOWLEDGE).count() == 1
    # The page the engagement wrote was cancelled by the acknowledge in the same transaction: never sent.
    assert not Notification.objects.filter(reason=PAGE_REASON).exclude(state=NotificationState.CANCELLED)
    assert Timer.objects.get(kind=ENGAGE_TIMER).state == TimerState.FIRED


def test_without_storm_folding_one_statement_repeats_or_opens(api):
    require_postgres()
    integration = IntegrationFactory(kind="generic", storm_rate_per_minute=0)
    first, _ = fire_counting(api, integration.key, "disk")
    # The integration is cached now: a repeat and a new key each take one statement, no Django query.
    again, repeat_queries = fire_counting(api, integration.key, "disk")
    other, open_queries = fire_counting(api, integration.key, "cpu")
    assert again == first != other
    assert repeat_queries == open_queries == 0
    group = AlertGroup.objects.get(incident_id=first)
    assert group.alert_count == 2
    assert group.alerts.count() == 2
    assert TimelineEvent.objects.filter(incident_id=first).count() == 1  # a repeat writes no line
    assert Incident.objects.count() == 2
