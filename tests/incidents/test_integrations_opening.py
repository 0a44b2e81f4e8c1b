"""A new alert group opens its incident in one statement (incidents/integrations/opening.py) on PostgreSQL, and
the incident engages (SLA clocks, escalation, webhooks, spike check) from the `incident.engage` timer, or the
first time anything locks it, whichever comes first."""

from datetime import timedelta

import pytest
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
from incidents.models import AlertGroup, Incident, PriorityMatrixCell, Silence, TimelineEvent
from incidents.services import ENGAGE_TIMER, incident_transition
from tests.escalation.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    SlaPolicyFactory,
    WebhookSubscriptionFactory,
)
from tests.services import require_postgres

from .factories import IntegrationFactory, ServiceFactory, UserFactory
from .integration_support import fire_generic

pytestmark = pytest.mark.django_db


def fire(api, key, dedup_key, **fields):  # type: ignore[no-untyped-def]
    """A critical alert (P1 by default): the id of the incident it opened or joined."""
    return fire_generic(api, key, dedup_key, severity="critical", **fields)["incident"]["id"]


def fire_counting(api, key, dedup_key, **fields):  # type: ignore[no-untyped-def]
    """Fires and answers (incident id, the number of queries that went through Django's cursor)."""
    with CaptureQueriesContext(connection) as queries:
        incident_id = fire(api, key, dedup_key, **fields)
    return incident_id, len(queries)


def rows(incident_id: int) -> dict:
    """What a path wrote about an incident, without ids and instants."""
    incident = Incident.objects.values().get(pk=incident_id)
    for name in ("id", "reported_at", "updated_at"):
        incident.pop(name)
    group = AlertGroup.objects.values().get(incident_id=incident_id)
    for name in ("id", "incident_id", "dedup_key", "source_key", "opened_at", "last_alert_at"):
        group.pop(name)
    group["fingerprints"] = sorted(group["fingerprints"].values(), key=str)
    timeline = [
        (event.kind, event.to_state, event.note, event.data)
        for event in TimelineEvent.objects.filter(incident_id=incident_id)  # in the timeline's order
    ]
    for _kind, _state, _note, data in timeline:
        data.pop("dedup_key", None)
        data.pop("fingerprints", None)
    timers = list(
        Timer.objects.filter(subject_id=incident_id, kind=ENGAGE_TIMER).values_list("state", "data")
    )
    return {"incident": incident, "group": group, "timeline": timeline, "timers": timers}


def test_the_one_statement_path_writes_what_the_general_path_writes(api):  # type: ignore[no-untyped-def]
    require_postgres()
    billing = ServiceFactory(name="Billing")
    # The matrix is read, not assumed: critical (impact 1, urgency 1) made P2 here.
    PriorityMatrixCell.objects.filter(impact=1, urgency=1).update(priority=2)
    integration = IntegrationFactory(kind="generic", storm_rate_per_minute=0)

    fast_id, fast_queries = fire_counting(api, integration.key, "fast", service="billing")
    # An active silence that matches nothing sends the next alert down the general path (the statement
    # leaves every silence to it), which must open the very same incident.
    now = timezone.now()
    Silence.objects.create(
        name="elsewhere",
        integration=IntegrationFactory(kind="generic"),
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )
    general_id, general_queries = fire_counting(api, integration.key, "fast", service="billing")
    assert general_id == fast_id  # same key, still open: joined

    general_id, general_queries = fire_counting(api, integration.key, "general", service="billing")
    assert general_id != fast_id
    # The one-statement path runs outside Django's cursor but for the integration's lookup (and, once per
    # process, the incident's content type).
    assert fast_queries <= 2 < 10 < general_queries

    fast, general = rows(fast_id), rows(general_id)
    assert fast["incident"]["priority"] == 2
    assert fast["incident"]["service_id"] == billing.pk
    assert fast["incident"]["engaged_at"] is None
    assert fast["timers"] == [(TimerState.PENDING, {})]
    general["incident"]["title"] = general["incident"]["title"].replace("general", "fast")
    general["timeline"] = [
        (kind, state, note.replace("general", "fast"), data)
        for kind, state, note, data in general["timeline"]
    ]
    assert fast["group"]["alert_count"] == 2  # the join above
    general["group"]["alert_count"] = 2
    assert fast == general


def test_an_alert_opened_incident_engages_in_the_sweep(api):  # type: ignore[no-untyped-def]
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


def test_acknowledged_before_the_sweep_is_engaged_first_and_never_paged(api):  # type: ignore[no-untyped-def]
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


def test_without_storm_folding_one_statement_repeats_or_opens(api):  # type: ignore[no-untyped-def]
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
