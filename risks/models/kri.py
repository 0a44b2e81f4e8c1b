"""Key risk indicators: thresholds, readings and the state (green, yellow, red) they give."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .risk import Risk


class Direction(models.TextChoices):
    HIGHER_IS_WORSE = "higher", _("higher is worse")
    LOWER_IS_WORSE = "lower", _("lower is worse")


class Evaluation(models.TextChoices):
    LATEST = "latest", _("latest reading")
    MEAN = "mean", _("mean over the window")
    MAX = "max", _("maximum over the window")


class KRIState(models.TextChoices):
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")


STATE_ORDER = [KRIState.GREEN, KRIState.YELLOW, KRIState.RED]


class KRISource(models.TextChoices):
    PUSHED = "pushed", _("pushed by a monitoring tool")
    COMPUTED = "computed", _("computed by Vigil")


class ComputedMeasure(models.TextChoices):
    INCIDENTS_PER_WEEK = "incidents_per_week", _("incidents per week (of a service)")
    MTTR_TREND = "mttr_trend", _("mean time to resolve, change against the previous window (%)")
    SLA_BREACH_RATE = "sla_breach_rate", _("SLA breach rate (%)")
    CATEGORY_REPEATS = "category_repeats", _("incidents of one category in the window")


class KRI(models.Model):
    """One measured thing for one or more risks. Thresholds are crossed with hysteresis: once yellow or red,
    the value must come back past the threshold by `hysteresis` before the state goes down (docs/risks.md)."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    risks = models.ManyToManyField(Risk, verbose_name=_("risks"), related_name="kris", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_kris",
        help_text=_("Empty: the owners of its risks."),
    )
    unit = models.CharField(_("unit"), max_length=20, default="%")
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER_IS_WORSE
    )
    yellow = models.FloatField(_("yellow threshold"), default=80.0)
    red = models.FloatField(_("red threshold"), default=90.0)
    hysteresis = models.FloatField(
        _("hysteresis"),
        default=2.0,
        help_text=_("How far back past a threshold a value must go to clear it."),
    )
    evaluation = models.CharField(
        _("evaluation"), max_length=10, choices=Evaluation.choices, default=Evaluation.LATEST
    )
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), default=60)
    source = models.CharField(_("source"), max_length=10, choices=KRISource.choices, default=KRISource.PUSHED)
    measure = models.CharField(
        _("computed measure"), max_length=30, choices=ComputedMeasure.choices, blank=True
    )
    service = models.ForeignKey(
        "incidents.Service",
        verbose_name=_("service"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey(
        "incidents.IncidentCategory",
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    compute_window_days = models.PositiveIntegerField(_("computed over (days)"), default=7)
    open_incident_on_red = models.BooleanField(_("open an incident on red"), default=False)
    incident_service = models.ForeignKey(
        "incidents.Service",
        verbose_name=_("service of the incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    red_ack_minutes = models.PositiveIntegerField(
        _("acknowledge red within (minutes)"),
        default=30,
        help_text=_("Then it escalates to the owner's manager."),
    )
    escalation_policy = models.ForeignKey(
        "escalation.EscalationPolicy",
        verbose_name=_("escalation policy for an unacknowledged red"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the owner and the owner's manager are paged."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    state = models.CharField(_("state"), max_length=10, choices=KRIState.choices, default=KRIState.GREEN)
    state_since = models.DateTimeField(_("state since"), null=True, blank=True)
    value = models.FloatField(_("evaluated value"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    red_acknowledged_at = models.DateTimeField(_("red acknowledged at"), null=True, blank=True)
    red_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("red acknowledged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("key risk indicator")
        verbose_name_plural = _("key risk indicators")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.direction == Direction.HIGHER_IS_WORSE and not self.yellow < self.red:
            raise ValidationError(
                {"red": _("When higher is worse, the red threshold is above the yellow one.")}
            )
        if self.direction == Direction.LOWER_IS_WORSE and not self.yellow > self.red:
            raise ValidationError(
                {"red": _("When lower is worse, the red threshold is below the yellow one.")}
            )
        if self.hysteresis < 0:
            raise ValidationError({"hysteresis": _("The hysteresis is zero or more.")})
        if self.source == KRISource.COMPUTED and not self.measure:
            raise ValidationError({"measure": _("A computed indicator names what it computes.")})

    @property
    def reference(self) -> str:
        return f"KRI-{self.pk:06d}" if self.pk else "KRI-(unsaved)"


class KRIReading(models.Model):
    """One value at one instant."""

    kri = models.ForeignKey(
        KRI, verbose_name=_("key risk indicator"), on_delete=models.CASCADE, related_name="readings"
    )
    at = models.DateTimeField(_("at"))
    value = models.FloatField(_("value"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kri", "-at"], name="kri_reading_kri_at")]

    def __str__(self) -> str:
        return f"{self.kri_id} {self.at.isoformat()} {self.value}"


class KRIStateChange(models.Model):
    """Each change of a KRI's state: the trend the radar shows and what notified whom."""

    kri = models.ForeignKey(
        KRI, verbose_name=_("key risk indicator"), on_delete=models.CASCADE, related_name="state_changes"
    )
    at = models.DateTimeField(_("at"))
    from_state = models.CharField(_("from"), max_length=10, choices=KRIState.choices)
    to_state = models.CharField(_("to"), max_length=10, choices=KRIState.choices)
    value = models.FloatField(_("value"))
    incident_id = models.PositiveBigIntegerField(_("incident opened"), null=True, blank=True)

    class Meta:
        verbose_name = _("KRI state change")
        verbose_name_plural = _("KRI state changes")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.kri_id} {self.from_state} -> {self.to_state}"
