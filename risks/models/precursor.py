"""Precursors: small repeated signals (low-priority incidents on one service or category) over a long window."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .risk import Area, Risk


class PrecursorRule(models.Model):
    """`count` or more incidents of priority `min_priority` or lower (P3, P4: numbers at least this) on the
    service or category within `window_days` raise a warning."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    service = models.ForeignKey(
        "incidents.Service",
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey(
        "incidents.IncidentCategory",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    min_priority = models.PositiveSmallIntegerField(
        _("lowest priorities from"), default=3, help_text=_("3: P3 and P4 count.")
    )
    window_days = models.PositiveIntegerField(_("window (days)"), default=90)
    count = models.PositiveIntegerField(_("count"), default=3)
    risk = models.ForeignKey(
        Risk,
        verbose_name=_("risk"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="precursor_rules",
        help_text=_("Empty: the warning proposes a new risk in the area."),
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("precursor rule")
        verbose_name_plural = _("precursor rules")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(service__isnull=False) | models.Q(category__isnull=False),
                name="precursor_rule_service_or_category",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PrecursorState(models.TextChoices):
    OPEN = "open", _("open")
    ACCEPTED = "accepted", _("likelihood raised")
    DISMISSED = "dismissed", _("dismissed")


class PrecursorWarning(models.Model):
    """A rule matched: the incidents behind it, the risk it concerns (or a proposed one) and the suggested
    likelihood."""

    rule = models.ForeignKey(
        PrecursorRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="warnings"
    )
    risk = models.ForeignKey(
        Risk,
        verbose_name=_("risk"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="precursors",
    )
    proposed_title = models.CharField(_("proposed risk"), max_length=200, blank=True)
    incidents = models.ManyToManyField("incidents.Incident", verbose_name=_("incidents"), related_name="+")
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    suggested_likelihood = models.PositiveSmallIntegerField(_("suggested likelihood"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=PrecursorState.choices, default=PrecursorState.OPEN
    )
    created_at = models.DateTimeField(_("created at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("precursor warning")
        verbose_name_plural = _("precursor warnings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule"], condition=models.Q(state="open"), name="precursor_one_open_per_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.created_at:%Y-%m-%d}"
