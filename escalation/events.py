"""Events: what happened to a subject, told to webhook subscribers and to the communication plan's audiences.

Events are declared with `escalation.registry.event_register` by the app that emits them (the engine declares its
own below: SLA warnings and breaches, escalation levels). `event_emit` runs in the caller's transaction: the
outbox rows commit (or roll back) with the change itself."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Channel, CommunicationRule, ReportingRule, StakeholderGroup, WebhookSubscription
from .notify import notify_group, payload_for
from .outbox import notification_write
from .registry import event_listeners, event_register, event_type
from .subjects import SubjectInfo, subject_describe, subject_key

# The engine's own events.
SLA_WARNING = "sla.warning"
SLA_BREACHED = "sla.breached"
ESCALATION_LEVEL = "escalation.level"


def engine_events_register() -> None:
    """Called from `EscalationConfig.ready()`."""
    event_register(name=SLA_WARNING, label=_("SLA warning"), app="escalation")
    event_register(name=SLA_BREACHED, label=_("SLA breached"), app="escalation")
    event_register(name=ESCALATION_LEVEL, label=_("escalated to a level"), app="escalation")


def event_emit(
    *,
    subject: models.Model,
    event: str,
    at: datetime | None = None,
    by: User | None = None,
    data: dict[str, Any] | None = None,
    info: SubjectInfo | None = None,
) -> str:
    """Write one signed webhook delivery per subscription that wants `event`, and the communication plan's
    notifications for it. Returns the event id (part of every idempotency key it produced)."""
    event_type(event)  # an event nobody declared is a bug, found here rather than by a receiver
    at = at or timezone.now()
    info = info or subject_describe(subject)
    event_id = uuid.uuid4().hex
    data = {**(data or {}), "event_id": event_id}
    if by is not None:
        data["actor"] = by.get_username()
    payload = payload_for(subject=subject, info=info, reason=event, at=at, data=data)
    for subscription in WebhookSubscription.objects.filter(is_active=True):
        if not subscription.wants(event):
            continue
        notification_write(
            subject=subject,
            reason=event,
            channel=Channel.WEBHOOK,
            address=subscription.url,
            idempotency_key=f"event:{event_id}:sub:{subscription.pk}",
            title=f"{event} {info.reference}",
            payload=payload,
            subscription_id=subscription.pk,
        )
    # One message per event, recipient and contact method (the key below has no rule or group in it): a
    # person in two groups, or under a general and a priority rule, hears once, by the most specific rule.
    rules = (
        CommunicationRule.objects.filter(is_active=True, event=event)
        .filter(Q(priority__isnull=True) | Q(priority=info.priority))
        .order_by(F("priority").asc(nulls_last=True), "pk")
    )
    for rule in rules:
        for group in StakeholderGroup.objects.filter(audience=rule.audience).prefetch_related(
            "users", "teams"
        ):
            notify_group(
                subject=subject,
                info=info,
                group=group,
                channel=rule.channel,
                reason=f"comms:{event}",
                key=f"comms:{event_id}",
                template=rule.template,
                context={"event": event, "data": data, "at": at},
                at=at,
            )
    for listener in event_listeners(event):
        listener(subject=subject, event=event, at=at, by=by, data=data, info=info)
    return event_id


def reporting_rules_apply(*, subject: models.Model, at: datetime, info: SubjectInfo | None = None) -> int:
    """The reporting flow defined in advance: tell every group a rule names for the subject's category and
    priority, each row carrying the deadline the rule sets. Returns how many rules matched."""
    info = info or subject_describe(subject)
    rules = ReportingRule.objects.filter(is_active=True).filter(
        Q(subject_type__isnull=True) | Q(subject_type_id=subject_key(subject)[0]),
        Q(priority__isnull=True) | Q(priority=info.priority),
        Q(category_id__isnull=True) | Q(category_id=info.category_id),
    )
    count = 0
    # As for events: once per recipient and contact method, with the tightest deadline of the rules.
    for rule in rules.select_related("group").order_by("within_minutes", "pk"):
        count += 1
        notify_group(
            subject=subject,
            info=info,
            group=rule.group,
            channel=rule.channel,
            reason="report",
            key=f"report:{subject._meta.label_lower}:{subject.pk}",
            template="report",
            context={"rule": rule.name, "within_minutes": rule.within_minutes, "data": {"rule": rule.pk}},
            at=at,
            deadline_at=at + timedelta(minutes=rule.within_minutes),
        )
    return count
