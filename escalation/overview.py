"""What the engine holds about one subject, for its page in the admin and its detail in the API: the SLA clocks
with the time left or overdue, the escalations with who was paged when and how and who acknowledged, and the
notifications sent about it to each audience. Reads only; a handful of queries per subject (not for lists:
`selectors.sla_clocks_by_subject` serves those)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .channels import private_address
from .models import (
    SLA_CLOCK_OPEN,
    Audience,
    Channel,
    Escalation,
    Notification,
    SlaClock,
    SlaClockState,
)
from .sla import sla_clock_elapsed
from .subjects import subject_filter

PAGE_REASONS = ("page", "sla.warning", "sla.breach")
# Notifications that belong to no stakeholder group, by who they went to.
RESPONDERS = "responders"
WEBHOOKS = "webhooks"
AUDIENCE_LABELS: dict[str, Any] = {
    **dict(Audience.choices),
    RESPONDERS: _("responders (paged, reminded)"),
    WEBHOOKS: _("outbound webhooks"),
}


def clock_status(clock: SlaClock, *, now: datetime, subject_open: bool = True) -> dict[str, Any]:
    """One clock as people read it: its target and, while it counts, the business time left (negative once
    overdue); a breached clock of a subject still open is overdue by the time since its breach."""
    remaining: int | None = None
    overdue: int | None = None
    if clock.state in SLA_CLOCK_OPEN:
        left = clock.target - sla_clock_elapsed(clock, now)
        remaining = int(left.total_seconds())
        if left < timedelta(0):
            overdue = -remaining
    elif clock.state == SlaClockState.BREACHED and subject_open and clock.breached_at is not None:
        overdue = int(max(now - clock.breached_at, timedelta(0)).total_seconds())
    return {
        "kind": clock.kind,
        "kind_label": str(clock.get_kind_display()),
        "state": clock.state,
        "state_label": str(clock.get_state_display()),
        "policy": clock.snapshot.get("name", ""),
        "target_seconds": int(clock.target.total_seconds()),
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "remaining_seconds": remaining,
        "overdue_seconds": overdue,
        "warned_at": clock.warned_at,
        "met_at": clock.met_at,
        "breached_at": clock.breached_at,
    }


def subject_clocks(
    subject: models.Model, *, now: datetime, subject_open: bool = True
) -> list[dict[str, Any]]:
    clocks = SlaClock.objects.filter(**subject_filter(subject)).order_by("kind")
    return [clock_status(clock, now=now, subject_open=subject_open) for clock in clocks]


def _page_row(row: Notification) -> dict[str, Any]:
    return {
        "user": row.recipient.get_username() if row.recipient is not None else None,
        "channel": row.channel,
        "channel_label": str(row.get_channel_display()),
        "level": (row.payload.get("data") or {}).get("level"),
        "reason": row.reason,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
        "state": row.state,
        "state_label": str(row.get_state_display()),
    }


def subject_escalations(subject: models.Model) -> list[dict[str, Any]]:
    """Each escalation of the subject, newest first, with its pages (who, when, how, delivered or not)."""
    escalations = list(
        Escalation.objects.filter(**subject_filter(subject))
        .select_related("acknowledged_by")
        .order_by("-started_at", "-pk")
    )
    pages: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        Notification.objects.filter(**subject_filter(subject), reason="page")
        .select_related("recipient")
        .order_by("created_at", "pk")
    )
    for row in rows:
        # The idempotency key of a page starts with "page:<escalation id>:" (escalations._page_level).
        parts = row.idempotency_key.split(":")
        if len(parts) > 1 and parts[1].isdigit():
            pages[int(parts[1])].append(_page_row(row))
    return [
        {
            "policy": escalation.snapshot.get("name", ""),
            "state": escalation.state,
            "state_label": str(escalation.get_state_display()),
            "level": escalation.level,
            "levels": len(escalation.snapshot.get("levels", [])),
            "cycle": escalation.cycle,
            "started_at": escalation.started_at,
            "last_paged_at": escalation.last_paged_at,
            "acknowledged_at": escalation.acknowledged_at,
            "acknowledged_by": (
                escalation.acknowledged_by.get_username() if escalation.acknowledged_by is not None else None
            ),
            "stopped_at": escalation.stopped_at,
            "pages": pages.get(escalation.pk, []),
        }
        for escalation in escalations
    ]


def audience_of(row: Notification) -> str:
    """The audience a notification was for: its stakeholder group's, else responders or webhooks."""
    audience = (row.payload.get("data") or {}).get("audience")
    if audience:
        return str(audience)
    if row.channel == Channel.WEBHOOK and row.subscription_id:
        return WEBHOOKS
    return RESPONDERS


def subject_notifications(subject: models.Model, *, limit: int = 500) -> list[dict[str, Any]]:
    """The notifications sent (or pending) about the subject besides its pages, grouped per audience, each
    group newest first. Apprise addresses are shown redacted."""
    rows = (
        Notification.objects.filter(**subject_filter(subject))
        .filter(~Q(reason="page"))
        .select_related("recipient")
        .order_by("-created_at", "-pk")[:limit]
    )
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[audience_of(row)].append(
            {
                "reason": row.reason,
                "to": (
                    row.recipient.get_username()
                    if row.recipient is not None
                    else private_address(row.channel, row.address)
                ),
                "channel": row.channel,
                "channel_label": str(row.get_channel_display()),
                "state": row.state,
                "state_label": str(row.get_state_display()),
                "created_at": row.created_at,
                "sent_at": row.sent_at,
                "deadline_at": row.deadline_at,
            }
        )
    return [
        {"audience": name, "audience_label": str(AUDIENCE_LABELS.get(name, name)), "notifications": items}
        for name, items in sorted(groups.items())
    ]
