"""Prometheus Alertmanager's webhook body (version 4) to an AlertBatch.

What real Alertmanager 0.25 sends (tests/incidents/fixtures/alertmanager-0.25): the top-level `status` stays
`firing` until every alert of the group has resolved, alerts already reported resolved are left out of later
messages, firing alerts carry `endsAt: 0001-01-01T00:00:00Z`. So alerts are tracked by fingerprint, and the
dedup key is the SHA-256 of `groupKey`, which is also the `dedup_key` Alertmanager's own PagerDuty receiver
sends for the group."""

import hashlib
from typing import Any

from django.utils.translation import gettext as _

from ..models import PayloadFormat
from .payloads import (
    Action,
    AlertBatch,
    AlertEvent,
    InvalidPayload,
    most_severe,
    optional_string,
    string_map,
    timestamp_parse,
)

MAX_ALERTS = 1000
STATUSES = {"firing": Action.FIRING, "resolved": Action.RESOLVED}


def _fingerprint(labels: dict[str, str]) -> str:
    """For senders older than 0.19, which had no fingerprint: a stable digest of the labels."""
    text = "\n".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _alert(item: Any, index: int, errors: list[str]) -> AlertEvent | None:
    where = f"alerts[{index}]"
    if not isinstance(item, dict):
        errors.append(_("%(where)s must be an object.") % {"where": where})
        return None
    status = item.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        errors.append(_('%(where)s.status must be "firing" or "resolved".') % {"where": where})
        return None
    labels = string_map(item.get("labels"), f"{where}.labels", errors, required=True)
    annotations = string_map(item.get("annotations"), f"{where}.annotations", errors)
    fingerprint = optional_string(item, "fingerprint", f"{where}.fingerprint", errors, max_length=255)
    generator = optional_string(item, "generatorURL", f"{where}.generatorURL", errors, max_length=10_000)
    starts_at = timestamp_parse(item.get("startsAt"), f"{where}.startsAt", errors)
    ends_at = timestamp_parse(item.get("endsAt"), f"{where}.endsAt", errors)
    return AlertEvent(
        action=STATUSES[status],
        fingerprint=fingerprint or _fingerprint(labels),
        summary=annotations.get("summary") or annotations.get("description") or labels.get("alertname", ""),
        severity=labels.get("severity", ""),
        labels=labels,
        annotations=annotations,
        details={"generatorURL": generator} if generator else {},
        starts_at=starts_at,
        ends_at=ends_at,
    )


def _title(body: dict[str, Any], events: list[AlertEvent], group_labels: dict[str, str]) -> str:
    common = body.get("commonAnnotations") or {}
    if isinstance(common, dict) and isinstance(common.get("summary"), str) and common["summary"]:
        return common["summary"]
    if len(events) == 1 and events[0].summary:
        return events[0].summary
    alertname = group_labels.get("alertname") or next(
        (e.labels["alertname"] for e in events if "alertname" in e.labels), ""
    )
    rest = ", ".join(f"{k}={v}" for k, v in sorted(group_labels.items()) if k != "alertname")
    title = f"{alertname} ({rest})" if alertname and rest else alertname or rest
    return title or (events[0].summary if events else "") or str(body.get("groupKey", ""))


def _description(body: dict[str, Any], events: list[AlertEvent]) -> str:
    lines: list[str] = []
    common = body.get("commonAnnotations") or {}
    if isinstance(common, dict):
        lines.extend(f"{k}: {v}" for k, v in sorted(common.items()) if k != "summary" and isinstance(v, str))
    for event in events:
        where = event.labels.get("instance", "")
        lines.append(f"[{event.action}] {event.summary}" + (f" ({where})" if where else ""))
    external = body.get("externalURL")
    if isinstance(external, str) and external:
        lines.append(f"Alertmanager: {external}")
    return "\n".join(lines)


def alertmanager_parse(body: Any) -> AlertBatch:
    """Raises InvalidPayload listing every problem."""
    if not isinstance(body, dict):
        raise InvalidPayload([_("The body must be a JSON object (Alertmanager webhook, version 4).")])
    errors: list[str] = []
    version = body.get("version", "4")
    if version != "4":
        errors.append(_('version must be "4" (got %(version)r).') % {"version": str(version)[:20]})
    group_key = body.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        errors.append(_("groupKey must be a non-empty string."))
        group_key = ""
    status = body.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        errors.append(_('status must be "firing" or "resolved".'))
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        errors.append(_("alerts must be a list."))
        alerts = []
    elif len(alerts) > MAX_ALERTS:
        errors.append(_("alerts holds more than %(max)d alerts.") % {"max": MAX_ALERTS})
        alerts = []
    group_labels = string_map(body.get("groupLabels"), "groupLabels", errors)
    common_labels = string_map(body.get("commonLabels"), "commonLabels", errors)
    string_map(body.get("commonAnnotations"), "commonAnnotations", errors)
    events = [event for i, item in enumerate(alerts) if (event := _alert(item, i, errors)) is not None]
    if errors:
        raise InvalidPayload(errors)
    firing = [e for e in events if e.action == Action.FIRING] or events
    severity = common_labels.get("severity") or most_severe([e.severity for e in firing])
    service = (
        common_labels.get("service")
        or group_labels.get("service")
        or next((e.labels["service"] for e in firing if e.labels.get("service")), "")
    )
    return AlertBatch(
        format=PayloadFormat.ALERTMANAGER,
        dedup_key=hashlib.sha256(group_key.encode()).hexdigest(),
        source_key=group_key,
        events=events,
        title=_title(body, firing, group_labels),
        description=_description(body, events),
        severity=severity,
        service_name=service,
        all_resolved=status == "resolved",
    )
