"""Timers: rows in the database that a periodic sweep fires when they fall due."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..subjects import SubjectMixin


class TimerState(models.TextChoices):
    PENDING = "pending", _("pending")
    FIRED = "fired", _("fired")
    CANCELLED = "cancelled", _("cancelled")
    FAILED = "failed", _("failed")


class Timer(SubjectMixin):
    """Something to do about a subject at an instant (an SLA warning, the next escalation level, ...).

    The sweep (`escalation.timers.timer_sweep`) claims due pending timers with `FOR UPDATE SKIP LOCKED`, so any
    number of sweepers can run at once without firing a timer twice. `kind` names the handler."""

    kind = models.CharField(_("kind"), max_length=60)
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(
        _("state"), max_length=10, choices=TimerState.choices, default=TimerState.PENDING
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("timer")
        verbose_name_plural = _("timers")
        ordering = ["due_at", "id"]
        indexes = [
            # The sweep reads only pending timers, oldest first: a small index however many have fired.
            models.Index(
                fields=["due_at"], name="timer_pending_due", condition=models.Q(state=TimerState.PENDING)
            ),
            models.Index(
                fields=["subject_type", "subject_id", "kind"],
                name="timer_pending_subject",
                condition=models.Q(state=TimerState.PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.due_at:%Y-%m-%d %H:%M:%S} ({self.state})"
