"""SLA policies and the clocks that run on subjects."""

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..subjects import SubjectMixin


class SlaPolicy(models.Model):
    """Targets for one priority, optionally narrowed to a kind of subject, a service and/or a category.

    Service and category are plain ids (the engine does not import the apps that own them). The most specific
    active policy wins: a policy for the subject's type before one for any type, then service and category,
    service, category, priority only."""

    name = models.CharField(_("name"), max_length=100)
    subject_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("applies to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The kind of record this policy is for (incidents, major incidents, ...). Empty: any kind."
        ),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), help_text=_("1 = P1 ... 4 = P4."))
    service_id = models.PositiveBigIntegerField(_("service id"), null=True, blank=True)
    category_id = models.PositiveBigIntegerField(_("category id"), null=True, blank=True)
    time_to_acknowledge = models.DurationField(_("time to acknowledge"))
    time_to_resolve = models.DurationField(_("time to resolve"))
    warning_percent = models.PositiveSmallIntegerField(
        _("warning at (%)"), default=75, help_text=_("Warn when this share of the target has elapsed.")
    )
    calendar = models.ForeignKey(
        "escalation.BusinessCalendar",
        verbose_name=_("business calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sla_policies",
        help_text=_("Empty means 24x7."),
    )
    escalation_policy = models.ForeignKey(
        "escalation.EscalationPolicy",
        verbose_name=_("escalation policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sla_policies",
        help_text=_("Who is paged for subjects under this policy, and told about warnings and breaches."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["priority", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=4), name="sla_policy_priority_range"
            ),
            models.CheckConstraint(
                condition=models.Q(warning_percent__gte=1, warning_percent__lte=99),
                name="sla_policy_warning_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(time_to_acknowledge__gt=timedelta(0), time_to_resolve__gt=timedelta(0)),
                name="sla_policy_positive_targets",
            ),
        ]

    def __str__(self) -> str:
        return f"P{self.priority} {self.name}"


class SlaClockKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("time to acknowledge")
    RESOLVE = "resolve", _("time to resolve")


class SlaClockState(models.TextChoices):
    RUNNING = "running", _("running")
    PAUSED = "paused", _("paused")
    MET = "met", _("met")
    BREACHED = "breached", _("breached")
    CANCELLED = "cancelled", _("cancelled")


SLA_CLOCK_OPEN = (SlaClockState.RUNNING, SlaClockState.PAUSED)


class SlaClock(SubjectMixin):
    """One SLA target running on one subject. The policy is snapshotted here when the clock starts, so editing
    the policy never changes a running clock; a priority change re-snapshots it on purpose.

    Time is kept as segments: `segments` lists the closed running spans, `running_since` opens the current
    one (None while paused). Elapsed business time is measured on the snapshotted calendar."""

    kind = models.CharField(_("kind"), max_length=12, choices=SlaClockKind.choices)
    policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clocks",
    )
    snapshot = models.JSONField(_("policy snapshot"), default=dict)
    target = models.DurationField(_("target"))
    state = models.CharField(
        _("state"), max_length=10, choices=SlaClockState.choices, default=SlaClockState.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    segments = models.JSONField(_("closed running segments"), default=list, blank=True)
    elapsed = models.DurationField(_("elapsed business time (closed segments)"), default=timedelta)
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind"], name="sla_clock_one_per_subject_kind"
            ),
        ]
        indexes = [models.Index(fields=["state", "breached_at"], name="sla_clock_state_breached")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_state_display()})"
