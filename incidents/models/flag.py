"""Signals that a major incident may be under way and a person should decide: alert storms, ticket spikes."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MajorIncidentFlag(models.Model):
    """A "possible major incident" waiting for a commander's decision: declare it, or dismiss the flag.

    While a flag is pending, the same signal updates it instead of raising another one (partial unique
    constraints: one pending storm flag per integration, one pending spike flag per service)."""

    class Kind(models.TextChoices):
        STORM = "storm", _("alert storm")
        SPIKE = "spike", _("ticket-volume spike")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for a decision")
        DECLARED = "declared", _("major incident declared")
        DISMISSED = "dismissed", _("dismissed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    integration = models.ForeignKey(
        "incidents.Integration",
        verbose_name=_("integration"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="major_incident_flags",
    )
    service = models.ForeignKey(
        "incidents.Service",
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="major_incident_flags",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="major_incident_flags",
        help_text=_("The storm incident, or the incident that crossed the spike threshold."),
    )
    count = models.PositiveIntegerField(
        _("count"), default=0, help_text=_("New alert groups (storm) or new incidents (spike) in the window.")
    )
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), default=1)
    raised_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField(_("updated at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("possible major incident")
        verbose_name_plural = _("possible major incidents")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "integration"],
                condition=models.Q(state="pending", kind="storm"),
                name="flag_one_pending_storm_per_integration",
            ),
            models.UniqueConstraint(
                fields=["kind", "service"],
                condition=models.Q(state="pending", kind="spike"),
                name="flag_one_pending_spike_per_service",
            ),
        ]

    def __str__(self) -> str:
        subject = self.service or self.integration or "-"
        return f"{self.get_kind_display()}: {subject}"
