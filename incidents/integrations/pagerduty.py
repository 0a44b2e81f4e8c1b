"""PagerDuty Events API v2 (`POST /v2/enqueue`) to an AlertBatch, with PagerDuty's semantics.

A trigger without `dedup_key` gets a generated one (answered back, as PagerDuty does); acknowledge and
resolve need one. Alertmanager's PagerDuty receiver sends an empty `severity` when a group mixes severities,
so "" is accepted and mapped as the integration's default severity."""

import uuid
from typing import Any

from django.utils.translation import gettext as _

from ..models import PayloadFormat
from .payloads import Action, AlertBatch, AlertEvent, InvalidPayload, optional_string, timestamp_parse

ACTIONS = {"trigger": Action.FIRING, "acknowledge": Action.ACKNOWLEDGED, "resolve": Action.RESOLVED}
SEVERITIES = ("critical", "error", "warning", "info")
MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024


def routing_key_of(body: Any) -> str:
    """The routing key, or raises InvalidPayload: the integration is found before the rest is checked."""
    if not isinstance(body, dict):
        raise InvalidPayload([_("Event object format is unrecognized.")])
    key = body.get("routing_key")
    if not isinstance(key, str) or not key:
        raise InvalidPayload([_("'routing_key' is missing or blank.")])
    return key


def _links(value: Any, name: str, required: str, errors: list[str]) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and isinstance(item.get(required), str) for item in value
    ):
        errors.append(
            _("'%(name)s' must be a list of objects with a '%(field)s' string.")
            % {"name": name, "field": required}
        )
        return []
    return value


def pagerduty_parse(body: dict[str, Any]) -> AlertBatch:
    """Raises InvalidPayload listing every problem, in PagerDuty's words where it has them."""
    errors: list[str] = []
    action = body.get("event_action")
    if not isinstance(action, str) or action not in ACTIONS:
        errors.append(_("'event_action' must be one of 'trigger', 'acknowledge' or 'resolve'."))
        action = ""
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append(_("'dedup_key' must be a string."))
        dedup_key = None
    elif dedup_key and len(dedup_key) > MAX_DEDUP_KEY:
        errors.append(_("'dedup_key' must be at most %(max)d characters.") % {"max": MAX_DEDUP_KEY})
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.append(_("'dedup_key' is required for %(action)s events.") % {"action": action})
    payload = body.get("payload")
    labels: dict[str, str] = {}
    details: dict[str, Any] = {}
    summary = severity = service = ""
    timestamp = None
    if payload is None and action == "trigger":
        errors.append(_("'payload' is missing."))
    elif payload is not None and not isinstance(payload, dict):
        errors.append(_("'payload' must be an object."))
    elif isinstance(payload, dict):
        summary = optional_string(payload, "summary", "'payload.summary'", errors, max_length=10_000)
        summary = summary[:MAX_SUMMARY]
        source = optional_string(payload, "source", "'payload.source'", errors, max_length=1024)
        if action == "trigger" and not summary.strip():
            errors.append(_("'payload.summary' is missing or blank."))
        if action == "trigger" and not source.strip():
            errors.append(_("'payload.source' is missing or blank."))
        severity = payload.get("severity", "")
        if severity is not None and (not isinstance(severity, str) or severity not in (*SEVERITIES, "")):
            errors.append(_("'payload.severity' must be one of critical, error, warning or info."))
            severity = ""
        severity = severity or ""
        timestamp = timestamp_parse(payload.get("timestamp"), "'payload.timestamp'", errors)
        for name in ("component", "group", "class"):
            value = optional_string(payload, name, f"'payload.{name}'", errors, max_length=1024)
            if value:
                labels[name] = value
        if source:
            labels["source"] = source
        if severity:
            labels["severity"] = severity
        custom = payload.get("custom_details")
        if custom is not None:
            details["custom_details"] = custom
            if isinstance(custom, dict) and isinstance(custom.get("service"), str):
                service = custom["service"]
        service = service or labels.get("component", "") or labels.get("group", "")
    for name, required in (("links", "href"), ("images", "src")):
        items = _links(body.get(name), name, required, errors)
        if items:
            details[name] = items
    annotations = {}
    for name in ("client", "client_url"):
        value = optional_string(body, name, f"'{name}'", errors, max_length=2048)
        if value:
            annotations[name] = value
    if errors:
        raise InvalidPayload(errors, detail=_("Event object is invalid"))
    # PagerDuty's own generated keys are 32 hex characters too.
    key = dedup_key or uuid.uuid4().hex
    event = AlertEvent(
        action=ACTIONS[action],
        fingerprint=key,
        summary=summary,
        severity=severity,
        labels=labels,
        annotations=annotations,
        details=details,
        starts_at=timestamp,
    )
    return AlertBatch(
        format=PayloadFormat.PAGERDUTY_EVENTS,
        dedup_key=key,
        source_key=key,
        events=[event],
        title=summary,
        description="\n".join(f"{k}: {v}" for k, v in sorted(labels.items())),
        severity=severity,
        service_name=service[:100],
    )
