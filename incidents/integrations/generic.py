"""Vigil's own JSON body for CRMs and scripts (documented in docs/integrations.md):

    {"title": "...", "description": "...", "severity": "critical", "dedup_key": "...", "service": "checkout",
     "status": "firing" | "resolved", "labels": {"k": "v"}, "details": {...}}

Only `title` is required (for `firing`); `resolved` needs the `dedup_key` it resolves. Unknown fields are
refused, so a typo is a 400 rather than a silently ignored field."""

import uuid
from typing import Any

from django.utils.translation import gettext as _

from ..models import PayloadFormat
from .payloads import Action, AlertBatch, AlertEvent, InvalidPayload, optional_string, string_map

FIELDS = {"title", "description", "severity", "dedup_key", "service", "status", "labels", "details"}
STATUSES = {"firing": Action.FIRING, "resolved": Action.RESOLVED}


def generic_parse(body: Any) -> AlertBatch:
    """Raises InvalidPayload listing every problem."""
    if not isinstance(body, dict):
        raise InvalidPayload([_("The body must be a JSON object.")])
    errors = [_("Unknown field: %(name)s.") % {"name": name[:100]} for name in sorted(set(body) - FIELDS)]
    status = body.get("status", "firing")
    if not isinstance(status, str) or status not in STATUSES:
        errors.append(_('status must be "firing" or "resolved".'))
    title = optional_string(body, "title", "title", errors, max_length=1024)
    description = optional_string(body, "description", "description", errors, max_length=100_000)
    severity = optional_string(body, "severity", "severity", errors, max_length=32)
    dedup_key = optional_string(body, "dedup_key", "dedup_key", errors, max_length=255)
    service = optional_string(body, "service", "service", errors, max_length=100)
    labels = string_map(body.get("labels"), "labels", errors)
    details = body.get("details")
    if details is not None and not isinstance(details, dict):
        errors.append(_("details must be an object."))
    if status == "firing" and not title.strip():
        errors.append(_("title is required for a firing alert."))
    if status == "resolved" and not dedup_key:
        errors.append(_("dedup_key is required to resolve an alert."))
    if errors:
        raise InvalidPayload(errors)
    key = dedup_key or uuid.uuid4().hex
    if severity and "severity" not in labels:
        labels = {**labels, "severity": severity}
    if service and "service" not in labels:
        labels = {**labels, "service": service}
    event = AlertEvent(
        action=STATUSES[status],
        fingerprint=key,
        summary=title,
        severity=severity,
        labels=labels,
        annotations={"description": description} if description else {},
        details=details or {},
    )
    return AlertBatch(
        format=PayloadFormat.GENERIC,
        dedup_key=key,
        source_key=key,
        events=[event],
        title=title,
        description=description,
        severity=severity,
        service_name=service,
    )
