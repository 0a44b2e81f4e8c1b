"""Escalation policies (ordered levels) and the escalations that run them on subjects."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..subjects import SubjectMixin


class EscalationPolicy(models.Model):
    """Who is paged, level after level, until someone acknowledges.

    Level delays count in business time on `calendar` (empty: 24x7). After the last level, the policy starts
    again from the first `repeat_count` times, `repeat_delay` after the last level."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    calendar = models.ForeignKey(
        "escalation.BusinessCalendar",
        verbose_name=_("business calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalation_policies",
    )
    repeat_count = models.PositiveSmallIntegerField(_("repeat count"), default=0)
    repeat_delay = models.DurationField(_("repeat after"), default=timedelta(minutes=30))
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Used when no SLA policy names an escalation policy.")
    )

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="escalation_policy_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    """One level: after `delay` (business time since the previous level, or since the start for the first),
    page these targets."""

    policy = models.ForeignKey(
        EscalationPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="levels"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    delay = models.DurationField(_("delay"), default=timedelta)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("users"), blank=True, related_name="escalation_levels"
    )
    team = models.ForeignKey(
        "escalation.Team",
        verbose_name=_("team (whoever is on call, else every member)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalation_levels",
    )
    schedule = models.ForeignKey(
        "escalation.Schedule",
        verbose_name=_("on-call schedule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalation_levels",
    )
    notify_service_owner = models.BooleanField(_("the owning team of the subject's service"), default=False)
    notify_team_manager = models.BooleanField(_("the manager of the subject's team"), default=False)
    subject_roles = models.JSONField(
        _("people with these roles on the subject"),
        default=list,
        blank=True,
        help_text=_(
            "Role names the subject's app defines, for example owner or owner_manager; "
            "resolved when the level fires."
        ),
    )

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["policy", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="escalation_level_unique_position"),
        ]

    def __str__(self) -> str:
        return _("%(policy)s, level %(level)d") % {"policy": self.policy, "level": self.position}

    def as_snapshot(self) -> dict:
        return {
            "position": self.position,
            "delay_seconds": int(self.delay.total_seconds()),
            "user_ids": sorted(u.pk for u in self.users.all()),
            "team_id": self.team_id,
            "schedule_id": self.schedule_id,
            "service_owner": self.notify_service_owner,
            "team_manager": self.notify_team_manager,
            "subject_roles": list(self.subject_roles or []),
        }


class EscalationState(models.TextChoices):
    ACTIVE = "active", _("active")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    EXHAUSTED = "exhausted", _("every level paged")
    STOPPED = "stopped", _("stopped")


class Escalation(SubjectMixin):
    """A policy running on one subject, from a snapshot taken when it started: editing the policy does not
    change a running escalation. `level`/`cycle` say where it is; timers carry them as a guard, so a late
    or repeated timer for a level already passed does nothing."""

    policy = models.ForeignKey(
        EscalationPolicy,
        verbose_name=_("policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalations",
    )
    snapshot = models.JSONField(_("policy snapshot"), default=dict)
    state = models.CharField(
        _("state"), max_length=12, choices=EscalationState.choices, default=EscalationState.ACTIVE
    )
    level = models.PositiveSmallIntegerField(_("levels paged"), default=0)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=0)
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    last_paged_at = models.DateTimeField(_("last paged at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"],
                condition=models.Q(state="active"),
                name="escalation_one_active_per_subject",
            ),
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="escalation_subject")]

    def __str__(self) -> str:
        return _("%(policy)s, level %(level)d (%(state)s)") % {
            "policy": self.snapshot.get("name", "?"),
            "level": self.level,
            "state": self.get_state_display(),
        }
