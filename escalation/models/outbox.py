"""The notification outbox: one row per message to send, written in the same transaction as its cause."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..subjects import SubjectMixin


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    APPRISE = "apprise", _("Apprise URL (chat, SMS, push)")
    WEBHOOK = "webhook", _("signed webhook")


class NotificationState(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class Notification(SubjectMixin):
    """One message about a subject, for one recipient over one channel.

    `idempotency_key` is unique: writing the same notification twice is a no-op, and the key travels to the
    receiver (the `Idempotency-Key` header) so a delivery repeated after a crash can be recognised there.
    Delivery (`escalation.outbox`) claims the row under a lock, sends outside any transaction, then records
    the outcome; `claimed_until` keeps a second copy of the task from sending while one is in flight."""

    reason = models.CharField(_("reason"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.TextField(_("address"), help_text=_("E-mail address, Apprise URL or webhook URL."))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vigil_notifications",
    )
    contact_method = models.ForeignKey(
        "escalation.ContactMethod",
        verbose_name=_("contact method"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    subscription = models.ForeignKey(
        "escalation.WebhookSubscription",
        verbose_name=_("webhook subscription"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    body = models.TextField(_("body"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    deadline_at = models.DateTimeField(
        _("deadline"), null=True, blank=True, help_text=_("When a reporting rule says it must be sent by.")
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications (outbox)")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The outbox sweep reads only pending rows.
            models.Index(
                fields=["next_attempt_at"],
                name="notification_pending_next",
                condition=models.Q(state=NotificationState.PENDING),
            ),
            models.Index(fields=["subject_type", "subject_id", "reason"], name="notification_subject"),
        ]

    def __str__(self) -> str:
        # Not the address: an Apprise URL holds the service's tokens, and this shows wherever the row is named.
        return _("%(reason)s #%(id)s over %(channel)s (%(state)s)") % {
            "reason": self.reason,
            "id": self.pk,
            "channel": self.get_channel_display(),
            "state": self.get_state_display(),
        }


class DeliveryAttempt(models.Model):
    """One try at sending a notification: the delivery log."""

    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.CASCADE,
        related_name="delivery_attempts",
    )
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    ok = models.BooleanField(_("succeeded"), default=False)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.notification_id} {'ok' if self.ok else 'failed'} @ {self.started_at:%Y-%m-%d %H:%M:%S}"
