"""Every bad input on the ingestion endpoints answers a JSON 4xx (never a 500), and hostile text is stored
safely: unknown and disabled keys, bodies over 512 KiB, broken JSON, wrong types, NUL bytes, surrogates,
signatures, and the hard cap with Retry-After."""

import json
import time

import pytest
from django.core.cache import cache

from incidents.integrations.limits import IngestRateThrottle, signature_expected
from incidents.models import Alert, AlertPayload, Incident, Integration

from .factories import IntegrationFactory
from .integration_support import PD_URL, am_url, capture, generic_url, post_raw

pytestmark = pytest.mark.django_db

LIMIT = 512 * 1024


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()


@pytest.fixture
def am():
    return IntegrationFactory(kind="alertmanager")


@pytest.fixture
def generic():
    return IntegrationFactory(kind="generic")


@pytest.mark.parametrize("key", ["0" * 32, "not-a-key", "A" * 32, "x" * 500])
def test_unknown_key_answers_404_json(api, key):
    for url in (am_url(key), generic_url(key), f"/api/v1/integrations/{key}/heartbeat/"):
        response = post_raw(api, url, capture(1)["body_raw"])
        assert response.status_code == 404
        assert response.json()["code"] in ("integration_not_found", "not_found")


def test_disabled_integration_answers_401(api):
    integration = IntegrationFactory(kind="alertmanager", enabled=False)
    response = post_raw(api, am_url(integration.key), capture(1)["body_raw"])
    assert response.status_code == 401
    assert response.json()["code"] == "integration_disabled"
    assert not Alert.objects.exists()


def test_key_of_another_kind_answers_400(api, generic):
    response = post_raw(api, am_url(generic.key), capture(1)["body_raw"])
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_endpoint"


def test_uppercase_key_is_the_same_key(api, am):
    assert post_raw(api, am_url(am.key.upper()), capture(1)["body_raw"]).status_code == 200


@pytest.mark.parametrize("url_of", [am_url, generic_url, lambda key: PD_URL])
def test_body_over_512_kib_answers_413(api, am, url_of):
    response = post_raw(api, url_of(am.key), b"{" + b" " * LIMIT + b"}")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["limit_bytes"] == LIMIT


def test_body_of_exactly_512_kib_is_read(api, generic):
    body = json.dumps({"title": "big", "details": {"pad": ""}})
    body = body.replace('"pad": ""', '"pad": "' + "x" * (LIMIT - len(body)) + '"')
    assert len(body) == LIMIT
    assert post_raw(api, generic_url(generic.key), body).status_code == 202


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"not json",
        b"\xff\xfe{}",
        b'{"title": "x"}\x00',
        b"[1, NaN]",
        b'{"title": 1e999}',
        b"[" * 5000 + b"]" * 5000,
        ('{"title": "x", "details": ' + "[" * 40 + "]" * 40 + "}").encode(),
    ],
)
def test_broken_json_answers_400(api, generic, raw):
    response = post_raw(api, generic_url(generic.key), raw)
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid_json", "invalid_payload")
    assert not AlertPayload.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"title": 5},
        {"title": "x", "status": "maybe"},
        {"title": "x", "labels": {"a": 1}},
        {"title": "x", "details": "not an object"},
        {"title": "x", "dedup_key": "k" * 256},
        {"title": "x", "unknown": True},
        {"status": "resolved"},
        {"description": "no title"},
    ],
)
def test_generic_wrong_fields_answer_400(api, generic, body):
    response = post_raw(api, generic_url(generic.key), json.dumps(body))
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid_payload"
    assert answer["errors"]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.update(version="3"),
        lambda b: b.pop("groupKey"),
        lambda b: b.update(status="unknown"),
        lambda b: b.update(alerts={"not": "a list"}),
        lambda b: b["alerts"][0].update(labels=["a"]),
        lambda b: b["alerts"][0]["labels"].update(severity=1),
        lambda b: b["alerts"][0].update(startsAt="yesterday"),
        lambda b: b["alerts"][0].update(status=None),
        lambda b: b["alerts"].append("text"),
        lambda b: b["alerts"][0].update(fingerprint="f" * 300),
    ],
)
def test_alertmanager_wrong_fields_answer_400(api, am, mutate):
    body = capture(1)["body"]
    mutate(body)
    response = post_raw(api, am_url(am.key), json.dumps(body))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payload"
    assert not Alert.objects.exists()


