"""The risk register: areas (business processes), risks with their assessments and history, links, escalation
per level and outside changes. Transitions only change fields; `risks.services` wraps them."""

from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from .matrix import RiskLevel, RiskMatrix

TRANSITION_PERMISSION = "risks.transition_risk"


class Area(models.Model):
    """A business process or area: risks are mapped per area, the radar computes an index per area, and its
    owner assesses the risks people report in it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_risk_areas",
    )
    matrix = models.ForeignKey(
        RiskMatrix,
        verbose_name=_("matrix"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: the default matrix."),
    )
    radar_threshold = models.FloatField(
        _("radar threshold"),
        default=20.0,
        help_text=_("The weekly risk index above which the area alerts."),
    )

    class Meta:
        verbose_name = _("risk area")
        verbose_name_plural = _("risk areas")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RiskCategory(models.TextChoices):
    HUMAN_ERROR = "human_error", _("human error")
    SYSTEM_FAILURE = "system_failure", _("system failure")
    PROCESS = "process", _("process")
    SECURITY = "security", _("security")
    MARKET = "market", _("market")
    REGULATION = "regulation", _("regulation")
    SUPPLIER = "supplier", _("supplier")
    NATURAL_HAZARD = "natural_hazard", _("natural hazard")


EXTERNAL_CATEGORIES = {
    RiskCategory.MARKET,
    RiskCategory.REGULATION,
    RiskCategory.SUPPLIER,
    RiskCategory.NATURAL_HAZARD,
}


class Treatment(models.TextChoices):
    AVOID = "avoid", _("avoid")
    MITIGATE = "mitigate", _("mitigate")
    TRANSFER = "transfer", _("transfer")
    ACCEPT = "accept", _("accept")


class RiskState(models.TextChoices):
    # A context of its own: a problem's "identified" (its root cause) reads differently.
    IDENTIFIED = "identified", pgettext_lazy("risk state", "identified")
    ASSESSED = "assessed", _("assessed")
    TREATING = "treating", _("treating")
    MONITORING = "monitoring", _("monitoring")
    CLOSED = "closed", _("closed")


OPEN_STATES = [RiskState.IDENTIFIED, RiskState.ASSESSED, RiskState.TREATING, RiskState.MONITORING]

TRANSITION_LABELS = {
    "assess": _("assess"),
    "treat": _("start treating"),
    "monitor": _("monitor"),
    "close": _("close"),
    "reopen": _("reopen"),
}


class Risk(FSMModelMixin, models.Model):
    """One risk of the register. Its level is the matrix cell of its residual likelihood and impact (the
    inherent ones until residual ones are assessed)."""

    TRANSITIONS = ("assess", "treat", "monitor", "close", "reopen")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="risks")
    category = models.CharField(_("category"), max_length=20, choices=RiskCategory.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_risks",
    )
    matrix = models.ForeignKey(RiskMatrix, verbose_name=_("matrix"), on_delete=models.PROTECT)
    inherent_likelihood = models.PositiveSmallIntegerField(_("inherent likelihood"), null=True, blank=True)
    inherent_impact = models.PositiveSmallIntegerField(_("inherent impact"), null=True, blank=True)
    controls = models.TextField(_("controls"), blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(_("residual likelihood"), null=True, blank=True)
    residual_impact = models.PositiveSmallIntegerField(_("residual impact"), null=True, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=RiskLevel.choices, blank=True)
    treatment = models.CharField(_("treatment"), max_length=10, choices=Treatment.choices, blank=True)
    acceptance_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acceptance approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    acceptance_reason = models.TextField(_("acceptance reason"), blank=True)
    acceptance_expires_on = models.DateField(_("acceptance expires on"), null=True, blank=True)
    state = FSMField(_("state"), default=RiskState.IDENTIFIED, choices=RiskState.choices, protected=True)
    review_interval_days = models.PositiveIntegerField(
        _("review every (days)"), default=90, help_text=_("0: no periodic review.")
    )
    next_review_at = models.DateTimeField(_("next review at"), null=True, blank=True)
    last_reviewed_at = models.DateTimeField(_("last reviewed at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_risks",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["-created_at", "-id"]
        permissions = [("transition_risk", _("Can assess, treat, monitor, close and reopen risks"))]
        indexes = [models.Index(fields=["area", "state"], name="risk_area_state")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"RSK-{self.pk:06d}" if self.pk else "RSK-(unsaved)"

    @property
    def is_external(self) -> bool:
        return self.category in EXTERNAL_CATEGORIES

    @property
    def is_open(self) -> bool:
        return self.state != RiskState.CLOSED

    def current_cell(self) -> tuple[int, int] | None:
        """(likelihood, impact) the level is read from: residual when assessed, else inherent."""
        if self.residual_likelihood and self.residual_impact:
            return self.residual_likelihood, self.residual_impact
        if self.inherent_likelihood and self.inherent_impact:
            return self.inherent_likelihood, self.inherent_impact
        return None

    def can_assess(self) -> bool:
        return self.current_cell() is not None

    @transition(
        field=state,
        source=RiskState.IDENTIFIED,
        target=RiskState.ASSESSED,
        conditions=[can_assess],  # type: ignore[list-item]  # django-fsm's conditions take the model
        permission=TRANSITION_PERMISSION,
    )
    def assess(self, *, at: datetime) -> None:
        self.last_reviewed_at = at

    @transition(
        field=state,
        source=[RiskState.ASSESSED, RiskState.MONITORING],
        target=RiskState.TREATING,
        permission=TRANSITION_PERMISSION,
    )
    def treat(self, *, at: datetime) -> None:
        pass

    @transition(
        field=state,
        source=[RiskState.ASSESSED, RiskState.TREATING],
        target=RiskState.MONITORING,
        permission=TRANSITION_PERMISSION,
    )
    def monitor(self, *, at: datetime) -> None:
        pass

    @transition(field=state, source=OPEN_STATES, target=RiskState.CLOSED, permission=TRANSITION_PERMISSION)
    def close(self, *, at: datetime) -> None:
        self.closed_at = at

    @transition(
        field=state, source=RiskState.CLOSED, target=RiskState.ASSESSED, permission=TRANSITION_PERMISSION
    )
    def reopen(self, *, at: datetime) -> None:
        self.closed_at = None


class RiskAssessment(models.Model):
    """One assessment of a risk, kept forever: the history of its likelihood, impact and level."""

    risk = models.ForeignKey(
        Risk, verbose_name=_("risk"), on_delete=models.CASCADE, related_name="assessments"
    )
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    inherent_likelihood = models.PositiveSmallIntegerField(_("inherent likelihood"), null=True, blank=True)
    inherent_impact = models.PositiveSmallIntegerField(_("inherent impact"), null=True, blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(_("residual likelihood"), null=True, blank=True)
    residual_impact = models.PositiveSmallIntegerField(_("residual impact"), null=True, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=RiskLevel.choices, blank=True)
    previous_level = models.CharField(
        _("previous level"), max_length=10, choices=RiskLevel.choices, blank=True
    )
    controls = models.TextField(_("controls"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.risk_id} {self.at:%Y-%m-%d} {self.level}"


class RiskHistoryKind(models.TextChoices):
    CREATED = "created", _("raised")
    TRANSITION = "transition", _("transition")
    ASSESSED = "assessed", _("assessed")
    EDITED = "edited", _("edited")
    REVIEW_OPENED = "review_opened", _("review opened")
    REVIEWED = "reviewed", _("reviewed")
    ACCEPTED = "accepted", _("accepted")
    LINKED = "linked", _("linked")
    KRI = "kri", _("key risk indicator")
    PRECURSOR = "precursor", _("precursor warning")
    NOTIFIED = "notified", _("notified")


class RiskHistory(models.Model):
    """The risk's timeline: who, when, from, to, why."""

    risk = models.ForeignKey(Risk, verbose_name=_("risk"), on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RiskHistoryKind.choices)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("risk history entry")
        verbose_name_plural = _("risk history")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["risk", "at"], name="risk_history_risk_at")]

    def __str__(self) -> str:
        return f"{self.risk_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class RiskLink(models.Model):
    """A link from a risk to a service, an incident or a post-mortem (generic, limited to the kinds in
    `risks.links.LINK_TARGETS`)."""

    risk = models.ForeignKey(Risk, verbose_name=_("risk"), on_delete=models.CASCADE, related_name="links")
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("linked record type"), on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(_("linked record id"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("risk link")
        verbose_name_plural = _("risk links")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["risk", "target_type", "target_id"], name="risk_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.target_type.app_label}.{self.target_type.model}:{self.target_id}"


class LevelEscalation(models.Model):
    """Who a risk of this level reaches when it is raised or its level goes up: an escalation policy (paged
    through the engine) and/or the stakeholder groups of an audience."""

    level = models.CharField(_("level"), max_length=10, choices=RiskLevel.choices, unique=True)
    policy = models.ForeignKey(
        "escalation.EscalationPolicy",
        verbose_name=_("escalation policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    audience = models.CharField(
        _("audience"), max_length=30, blank=True, help_text=_("Stakeholder groups of this audience are told.")
    )

    class Meta:
        verbose_name = _("escalation per risk level")
        verbose_name_plural = _("escalation per risk level")
        ordering = ["level"]

    def __str__(self) -> str:
        return str(self.get_level_display())


class OutsideChangeKind(models.TextChoices):
    REGULATION = "regulation", _("new regulation")
    SUPPLIER = "supplier", _("supplier failure")
    MARKET = "market", _("market shift")
    OTHER = "other", _("other")


class OutsideChange(models.Model):
    """Something outside changed (a new regulation, a supplier failure, a market shift): every open risk of
    the area is reviewed."""

    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="outside_changes"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OutsideChangeKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    reviews_opened = models.PositiveIntegerField(_("reviews opened"), default=0)

    class Meta:
        verbose_name = _("outside change")
        verbose_name_plural = _("outside changes")
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return self.title
