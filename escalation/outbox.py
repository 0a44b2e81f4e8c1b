"""The notification outbox: write in the cause's transaction, deliver after commit, sweep what got lost.

Delivery is idempotent: the row is claimed under a lock (state must be pending and not claimed by a live
attempt), sent outside any transaction, and the outcome recorded under the lock again. If a worker dies
between sending and recording, the claim expires, the sweep enqueues the row again, and the receiver gets
the same `Idempotency-Key` a second time: receivers dedupe on it (documented in docs/escalation.md)."""

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict, NotFound

from .channels import channel_send
from .models import DeliveryAttempt, Notification, NotificationState
from .subjects import subject_filter

logger = logging.getLogger(__name__)


def notification_write(
    *,
    subject: models.Model,
    reason: str,
    channel: str,
    address: str,
    idempotency_key: str,
    title: str = "",
    body: str = "",
    payload: dict[str, Any] | None = None,
    recipient: User | None = None,
    contact_method_id: int | None = None,
    subscription_id: int | None = None,
    deadline_at: datetime | None = None,
) -> Notification | None:
    """Add a notification to the outbox in the caller's transaction and enqueue its delivery after commit.

    Writing a key that exists already does nothing and returns None: the key makes the write idempotent."""
    now = timezone.now()
    notification, created = Notification.objects.get_or_create(
        idempotency_key=idempotency_key[:200],
        defaults={
            **subject_filter(subject),
            "reason": reason,
            "channel": channel,
            "address": address,
            "title": title[:300],
            "body": body,
            "payload": payload or {},
            "recipient": recipient,
            "contact_method_id": contact_method_id,
            "subscription_id": subscription_id,
            "created_at": now,
            "next_attempt_at": now,
            # Counts as enqueued now: the sweep re-sends it only if it is still pending RESEND_AFTER later.
            "enqueued_at": now,
            "deadline_at": deadline_at,
        },
    )
    if not created:
        return None
    notification_enqueue_on_commit(notification_ids=[notification.pk])
    return notification


def notification_enqueue_on_commit(*, notification_ids: list[int], countdown: float | None = None) -> None:
    """After the current transaction commits, hand the rows to the broker. A broker that is down only logs:
    the rows stay pending and the outbox sweep sends them when it is back."""

    def enqueue() -> None:
        from .tasks import notification_deliver_task

        for notification_id in notification_ids:
            try:
                notification_deliver_task.apply_async(args=[notification_id], countdown=countdown)
            except Exception:  # kombu and redis raise many kinds; none may fail the request
                logger.warning(
                    "broker unavailable, notification %s left to the outbox sweep",
                    notification_id,
                    exc_info=True,
                )
                return

    transaction.on_commit(enqueue)


def _backoff(attempts: int) -> timedelta:
    seconds = settings.VIGIL_OUTBOX_BACKOFF_BASE * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.VIGIL_OUTBOX_BACKOFF_MAX))


def notification_deliver(*, notification_id: int) -> str:
    """Send one notification if it is still due; returns what happened (for logs and tests).

    Must not run inside a transaction (`durable=True` enforces it): nothing is sent before its cause commits,
    and a slow receiver never holds a database lock."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("subscription", "contact_method")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "missing"
        if notification.state != NotificationState.PENDING:
            return f"already {notification.state}"
        if notification.claimed_until is not None and notification.claimed_until > now:
            return "in flight"
        if notification.next_attempt_at > now + timedelta(seconds=1):
            return "not due"
        notification.attempts += 1
        notification.claimed_until = now + timedelta(seconds=settings.VIGIL_OUTBOX_LEASE_SECONDS)
        notification.save(update_fields=["attempts", "claimed_until"])

    started = time.monotonic()
    result = channel_send(notification)
    duration_ms = int((time.monotonic() - started) * 1000)

    with transaction.atomic(durable=True):
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        DeliveryAttempt.objects.create(
            notification=notification,
            started_at=now,
            duration_ms=duration_ms,
            ok=result.ok,
            status_code=result.status_code,
            error=result.error[:2000],
        )
        notification.claimed_until = None
        fields = ["claimed_until", "state", "sent_at", "last_error", "next_attempt_at", "enqueued_at"]
        if result.ok:
            notification.state = NotificationState.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=fields)
            return "sent"
        notification.last_error = result.error[:2000]
        if notification.attempts >= settings.VIGIL_OUTBOX_MAX_ATTEMPTS:
            notification.state = NotificationState.FAILED
            notification.save(update_fields=fields)
            return "failed"
        delay = _backoff(notification.attempts)
        notification.next_attempt_at = timezone.now() + delay
        # Expected to be picked up at next_attempt_at by the retry below; the sweep steps in if it is not.
        notification.enqueued_at = notification.next_attempt_at
        notification.save(update_fields=fields)
        notification_enqueue_on_commit(notification_ids=[notification.pk], countdown=delay.total_seconds())
        return "retry"


def outbox_sweep(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Enqueue again the pending rows the broker lost: due, enqueued more than VIGIL_OUTBOX_RESEND_AFTER
    seconds ago (or never), and not claimed by a live attempt. A claim that expired means the worker died."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.VIGIL_OUTBOX_RESEND_AFTER)
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(state=NotificationState.PENDING, next_attempt_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=stale))
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:batch_size]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(enqueued_at=now, claimed_until=None)
            notification_enqueue_on_commit(notification_ids=ids)
    return len(ids)


def notification_retry(*, notification_id: int) -> Notification:
    """Put a failed (or cancelled) notification back in the queue: the admin's retry action."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            raise NotFound()
        if notification.state == NotificationState.SENT:
            raise Conflict(_("This notification was sent already."), state=notification.state)
        now = timezone.now()
        if notification.claimed_until is not None and notification.claimed_until > now:
            # Clearing a live claim would let a second worker send while this one still is.
            raise Conflict(_("This notification is being sent right now."), state=notification.state)
        notification.state = NotificationState.PENDING
        notification.next_attempt_at = now
        notification.enqueued_at = now
        notification.claimed_until = None
        notification.attempts = 0
        notification.save(
            update_fields=["state", "next_attempt_at", "enqueued_at", "claimed_until", "attempts"]
        )
        notification_enqueue_on_commit(notification_ids=[notification.pk])
    return notification


def notifications_cancel(*, subject: models.Model, reasons: list[str]) -> int:
    """Cancel the subject's pending notifications for these reasons that no worker is sending right now."""
    qs = Notification.objects.filter(
        **subject_filter(subject), reason__in=reasons, state=NotificationState.PENDING
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=timezone.now()))
    ids = list(qs.select_for_update(skip_locked=True).values_list("pk", flat=True))
    return Notification.objects.filter(pk__in=ids).update(state=NotificationState.CANCELLED)
