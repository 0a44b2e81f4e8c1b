"""Shared helpers of the integration tests: the real captured payloads, and posting them."""

import json
from pathlib import Path
from typing import Any

from rest_framework.test import APIClient

# The copy in the project is preferred; the sibling folder it came from is the fallback.
LOCAL = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
SERIES = "alertmanager-0.25"


def capture(order: int) -> dict[str, Any]:
    """Capture number `order` (01..16) of the Alertmanager 0.25 series: headers, `body`, `body_raw`."""
    for root in (LOCAL, SHARED):
        found = sorted((root / SERIES).glob(f"{order:02d}_*.json"))
        if found:
            return json.loads(found[0].read_text())
    raise FileNotFoundError(f"capture {order:02d} of {SERIES}")


def webhook_captures() -> list[dict[str, Any]]:
    return [c for c in map(capture, range(1, 17)) if c["capture"]["receiver"] == "webhook"]


def pagerduty_captures() -> list[dict[str, Any]]:
    return [c for c in map(capture, range(1, 17)) if c["capture"]["receiver"] == "pagerduty"]


def post_raw(api: APIClient, url: str, raw: bytes | str, **headers: str) -> Any:
    """POSTs bytes exactly as given (the captured `body_raw`, or hostile bytes)."""
    data = raw.encode() if isinstance(raw, str) else raw
    return api.generic("POST", url, data, content_type="application/json", **headers)


def am_url(key: str) -> str:
    return f"/api/v1/integrations/{key}/alertmanager/"


def generic_url(key: str) -> str:
    return f"/api/v1/integrations/{key}/generic/"


PD_URL = "/api/v1/events/v2/enqueue"


def pd_body(capture_: dict[str, Any], key: str) -> str:
    """The captured PagerDuty body with our integration's key as the routing key."""
    body = dict(capture_["body"])
    body["routing_key"] = key
    return json.dumps(body)


def fire_generic(api: APIClient, key: str, dedup_key: str, **fields: Any) -> dict[str, Any]:
    """Fires an alert at the generic endpoint and answers its 202 body."""
    body = {"title": f"Alert {dedup_key}", "dedup_key": dedup_key, **fields}
    response = post_raw(api, generic_url(key), json.dumps(body))
    assert response.status_code == 202, response.content
    return response.json()
