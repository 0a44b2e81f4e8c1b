"""The weekly risk radar: one snapshot row per week and area."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .risk import Area


class RadarSnapshot(models.Model):
    """The risk index of an area for a week (from residual levels and KRI states), compared with the
    previous week's."""

    week_start = models.DateField(_("week starting"))
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="snapshots")
    index = models.FloatField(_("risk index"))
    previous_index = models.FloatField(_("previous index"), null=True, blank=True)
    risk_count = models.PositiveIntegerField(_("open risks"), default=0)
    levels = models.JSONField(_("risks per level"), default=dict, blank=True)
    kri_yellow = models.PositiveIntegerField(_("yellow KRIs"), default=0)
    kri_red = models.PositiveIntegerField(_("red KRIs"), default=0)
    threshold = models.FloatField(_("threshold"))
    alerted = models.BooleanField(_("alerted"), default=False)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("radar snapshot")
        verbose_name_plural = _("radar snapshots")
        ordering = ["-week_start", "area__name"]
        constraints = [models.UniqueConstraint(fields=["week_start", "area"], name="radar_one_per_week_area")]

    def __str__(self) -> str:
        return f"{self.week_start:%G-W%V} {self.area_id} {self.index:.1f}"

    @property
    def change(self) -> float | None:
        return None if self.previous_index is None else self.index - self.previous_index


class RadarDigest(models.Model):
    """One row per week whose radar digest was sent: its unique week makes the digest go once."""

    week_start = models.DateField(_("week starting"), unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("radar digest")
        verbose_name_plural = _("radar digests")
        ordering = ["-week_start"]

    def __str__(self) -> str:
        return f"{self.week_start:%G-W%V}"
