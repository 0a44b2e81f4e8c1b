"""Key risk indicators: hysteresis (property: no flapping), readings over the API (token or integration key,
one or a batch, all or nothing, bad input named), the notifications yellow and red produce through the
engine, the red escalation when nobody acknowledges, the optional incident."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.models import Notification
from escalation.timers import timer_sweep
from incidents.models import Incident
from risks.kris import Thresholds, state_next
from risks.models import KRIReading
from risks.services import risk_create
from tests.incidents.factories import IntegrationFactory, TeamFactory, UserFactory

from .factories import AreaFactory, KRIFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORDER = ["green", "yellow", "red"]


# --- hysteresis --------------------------------------------------------------------------------------------


def run(values: list[float], t: Thresholds, state: str = "green") -> list[str]:
    states = []
    for value in values:
        state = state_next(state, value, t)
        states.append(state)
    return states


def test_the_seeds_example_80_yellow_90_red():
    t = Thresholds(yellow=80, red=90, hysteresis=2)
    assert run([50, 80, 85, 90, 89, 88.5, 87.9, 79, 77.9], t) == [
        "green",
        "yellow",
        "yellow",
        "red",
        "red",
        "red",
        "yellow",
        "yellow",
        "green",
    ]


def test_lower_is_worse_mirrors_it():
    t = Thresholds(yellow=20, red=10, hysteresis=2, higher_is_worse=False)
    assert run([50, 20, 10, 11, 12.5, 22.5], t) == ["green", "yellow", "red", "red", "yellow", "green"]


thresholds = st.builds(
    lambda yellow, gap, hysteresis, higher: Thresholds(
        yellow=yellow if higher else yellow + gap,
        red=yellow + gap if higher else yellow,
        hysteresis=hysteresis,
        higher_is_worse=higher,
    ),
    st.floats(-1000, 1000),
    st.floats(0.5, 100),
    st.floats(0.1, 50),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(t=thresholds, start=st.sampled_from(ORDER), data=st.data())
def test_values_hovering_within_the_hysteresis_never_flap(t, start, data):
    """Values that stay within a band narrower than the hysteresis (anywhere: around a threshold or not)
    move the state in one direction at most: never up then down, never down then up."""
    low = data.draw(
        st.floats(min(t.yellow, t.red) - 3 * t.hysteresis, max(t.yellow, t.red) + 3 * t.hysteresis)
    )
    width = data.draw(st.floats(0, t.hysteresis * 0.999))
    values = data.draw(st.lists(st.floats(low, low + width), min_size=1, max_size=40))
    ranks = [ORDER.index(s) for s in run(values, t, start)]
    changes = [b - a for a, b in zip([ORDER.index(start), *ranks], ranks, strict=False) if b != a]
    assert all(c > 0 for c in changes) or all(c < 0 for c in changes)


@settings(max_examples=200, deadline=None)
@given(t=thresholds, start=st.sampled_from(ORDER), value=st.floats(-5000, 5000))
def test_far_from_the_thresholds_the_state_is_the_plain_one(t, start, value):
    sign = 1 if t.higher_is_worse else -1
    v, yellow, red = sign * value, sign * t.yellow, sign * t.red
    state = state_next(start, value, t)
    if v >= red:
        assert state == "red"
    elif v < yellow - t.hysteresis:
        assert state == "green"
    elif v >= yellow and v < red - t.hysteresis:
        assert state == "yellow"


# --- readings over the API ---------------------------------------------------------------------------------


@pytest.fixture
def people(db):
    owner = UserFactory(email="owner@example.org")
    manager = UserFactory(email="boss@example.org")
    team = TeamFactory(manager=manager)
    team.members.add(owner)
    return owner, manager


@pytest.fixture
def kri(people):
    owner, _manager = people
    risk = risk_create(
        by=None, title="Server capacity", area=AreaFactory(), category="system_failure", owner=owner
    )
    kri = KRIFactory(name="CPU use", unit="%", yellow=80, red=90, hysteresis=2, red_ack_minutes=30)
    kri.risks.add(risk)
    return kri


def push(api, kri, body, status=201, **headers):
    response = api.post(f"/api/v1/kris/{kri.pk}/readings/", body, format="json", **headers)
    assert response.status_code == status, response.content
    return response.json()


def told(user, event):
    return Notification.objects.filter(recipient=user, reason=event).count()


@pytest.mark.django_db
def test_yellow_tells_the_owner_and_red_the_owner_and_manager(api, as_role, kri, people):
    owner, manager = people
    as_role("managers")
    with time_machine.travel(T0, tick=False):
        body = push(api, kri, {"value": 81.5, "at": "2026-03-02T08:59:00Z"})
    assert body == {"kri": kri.pk, "accepted": 1, "state": "yellow", "value": 81.5}
    assert told(owner, "kri.yellow") == 1
    assert told(manager, "kri.yellow") == 0
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        body = push(api, kri, [{"value": 91, "at": "2026-03-02T09:00:30Z"}])
    assert body["state"] == "red"
    assert told(owner, "kri.red") == 1
    assert told(manager, "kri.red") == 1
    # Hovering just under red changes nothing and tells nobody again.
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        push(api, kri, {"readings": [{"value": 89.5}, {"value": 90.2}, {"value": 88.4}]})
    assert told(owner, "kri.red") == 1
    kri.refresh_from_db()
    assert kri.state == "red"
    assert list(kri.state_changes.values_list("from_state", "to_state")) == [
        ("yellow", "red"),
        ("green", "yellow"),
    ]
    history = kri.risks.get().history.filter(kind="kri")
    assert [h.to_state for h in history] == ["yellow", "red"]


@pytest.mark.django_db
def test_an_unacknowledged_red_escalates_and_an_acknowledged_one_does_not(api, as_role, kri, people):
    owner, manager = people
    as_role("managers")
    with time_machine.travel(T0, tick=False):
        push(api, kri, {"value": 95})
    timer_sweep(now=T0 + timedelta(minutes=29))
    assert told(manager, "kri_red_unacknowledged") == 0
    timer_sweep(now=T0 + timedelta(minutes=30))
    assert told(manager, "kri_red_unacknowledged") == 1
    assert told(owner, "kri_red_unacknowledged") == 1
    # Down and red again: this time the owner acknowledges.
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        push(api, kri, {"value": 50})
        push(api, kri, {"value": 99})
        api.force_authenticate(owner)
        owner.groups.add(
            *__import__("django.contrib.auth.models").contrib.auth.models.Group.objects.filter(
                name="managers"
            )
        )
        response = api.post(f"/api/v1/kris/{kri.pk}/acknowledge/", {}, format="json")
        assert response.status_code == 200
        assert response.json()["red_acknowledged_by"] == owner.pk
    timer_sweep(now=T0 + timedelta(hours=2))
    assert told(manager, "kri_red_unacknowledged") == 1


@pytest.mark.django_db
def test_red_opens_an_incident_when_the_kri_says_so(api, as_role, kri):
    as_role("managers")
    kri.open_incident_on_red = True
    kri.save()
    push(api, kri, {"value": 92})
    incident = Incident.objects.get()
    assert "CPU use" in incident.title
    assert kri.state_changes.get(to_state="red").incident_id == incident.pk


@pytest.mark.django_db
def test_an_integration_key_pushes_readings(api, kri):
    integration = IntegrationFactory()
    body = push(api, kri, {"value": 10}, HTTP_X_VIGIL_INTEGRATION_KEY=integration.key)
    assert body["accepted"] == 1
    response = api.post(
        f"/api/v1/kris/{kri.pk}/readings/", {"value": 10}, format="json", HTTP_X_VIGIL_INTEGRATION_KEY="nope"
    )
    assert response.status_code in (401, 403)
    assert api.post(f"/api/v1/kris/{kri.pk}/readings/", {"value": 10}, format="json").status_code in (
        401,
        403,
    )
    integration.enabled = False
    integration.save()
    from incidents.integrations.selectors import integration_cache_clear

    integration_cache_clear()
    response = api.post(
        f"/api/v1/kris/{kri.pk}/readings/",
        {"value": 10},
        format="json",
        HTTP_X_VIGIL_INTEGRATION_KEY=integration.key,
    )
    assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_an_api_token_pushes_readings(api, kri):
    from config.authentication import api_token_create

    user = UserFactory(role="managers")
    token = api_token_create(user=user)
    body = push(api, kri, {"value": 10}, HTTP_AUTHORIZATION=f"Token {token}")
    assert body["accepted"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"value": "high"}, "not a number"),
        ({"value": None}, "not a number"),
        ({"value": True}, "not a number"),
        ({"value": 5, "at": "2099-01-01T00:00:00Z"}, "in the future"),
        ({"value": 5, "at": "yesterday"}, "ISO 8601"),
        ({"value": 5, "at": "2026-03-01T00:00:00"}, "ISO 8601"),
        ({"value": 5, "unit": "%"}, "unknown keys"),
        ([], "empty"),
        ("81", "not an object"),
    ],
)
def test_bad_readings_answer_400_naming_the_problem(api, as_role, kri, body, named):
    as_role("managers")
    with time_machine.travel(T0, tick=False):
        # As a sender writes it: Python's json writes NaN and Infinity, which the API must refuse with a 400.
        raw = json.dumps(body)
        response = api.post(f"/api/v1/kris/{kri.pk}/readings/", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert named in response.json()["detail"]
    assert not KRIReading.objects.exists()


@pytest.mark.django_db
def test_a_batch_is_all_or_nothing_and_names_the_bad_reading(api, as_role, kri):
    as_role("managers")
    with time_machine.travel(T0, tick=False):
        response = api.post(
            f"/api/v1/kris/{kri.pk}/readings/",
            [{"value": 1}, {"value": 2}, {"value": "NaN?"}, {"value": 4}],
            format="json",
        )
    assert response.status_code == 400
    assert response.json()["index"] == 2
    assert "Reading 3" in response.json()["detail"]
    assert not KRIReading.objects.exists()


@pytest.mark.django_db
def test_an_unknown_kri_answers_404_naming_it(api, as_role):
    as_role("managers")
    response = api.post("/api/v1/kris/424242/readings/", {"value": 1}, format="json")
    assert response.status_code == 404
    assert "424242" in response.json()["detail"]


@pytest.mark.django_db
def test_mean_and_max_over_the_window(api, as_role, kri):
    as_role("managers")
    kri.evaluation = "mean"
    kri.window_minutes = 10
    kri.save()
    with time_machine.travel(T0, tick=False):
        body = push(
            api,
            kri,
            [
                {"value": 100, "at": "2026-03-02T08:40:00Z"},  # outside the window
                {"value": 70, "at": "2026-03-02T08:55:00Z"},
                {"value": 90, "at": "2026-03-02T08:59:00Z"},
            ],
        )
    assert body["value"] == 80
    assert body["state"] == "yellow"
    kri.evaluation = "max"
    kri.save()
    with time_machine.travel(T0, tick=False):
        body = push(api, kri, {"value": 60, "at": "2026-03-02T09:00:00Z"})
    assert body["value"] == 90
    assert body["state"] == "red"


@pytest.mark.django_db
def test_kri_thresholds_are_checked(api, as_role):
    as_role("managers")
    response = api.post("/api/v1/kris/", {"name": "x", "yellow": 90, "red": 80}, format="json")
    assert response.status_code == 400
    assert "red" in response.json()["fields"]
    response = api.post("/api/v1/kris/", {"name": "y", "source": "computed"}, format="json")
    assert response.status_code == 400
    assert "measure" in response.json()["fields"]
    response = api.post("/api/v1/kris/", {"name": "z", "state": "red"}, format="json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_red_message_names_the_value_and_the_thresholds(api, as_role, kri, people):
    owner, _manager = people
    as_role("managers")
    push(api, kri, {"value": 93.5})
    note = Notification.objects.get(recipient=owner, reason="kri.red")
    assert "93.5 %" in note.title
    assert "red at 90" in note.body
    assert "escalates" in note.body


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
readings = st.fixed_dictionaries(
    {},
    optional={
        "value": json_values | st.floats(-1e6, 1e6),
        "at": json_values
        | st.sampled_from(["2026-03-02T08:00:00Z", "2026-03-02T08:00:00", "2099-01-01T00:00:00Z"]),
        "unit": st.text(max_size=3),
    },
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(
    body=json_values
    | readings
    | st.lists(readings, max_size=5)
    | st.fixed_dictionaries({"readings": st.lists(readings, max_size=5)})
)
def test_any_body_answers_201_or_400_and_a_400_stores_nothing(body):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(UserFactory(role="managers"))
    kri = KRIFactory()
    with time_machine.travel(T0, tick=False):
        # As a sender writes it: Python's json writes NaN and Infinity, which the API must refuse with a 400.
        raw = json.dumps(body)
        response = api.post(f"/api/v1/kris/{kri.pk}/readings/", raw, content_type="application/json")
    assert response.status_code in (201, 400), response.content
    stored = KRIReading.objects.filter(kri=kri).count()
    if response.status_code == 400:
        assert stored == 0
        assert response.json()["detail"]
    else:
        assert stored == response.json()["accepted"]


@pytest.mark.django_db
def test_readings_count_against_the_integrations_rate_not_the_anonymous_one(api, kri, monkeypatch):
    from django.core.cache import cache

    from risks.api.auth import ReadingsThrottle

    monkeypatch.setattr(ReadingsThrottle, "rate", "2/minute", raising=False)
    integration = IntegrationFactory()
    cache.delete(f"throttle_integrations_kri-readings:integration:{integration.pk}")
    for _ in range(2):
        push(api, kri, {"value": 1}, HTTP_X_VIGIL_INTEGRATION_KEY=integration.key)
    response = api.post(
        f"/api/v1/kris/{kri.pk}/readings/",
        {"value": 1},
        format="json",
        HTTP_X_VIGIL_INTEGRATION_KEY=integration.key,
    )
    assert response.status_code == 429
    assert response.json()["code"]
    other = IntegrationFactory()
    cache.delete(f"throttle_integrations_kri-readings:integration:{other.pk}")
    push(api, kri, {"value": 1}, HTTP_X_VIGIL_INTEGRATION_KEY=other.key)


@pytest.mark.django_db
@settings(max_examples=15, deadline=None)
@given(values=st.lists(st.floats(88.5, 90.49), min_size=2, max_size=15))
def test_readings_hovering_at_red_notify_once_end_to_end(values):
    """Through the API and the engine: a value hovering around 90 % (band narrower than the 2-point
    hysteresis) gives one state change at most, hence one red notice at most."""
    from rest_framework.test import APIClient

    owner = UserFactory()
    risk = risk_create(by=None, title="Capacity", area=AreaFactory(), category="system_failure", owner=owner)
    kri = KRIFactory(yellow=80, red=90, hysteresis=2)
    kri.risks.add(risk)
    api = APIClient()
    api.force_authenticate(UserFactory(role="managers"))
    for value in values:
        assert (
            api.post(f"/api/v1/kris/{kri.pk}/readings/", {"value": value}, format="json").status_code == 201
        )
    changes = list(kri.state_changes.order_by("at", "id").values_list("to_state", flat=True))
    assert changes in ([], ["yellow"], ["red"], ["yellow", "red"])  # only up, never back
    assert Notification.objects.filter(recipient=owner, reason="kri.red").count() <= 1
