"""What incidents are about: services, categories, and how impact and urgency make a priority."""

from django.core.exceptions import ValidationError
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


# What each seeded category covers (the seed's taxonomy), shown in the reader's language while a manager has
# not rewritten it; the demo data (incidents/demo.py) fills them in.
SEED_CATEGORY_DEFINITIONS = {
    "business-operation": gettext_noop(
        "Something went wrong in the business work a team carries out for others: a request handled outside "
        "what the team offers, a mistake by the person doing it, a manual that led them astray, or a system "
        "the work depends on that stopped."
    ),
    "out-of-scope-handling": gettext_noop(
        "A request was handled although it is outside what the team offers or is allowed to do (outside the "
        "agreed service, without the required approval, or on behalf of someone not entitled to it)."
    ),
    "operator-error": gettext_noop(
        "The person doing the work made a mistake: a wrong command, a wrong entry or a step skipped, although "
        "the procedure was right."
    ),
    "wrong-manual": gettext_noop(
        "The work followed a manual, runbook or document that was wrong, outdated or missing a step."
    ),
    "system-outage": gettext_noop(
        "A system or service the work depends on stopped or degraded so much that the work could not be done."
    ),
    "team-operation": gettext_noop(
        "Something went wrong in how any team runs itself, whatever its business: security slips, damaged "
        "tools or data, lent equipment lost or damaged."
    ),
    "security": gettext_noop(
        "Information or access was exposed or could have been: a lost badge, a message sent to the wrong "
        "recipient."
    ),
    "lost-id-card": gettext_noop("An ID card or access badge was lost or stolen."),
    "misdirected-email-fax": gettext_noop(
        "An e-mail or fax, or its attachment, was sent to someone who should not have received it."
    ),
    "damaged-tools-data": gettext_noop(
        "Tools, files or data the team works with were damaged, corrupted or deleted by mistake."
    ),
    "lost-lent-equipment": gettext_noop(
        "Equipment lent to a person (a laptop, a phone, a token) was lost or came back damaged."
    ),
    "other": gettext_noop("Anything that fits none of the other categories."),
}


class IncidentCategory(models.Model):
    """A kind of incident, from the seed material's taxonomy; managers may add, rename or retire them.

    Each says what it covers (`definition`) and whether it is specific to one team's work (`scope` team, and
    which `team`) or common to several teams."""

    class Group(models.TextChoices):
        BUSINESS_OPERATION = "business_operation", _("business-operation incident")
        TEAM_OPERATION = "team_operation", _("team-operation incident")
        OTHER = "other", _("other")

    class Scope(models.TextChoices):
        TEAM = "team", _("specific to one team")
        COMMON = "common", _("common to several teams")

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
    definition = models.TextField(
        _("definition"),
        blank=True,
        help_text=_("What belongs in this category and what does not, so that everyone files alike."),
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.COMMON)
    team = models.ForeignKey(
        "escalation.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incident_categories",
        help_text=_("The one team this category is specific to."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")
        ordering = ["group", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope="team") | models.Q(team__isnull=True),
                name="incident_category_team_only_when_specific",
            ),
        ]

    def __str__(self) -> str:
        if self.parent_id and self.parent:
            return f"{self.parent.display_name} / {self.display_name}"
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the reader's language while it is the seed's, else as a manager typed it."""
        seeded = SEED_CATEGORY_NAMES.get(self.code)
        return gettext(seeded) if seeded is not None and seeded == self.name else self.name

    @property
    def display_definition(self) -> str:
        """The definition in the reader's language while it is the seed's, else as a manager wrote it."""
        seeded = SEED_CATEGORY_DEFINITIONS.get(self.code)
        return gettext(seeded) if seeded is not None and seeded == self.definition else self.definition

    def clean(self) -> None:
        if self.scope == self.Scope.TEAM and self.team_id is None:
            raise ValidationError({"team": _("Name the team this category is specific to.")})
        if self.scope == self.Scope.COMMON and self.team_id is not None:
            raise ValidationError({"team": _("A category common to several teams names no team.")})


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
