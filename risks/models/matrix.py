"""The risk matrix: likelihood x impact, each cell a level (low, medium, high, critical) with its colour."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MIN_SIZE = 3
MAX_SIZE = 6
DEFAULT_SIZE = 5


class RiskLevel(models.TextChoices):
    # A context of their own: other apps' "critical" (a service's criticality) reads differently.
    LOW = "low", pgettext_lazy("risk level", "low")
    MEDIUM = "medium", pgettext_lazy("risk level", "medium")
    HIGH = "high", pgettext_lazy("risk level", "high")
    CRITICAL = "critical", pgettext_lazy("risk level", "critical")


# Ordered from the least to the most severe: "the level went up" compares positions in this list.
LEVEL_ORDER = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.CRITICAL]
DEFAULT_COLOURS = {
    RiskLevel.LOW: "#2e7d32",
    RiskLevel.MEDIUM: "#f9a825",
    RiskLevel.HIGH: "#ef6c00",
    RiskLevel.CRITICAL: "#c62828",
}
# The level's weight in the radar's risk index (docs/risks.md).
LEVEL_WEIGHTS = {RiskLevel.LOW: 1, RiskLevel.MEDIUM: 2, RiskLevel.HIGH: 4, RiskLevel.CRITICAL: 8}


def level_rank(level: str) -> int:
    return LEVEL_ORDER.index(RiskLevel(level))


def default_cells(size: int) -> list[list[str]]:
    """cells[likelihood - 1][impact - 1]: the share of the largest score decides the level (on 5 x 5: a
    score up to 4 is low, up to 9 medium, up to 16 high, above critical, the usual ISO 31000 grid)."""
    cells = []
    for likelihood in range(1, size + 1):
        row = []
        for impact in range(1, size + 1):
            share = likelihood * impact / (size * size)
            if share <= 0.16:
                row.append(RiskLevel.LOW.value)
            elif share <= 0.36:
                row.append(RiskLevel.MEDIUM.value)
            elif share <= 0.64:
                row.append(RiskLevel.HIGH.value)
            else:
                row.append(RiskLevel.CRITICAL.value)
        cells.append(row)
    return cells


def default_labels(size: int, kind: str) -> list[str]:
    if size == DEFAULT_SIZE:
        if kind == "likelihood":
            return ["rare", "unlikely", "possible", "likely", "almost certain"]
        return ["negligible", "minor", "moderate", "major", "severe"]
    return [str(n) for n in range(1, size + 1)]


class RiskMatrix(models.Model):
    """A likelihood x impact grid from 3 x 3 to 6 x 6. `cells[l - 1][i - 1]` is the level of likelihood `l`
    and impact `i` (1 the least); `colours` maps a level to its colour on the heat map."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    size = models.PositiveSmallIntegerField(_("size"), default=DEFAULT_SIZE)
    likelihood_labels = models.JSONField(_("likelihood labels"), default=list, blank=True)
    impact_labels = models.JSONField(_("impact labels"), default=list, blank=True)
    cells = models.JSONField(_("cell levels"), default=list, blank=True)
    colours = models.JSONField(_("level colours"), default=dict, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("risk matrix")
        verbose_name_plural = _("risk matrices")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__gte=MIN_SIZE, size__lte=MAX_SIZE), name="risk_matrix_size_range"
            ),
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="risk_matrix_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.size}x{self.size})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_defaults()
        super().save(*args, **kwargs)

    def fill_defaults(self) -> None:
        """Labels, cells and colours left empty take the defaults for the size."""
        if not self.likelihood_labels:
            self.likelihood_labels = default_labels(self.size, "likelihood")
        if not self.impact_labels:
            self.impact_labels = default_labels(self.size, "impact")
        if not self.cells:
            self.cells = default_cells(self.size)
        self.colours = {**{k.value: v for k, v in DEFAULT_COLOURS.items()}, **(self.colours or {})}

    def clean(self) -> None:
        if not isinstance(self.size, int) or not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValidationError({"size": _("A matrix is from 3 x 3 to 6 x 6.")})
        self.fill_defaults()
        errors: dict[str, Any] = {}
        for field in ("likelihood_labels", "impact_labels"):
            labels = getattr(self, field)
            if (
                not isinstance(labels, list)
                or len(labels) != self.size
                or not all(isinstance(x, str) and x.strip() for x in labels)
            ):
                errors[field] = _("Give %(n)s non-empty labels.") % {"n": self.size}
        levels = set(RiskLevel.values)
        if (
            not isinstance(self.cells, list)
            or len(self.cells) != self.size
            or not all(isinstance(row, list) and len(row) == self.size for row in self.cells)
            or not all(cell in levels for row in self.cells for cell in row)
        ):
            errors["cells"] = _("Give %(n)s rows of %(n)s levels, each one of: %(levels)s.") % {
                "n": self.size,
                "levels": ", ".join(RiskLevel.values),
            }
        colours = self.colours
        if not isinstance(colours, dict) or not all(
            key in levels and isinstance(value, str) and value.startswith("#") and len(value) in (4, 7)
            for key, value in colours.items()
        ):
            errors["colours"] = _("Map each level to a colour such as #c62828.")
        if errors:
            raise ValidationError(errors)

    def level(self, likelihood: int, impact: int) -> str:
        """The level of a cell; 1 <= likelihood, impact <= size."""
        if not (1 <= likelihood <= self.size and 1 <= impact <= self.size):
            raise ValueError(f"likelihood and impact are 1 to {self.size}")
        cells = self.cells or default_cells(self.size)
        return str(cells[likelihood - 1][impact - 1])

    def colour(self, level: str) -> str:
        return str((self.colours or {}).get(level) or DEFAULT_COLOURS[RiskLevel(level)])


def matrix_default() -> RiskMatrix:
    """The matrix marked default, created (5 x 5) the first time it is asked for."""
    matrix = RiskMatrix.objects.filter(is_default=True).first()
    if matrix is None:
        matrix, _created = RiskMatrix.objects.get_or_create(
            name="5x5", defaults={"size": DEFAULT_SIZE, "is_default": True}
        )
    return matrix