def test_nul_bytes_and_lone_surrogates_are_stored_safely(api, am):
    body = capture(1)["body"]
    body["alerts"][0]["labels"]["instance"] = "evil\u0000host"
    body["alerts"][0]["annotations"]["summary"] = "bad \ud800 half"
    body["alerts"][0]["annotations"]["k\u0000ey"] = "v"
    raw = json.dumps(body)  # ASCII with \u0000 and \ud800 escapes, as a hostile sender would write them
    assert "\\u0000" in raw
    response = post_raw(api, am_url(am.key), raw)
    assert response.status_code == 200, response.content
    alert = Alert.objects.get(fingerprint="f531535f07fccfd9")
    assert alert.labels["instance"] == "evil\ufffdhost"
    assert alert.summary == "bad \ufffd half"
    assert "k\ufffdey" in alert.annotations
    assert AlertPayload.objects.get().raw_body == raw


def test_nul_in_a_generic_title_does_not_500(api, generic):
    raw = (
        '{"title": "\\u0000\\u0000", "description": "<script>alert(1)</script>\\u0000", "service": "\\u0000"}'
    )
    response = post_raw(api, generic_url(generic.key), raw)
    assert response.status_code == 202
    assert Incident.objects.get().description.endswith("\ufffd")


def test_utf16_json_is_refused(api, generic):
    response = post_raw(api, generic_url(generic.key), json.dumps({"title": "x"}).encode("utf-16"))
    assert response.status_code == 400


def test_hard_cap_answers_429_with_retry_after_and_names_the_limit(api):
    integration = IntegrationFactory(kind="generic", name="crm", hard_cap_per_minute=3)
    statuses = [
        post_raw(api, generic_url(integration.key), json.dumps({"title": f"t{i}"})).status_code
        for i in range(3)
    ]
    assert statuses == [202, 202, 202]
    refused = post_raw(api, generic_url(integration.key), json.dumps({"title": "t4"}))
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert body["integration"] == "crm"
    assert body["limit_per_minute"] == 3
    assert Alert.objects.count() == 3


def test_pagerduty_hard_cap_answers_429_in_pagerduty_shape(api):
    integration = IntegrationFactory(kind="pagerduty-events", name="pd", hard_cap_per_minute=1)
    body = {
        "routing_key": integration.key,
        "event_action": "trigger",
        "payload": {"summary": "s", "source": "x", "severity": "info"},
    }
    assert post_raw(api, PD_URL, json.dumps(body)).status_code == 202
    refused = post_raw(api, PD_URL, json.dumps(body))
    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert refused.json()["integration"] == "pd"
    assert refused.json()["limit_per_minute"] == 1
    assert refused.json()["status"] == "rate_limited"


def test_alertmanager_is_never_answered_429(api):
    integration = IntegrationFactory(kind="alertmanager", hard_cap_per_minute=1)
    for _ in range(3):
        assert post_raw(api, am_url(integration.key), capture(1)["body_raw"]).status_code == 200


