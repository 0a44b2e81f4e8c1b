"""Request bodies to clean Python values, and the one shape every format is parsed into.

PostgreSQL stores neither U+0000 in text or jsonb nor unpaired surrogates (psycopg cannot even encode them),
and JSON may carry both as `\\u0000` / `\\ud800` escapes: every string is cleaned here, before anything is
stored, so hostile text is a 400 or a stored alert, never a 500."""

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from config.errors import InvalidInput

MAX_DEPTH = 32
REPLACEMENT = "\ufffd"


class InvalidPayload(InvalidInput):
    """The body is not JSON, or its fields are not what the format says. `errors` lists every problem."""

    code = "invalid_payload"

    def __init__(self, errors: list[str], detail: str | None = None) -> None:
        super().__init__(detail or errors[0], errors=errors)
        self.errors = errors


class InvalidJSON(InvalidPayload):
    """The body is not a UTF-8 JSON document at all."""

    code = "invalid_json"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    return number


def body_decode(raw: bytes) -> tuple[Any, str]:
    """The parsed JSON and the body as text safe to store. Raises InvalidPayload on anything else.

    UTF-8 only; NaN, Infinity and numbers too large for a double are refused, as jsonb refuses them."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJSON([_("The body is not UTF-8 text.")]) from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as error:
        raise InvalidJSON([_("The body is not valid JSON: %(error)s") % {"error": error}]) from None
    return clean(value), storable_text(text)


def storable_text(text: str) -> str:
    """A request body as text PostgreSQL can store, which holds no NUL: each written `\\u0000`, the escape a
    JSON body can only have carried it as (a heartbeat's body may be anything: it is kept to read, not parsed)."""
    return text.replace("\x00", "\\u0000")


def clean_text(value: str) -> str:
    """The string without NUL and unpaired surrogates, which are replaced with U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", REPLACEMENT)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = "".join(REPLACEMENT if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    return value


def clean(value: Any, depth: int = 0) -> Any:
    """A JSON value with every string (keys included) cleaned; refuses nesting deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise InvalidPayload([_("The body is nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}])
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v, depth + 1) for v in value]
    return value


def timestamp_parse(value: Any, name: str, errors: list[str]) -> datetime | None:
    """An aware datetime from an RFC 3339 string; None for Go's zero time (`0001-01-01T00:00:00Z`, which
    Alertmanager sends for "no end yet") and for a missing value."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors.append(_("%(name)s must be an RFC 3339 timestamp string.") % {"name": name})
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        errors.append(
            _("%(name)s is not an RFC 3339 timestamp: %(value)s") % {"name": name, "value": value[:50]}
        )
        return None
    if parsed.year <= 1:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def string_map(value: Any, name: str, errors: list[str], *, required: bool = False) -> dict[str, str]:
    """A {str: str} object (labels, annotations); anything else is an error."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        errors.append(_("%(name)s must be an object of strings.") % {"name": name})
        return {}
    return value


def optional_string(
    data: dict[str, Any], key: str, name: str, errors: list[str], *, max_length: int = 1024
) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(_("%(name)s must be a string.") % {"name": name})
        return ""
    if len(value) > max_length:
        errors.append(_("%(name)s is longer than %(max)d characters.") % {"name": name, "max": max_length})
        return ""
    return value


SEVERITY_ORDER = {"critical": 0, "error": 1, "high": 1, "warning": 2, "info": 3}


def most_severe(severities: list[str]) -> str:
    """The most severe of known severities, else the first one given, else ""."""
    known = [s for s in severities if s.lower() in SEVERITY_ORDER]
    if known:
        return min(known, key=lambda s: SEVERITY_ORDER[s.lower()])
    return next((s for s in severities if s), "")


class Action:
    FIRING = "firing"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"


@dataclass(slots=True)
class AlertEvent:
    """One alert of a batch, as any format reports it."""

    action: str
    fingerprint: str
    summary: str = ""
    severity: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(slots=True)
class AlertBatch:
    """What one request says about one dedup key: its alerts and what the incident should look like."""

    format: str
    dedup_key: str
    events: list[AlertEvent]
    title: str = ""
    description: str = ""
    severity: str = ""
    service_name: str = ""
    source_key: str = ""
    # Alertmanager's top-level "resolved": the whole group is over, whatever we tracked.
    all_resolved: bool = False

    @property
    def firing(self) -> list[AlertEvent]:
        return [event for event in self.events if event.action == Action.FIRING]


def labels_text(labels: dict[str, str]) -> str:
    """`name=value` words for incident search."""
    return " ".join(f"{name}={value}" for name, value in sorted(labels.items()))
