"""Issue #13's loose ends: a reopened incident is paged again from the first level of its policy, and a
priority with no SLA policy stops the old clocks."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from escalation.events import ESCALATION_LEVEL
from escalation.models import (
    Escalation,
    EscalationState,
    Notification,
    SlaClock,
    SlaClockState,
    Timer,
    TimerState,
)
from escalation.timers import timer_sweep
from incidents.services import incident_page_acknowledge
from tests.escalation.factories import (
    EscalationLevelFactory,
    EscalationPolicyFactory,
    SlaPolicyFactory,
    WebhookSubscriptionFactory,
)
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def two_levels():
    first, second = UserFactory(role="agents"), UserFactory(role="agents")
    policy = EscalationPolicyFactory(name="P1")
    EscalationLevelFactory(policy=policy, position=1, users=[first])
    EscalationLevelFactory(policy=policy, position=2, delay=timedelta(minutes=5), users=[second])
    SlaPolicyFactory(
        priority=1,
        escalation_policy=policy,
        time_to_acknowledge=timedelta(minutes=15),
        time_to_resolve=timedelta(hours=4),
    )
    return first, second


def paged(user) -> int:
    return Notification.objects.filter(reason="page", recipient=user).count()


def create(api, impact: int, urgency: int) -> int:
    response = api.post(
        "/api/v1/incidents/", {"title": "x", "impact": impact, "urgency": urgency}, format="json"
    )
    assert response.status_code == 201
    return response.json()["id"]


def test_a_reopened_incident_is_paged_again_from_the_first_level(api, as_role, two_levels):
    first, second = two_levels
    as_role("agents")
    with time_machine.travel(T0, tick=False) as clock:
        incident = create(api, 1, 1)
        api.post(f"/api/v1/incidents/{incident}/acknowledge/", {}, format="json")
        api.post(f"/api/v1/incidents/{incident}/resolve/", {}, format="json")
        assert paged(first) == 1
        clock.move_to(T0 + timedelta(hours=1))
        assert api.post(f"/api/v1/incidents/{incident}/reopen/", {}, format="json").status_code == 200
        assert paged(first) == 2, "level 1 is paged again at once"
        assert paged(second) == 0
        clock.move_to(T0 + timedelta(hours=1, minutes=5))
        timer_sweep()
        assert paged(second) == 1, "and the escalation goes on to level 2"
    states = list(Escalation.objects.order_by("started_at", "pk").values_list("state", flat=True))
    assert states == [EscalationState.ACKNOWLEDGED, EscalationState.EXHAUSTED]


def test_the_page_of_a_reopened_incident_is_answered_although_it_is_in_progress(api, as_role, two_levels):
    first, second = two_levels
    as_role("agents")
    with time_machine.travel(T0, tick=False) as clock:
        incident = create(api, 1, 1)
        api.post(f"/api/v1/incidents/{incident}/resolve/", {}, format="json")
        api.post(f"/api/v1/incidents/{incident}/reopen/", {}, format="json")
        clock.move_to(T0 + timedelta(minutes=2))
        answered = incident_page_acknowledge(incident_id=incident, by=first)
        assert answered.state == "in_progress"
        clock.move_to(T0 + timedelta(minutes=10))
        timer_sweep()
    assert paged(second) == 0, "answered: level 2 never comes"
    latest = Escalation.objects.order_by("-started_at", "-pk").first()
    assert (latest.state, latest.acknowledged_by) == (EscalationState.ACKNOWLEDGED, first)
    # Nobody paging any more: answering again is too late.
    with pytest.raises(Exception) as raised:  # noqa: PT011
        incident_page_acknowledge(incident_id=incident, by=first)
    assert getattr(raised.value, "status", None) == 409


def test_a_step_to_the_next_level_is_an_event(api, as_role, two_levels):
    subscription = WebhookSubscriptionFactory(url="http://127.0.0.1:9/hook", events=[ESCALATION_LEVEL])
    as_role("agents")
    with time_machine.travel(T0, tick=False) as clock:
        create(api, 1, 1)
        assert not Notification.objects.filter(subscription=subscription).exists(), "level 1 is the start"
        clock.move_to(T0 + timedelta(minutes=5))
        timer_sweep()
    [delivery] = Notification.objects.filter(subscription=subscription)
    assert delivery.reason == ESCALATION_LEVEL
    assert delivery.payload["data"]["level"] == 2
    assert delivery.payload["data"]["users"] == [two_levels[1].get_username()]


def test_a_priority_without_sla_policy_stops_the_old_clocks(api, as_role, two_levels):
    _first, _second = two_levels
    as_role("agents")
    with time_machine.travel(T0, tick=False) as clock:
        incident = create(api, 1, 1)  # P1: clocks of 15 minutes and 4 hours
        clock.move_to(T0 + timedelta(minutes=3))
        response = api.patch(f"/api/v1/incidents/{incident}/", {"impact": 4, "urgency": 4}, format="json")
        assert response.json()["priority"] == 4  # P4 has no SLA policy
        states = set(SlaClock.objects.values_list("state", flat=True))
        assert states == {SlaClockState.CANCELLED}
        assert not Timer.objects.filter(kind__startswith="sla.", state=TimerState.PENDING).exists()
        clock.move_to(T0 + timedelta(hours=5))
        timer_sweep()
    assert not SlaClock.objects.filter(state=SlaClockState.BREACHED).exists(), "no phantom breach"
    assert not Notification.objects.filter(reason__in=["sla.breach", "sla.breached"]).exists()


def test_back_to_a_priority_with_a_policy_starts_fresh_clocks(api, as_role, two_levels):
    as_role("agents")
    with time_machine.travel(T0, tick=False) as clock:
        incident = create(api, 1, 1)
        api.patch(f"/api/v1/incidents/{incident}/", {"impact": 4, "urgency": 4}, format="json")
        clock.move_to(T0 + timedelta(minutes=30))
        api.patch(f"/api/v1/incidents/{incident}/", {"impact": 1, "urgency": 1}, format="json")
    running = SlaClock.objects.filter(state=SlaClockState.RUNNING)
    assert {clock.due_at for clock in running} == {
        T0 + timedelta(minutes=45),
        T0 + timedelta(minutes=30, hours=4),
    }


def test_the_admin_answers_the_page_of_a_reopened_incident(api, as_role, two_levels):
    from django.test import Client

    first, _second = two_levels
    first.is_staff = True
    first.save()
    as_role("agents")
    incident = create(api, 1, 1)
    api.post(f"/api/v1/incidents/{incident}/resolve/", {}, format="json")
    api.post(f"/api/v1/incidents/{incident}/reopen/", {}, format="json")
    client = Client()
    client.force_login(first)
    page = client.get(f"/admin/incidents/incident/{incident}/change/").content.decode()
    assert 'data-transition="acknowledge-page"' in page
    client.post(f"/admin/incidents/incident/{incident}/acknowledge-page/")
    latest = Escalation.objects.order_by("-started_at", "-pk").first()
    assert (latest.state, latest.acknowledged_by) == (EscalationState.ACKNOWLEDGED, first)
    page = client.get(f"/admin/incidents/incident/{incident}/change/").content.decode()
    assert 'data-transition="acknowledge-page"' not in page