def _signed(secret: str, raw: str, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(timestamp or int(time.time()))
    return {
        "HTTP_X_VIGIL_TIMESTAMP": stamp,
        "HTTP_X_VIGIL_SIGNATURE": signature_expected(secret=secret, timestamp=stamp, body=raw.encode()),
    }


def test_hmac_signature_required_when_a_secret_is_set(api):
    integration = IntegrationFactory(kind="generic", hmac_secret="s3cret")
    raw = json.dumps({"title": "signed"})
    assert post_raw(api, generic_url(integration.key), raw).status_code == 401
    wrong = _signed("other", raw)
    response = post_raw(api, generic_url(integration.key), raw, **wrong)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    stale = _signed("s3cret", raw, timestamp=int(time.time()) - 3600)
    assert post_raw(api, generic_url(integration.key), raw, **stale).status_code == 401
    tampered = _signed("s3cret", raw)
    assert post_raw(api, generic_url(integration.key), raw + " ", **tampered).status_code == 401
    good = _signed("s3cret", raw)
    assert post_raw(api, generic_url(integration.key), raw, **good).status_code == 202
    # The same signed request again, within its five minutes: a replay, refused.
    replay = post_raw(api, generic_url(integration.key), raw, **good)
    assert replay.status_code == 401
    assert replay.json()["code"] == "invalid_signature"


def test_a_signed_request_that_failed_may_be_sent_again_as_it_was(api):
    integration = IntegrationFactory(kind="generic", hmac_secret="s3cret")
    raw = json.dumps({"title": ""})  # signed, but not a valid alert: 400
    signed = _signed("s3cret", raw)
    assert post_raw(api, generic_url(integration.key), raw, **signed).status_code == 400
    assert post_raw(api, generic_url(integration.key), raw, **signed).status_code == 400  # not 401: no replay


def test_get_answers_405_json(api, am):
    response = api.get(am_url(am.key))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.fixture
def two_per_minute(monkeypatch):
    # The rate of the `integrations` scope, as THROTTLE_INTEGRATIONS would set it.
    monkeypatch.setattr(IngestRateThrottle, "THROTTLE_RATES", {"integrations": "2/minute"})


UNKNOWN_KEY = "0" * 32


def test_per_address_throttle_answers_alertmanager_503_never_429(api, am, two_per_minute):
    # Refused keys count towards the address's limit; the third refusal within the minute is throttled.
    for _ in range(2):
        assert post_raw(api, am_url(UNKNOWN_KEY), capture(1)["body_raw"]).status_code == 404
    refused = post_raw(api, am_url(UNKNOWN_KEY), capture(1)["body_raw"])
    assert refused.status_code == 503
    assert refused.json()["code"] == "unavailable"
    assert int(refused["Retry-After"]) >= 1


def test_per_address_throttle_answers_generic_429(api, generic, two_per_minute):
    for _ in range(2):
        assert post_raw(api, generic_url(UNKNOWN_KEY), json.dumps({"title": "x"})).status_code == 404
    refused = post_raw(api, generic_url(UNKNOWN_KEY), json.dumps({"title": "x"}))
    assert refused.status_code == 429
    assert refused["Retry-After"]


def test_per_address_throttle_counts_bad_signatures(api, two_per_minute):
    integration = IntegrationFactory(kind="generic", hmac_secret="s3cret")
    statuses = [
        post_raw(api, generic_url(integration.key), json.dumps({"title": "x"})).status_code for _ in range(3)
    ]
    assert statuses == [401, 401, 429]


def test_per_address_throttle_never_counts_accepted_alerts(api, generic, am, two_per_minute):
    for i in range(5):
        assert (
            post_raw(
                api, generic_url(generic.key), json.dumps({"title": "x", "dedup_key": f"k{i}"})
            ).status_code
            == 202
        )
        assert post_raw(api, am_url(am.key), capture(1)["body_raw"]).status_code == 200


@pytest.mark.parametrize("remote_addr", ["", "unix:/run/gunicorn.sock", "not-an-ip"])
def test_odd_remote_addresses_are_stored_as_none(api, generic, remote_addr):
    response = post_raw(api, generic_url(generic.key), json.dumps({"title": "x"}), REMOTE_ADDR=remote_addr)
    assert response.status_code == 202
    assert AlertPayload.objects.get().remote_addr is None


def test_a_change_from_another_process_takes_effect_within_the_cache_time(api, monkeypatch):
    from incidents.integrations import selectors

    now = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: now[0])
    integration = IntegrationFactory(kind="generic")
    body = json.dumps({"title": "x"})
    assert post_raw(api, generic_url(integration.key), body).status_code == 202
    # Another process disables it: no signal reaches this one (a queryset update sends none either).
    Integration.objects.filter(pk=integration.pk).update(enabled=False)
    now[0] += 0.5
    assert post_raw(api, generic_url(integration.key), body).status_code == 202
    now[0] += 0.6  # past VIGIL_INTEGRATION_CACHE_SECONDS (1 s) since it was read
    assert post_raw(api, generic_url(integration.key), body).status_code == 401


def test_a_change_in_this_process_takes_effect_at_once(api):
    from incidents.integrations.services import integration_update

    integration = IntegrationFactory(kind="generic")
    body = json.dumps({"title": "x"})
    assert post_raw(api, generic_url(integration.key), body).status_code == 202
    integration_update(integration_id=integration.pk, by=None, changes={"enabled": False})
    assert post_raw(api, generic_url(integration.key), body).status_code == 401
