"""What incidents are about: services, categories, and how impact and urgency make a priority."""

from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _


class Impact(models.IntegerChoices):
    """How much of the business an incident touches."""

    EXTENSIVE = 1, _("1 - extensive / widespread")
    SIGNIFICANT = 2, _("2 - significant / large")
    MODERATE = 3, _("3 - moderate / limited")
    MINOR = 4, _("4 - minor / localised")


class Urgency(models.IntegerChoices):
    """How fast the business needs it fixed."""

    CRITICAL = 1, _("1 - critical")
    HIGH = 2, _("2 - high")
    MEDIUM = 3, _("3 - medium")
    LOW = 4, _("4 - low")


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 - critical")
    P2 = 2, _("P2 - high")
    P3 = 3, _("P3 - moderate")
    P4 = 4, _("P4 - low")


def default_priority(impact: int, urgency: int) -> int:
    """The ITIL-style default: the closer both are to 1, the higher the priority (P1 to P4)."""
    return {2: 1, 3: 1, 4: 2, 5: 3}.get(impact + urgency, 4)


class Criticality(models.TextChoices):
    CRITICAL = "critical", _("critical")
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")


class Service(models.Model):
    """A business or technical service that incidents affect, owned by a team."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    owning_team = models.ForeignKey(
        "escalation.Team",
        verbose_name=_("owning team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
    )
    criticality = models.CharField(
        _("criticality"), max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The names the seed taxonomy gives its categories (incidents/migrations/0002_reference_data.py loads the rows).
# A row that still has its seeded name is shown in the reader's language; a name a manager typed is shown as
# typed (docs/languages.md).
SEED_CATEGORY_NAMES = {
    "business-operation": gettext_noop("Business operation"),
    "out-of-scope-handling": gettext_noop("Out-of-scope handling"),
    "operator-error": gettext_noop("Operator error"),
    "wrong-manual": gettext_noop("Wrong manual or document"),
    "system-outage": gettext_noop("System outage"),
    "team-operation": gettext_noop("Team operation"),
    "security": gettext_noop("Security"),
    "lost-id-card": gettext_noop("Lost ID card"),
    "misdirected-email-fax": gettext_noop("Misdirected e-mail or fax"),
    "damaged-tools-data": gettext_noop("Damaged tools or data"),
    "lost-lent-equipment": gettext_noop("Lost or damaged lent equipment"),
    "other": gettext_noop("Other"),
}


class IncidentCategory(models.Model):
    """A kind of incident, from the seed material's taxonomy; managers may add, rename or retire them."""

    class Group(models.TextChoices):
        BUSINESS_OPERATION = "business_operation", _("business-operation incident")
        TEAM_OPERATION = "team_operation", _("team-operation incident")
        OTHER = "other", _("other")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    group = models.CharField(_("group"), max_length=30, choices=Group.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")
        ordering = ["group", "name"]

    def __str__(self) -> str:
        if self.parent_id and self.parent:
            return f"{self.parent.display_name} / {self.display_name}"
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the reader's language while it is the seed's, else as a manager typed it."""
        seeded = SEED_CATEGORY_NAMES.get(self.code)
        return gettext(seeded) if seeded is not None and seeded == self.name else self.name


class PriorityMatrixCell(models.Model):
    """One cell of the impact x urgency matrix. The ITIL default is loaded by a migration; managers edit it."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")
        ordering = ["impact", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="priority_matrix_one_cell_per_pair"),
        ]

    def __str__(self) -> str:
        return _("impact %(impact)d x urgency %(urgency)d = P%(priority)d") % {
            "impact": self.impact,
            "urgency": self.urgency,
            "priority": self.priority,
        }
