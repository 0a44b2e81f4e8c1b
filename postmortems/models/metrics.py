"""Metric rollups: the figures of each counted incident, and their sums per day and group.

The definitions are `incidents.metrics`; these tables only store what it computes, so that reports over
years of history read a few thousand rows instead of millions of incidents (docs/reports.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MetricFact(models.Model):
    """The figures of one counted incident (`incidents.metrics.IncidentFigures`), kept so that a change to
    one incident recomputes only the days it touches (the day it was reported, the day it was resolved, and
    the days it was attributed to before), and filtered reports can sum any combination of groups.

    No foreign key constraint: the full recompute writes a million rows with COPY; a deleted incident marks
    itself dirty and its row goes at the next refresh."""

    incident = models.OneToOneField(
        "incidents.Incident",
        verbose_name=_("incident"),
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    reported_day = models.DateField(_("reported on"))
    resolved_day = models.DateField(_("resolved on"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"))
    service_id = models.BigIntegerField(_("service id"), null=True, blank=True)
    team_id = models.BigIntegerField(_("team id"), null=True, blank=True)
    category_id = models.BigIntegerField(_("category id"), null=True, blank=True)
    ack_seconds = models.BigIntegerField(_("time to acknowledge (s)"), null=True, blank=True)
    ack_business_seconds = models.BigIntegerField(
        _("time to acknowledge, business (s)"), null=True, blank=True
    )
    resolve_seconds = models.BigIntegerField(_("time to resolve (s)"), null=True, blank=True)
    resolve_business_seconds = models.BigIntegerField(
        _("time to resolve, business (s)"), null=True, blank=True
    )
    detect_seconds = models.BigIntegerField(_("time to detect (s)"), null=True, blank=True)
    detect_business_seconds = models.BigIntegerField(_("time to detect, business (s)"), null=True, blank=True)
    mitigate_seconds = models.BigIntegerField(_("time to mitigate (s)"), null=True, blank=True)
    mitigate_business_seconds = models.BigIntegerField(
        _("time to mitigate, business (s)"), null=True, blank=True
    )
    sla_ack_met = models.BooleanField(_("acknowledge SLA met"), null=True, blank=True)
    sla_resolve_met = models.BooleanField(_("resolve SLA met"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident figures")
        verbose_name_plural = _("incident figures")
        indexes = [
            models.Index(fields=["reported_day"], name="metric_fact_reported"),
            models.Index(fields=["resolved_day"], name="metric_fact_resolved"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.reported_day}"


class Dimension(models.TextChoices):
    ALL = "all", _("all incidents")
    PRIORITY = "priority", _("priority")
    SERVICE = "service", _("service")
    TEAM = "team", _("team")
    CATEGORY = "category", _("category")


class MetricRollup(models.Model):
    """The sums of one day (in the reporting zone) for one group: all incidents, or one priority, service,
    team or category (`key`: its id or priority number; 0 for "all" and for incidents without that group).

    Figures of the incidents reported that day, except `resolved_on_day` (those resolved that day)."""

    day = models.DateField(_("day"))
    dimension = models.CharField(_("grouped by"), max_length=10, choices=Dimension.choices)
    key = models.BigIntegerField(_("group"), default=0, db_default=0)
    # One column per sum of `incidents.metrics.SUM_NAMES` (a test holds them together). Counts are never null;
    # sums of seconds are null where nothing was measured (time to detect and to mitigate, until recorded).
    # Database defaults too: the rebuild inserts each sum from its own query (postmortems.rollups).
    incident_count = models.PositiveIntegerField(_("incidents"), default=0, db_default=0)
    major_incident_count = models.PositiveIntegerField(_("major incidents"), default=0, db_default=0)
    ack_count = models.PositiveIntegerField(_("acknowledged"), default=0, db_default=0)
    ack_seconds_sum = models.BigIntegerField(_("sum of times to acknowledge (s)"), null=True, blank=True)
    ack_business_seconds_sum = models.BigIntegerField(
        _("sum of times to acknowledge, business (s)"), null=True, blank=True
    )
    resolve_count = models.PositiveIntegerField(_("resolved"), default=0, db_default=0)
    resolve_seconds_sum = models.BigIntegerField(_("sum of times to resolve (s)"), null=True, blank=True)
    resolve_business_seconds_sum = models.BigIntegerField(
        _("sum of times to resolve, business (s)"), null=True, blank=True
    )
    detect_count = models.PositiveIntegerField(_("with a time to detect"), default=0, db_default=0)
    detect_seconds_sum = models.BigIntegerField(_("sum of times to detect (s)"), null=True, blank=True)
    detect_business_seconds_sum = models.BigIntegerField(
        _("sum of times to detect, business (s)"), null=True, blank=True
    )
    mitigate_count = models.PositiveIntegerField(_("mitigated"), default=0, db_default=0)
    mitigate_seconds_sum = models.BigIntegerField(_("sum of times to mitigate (s)"), null=True, blank=True)
    mitigate_business_seconds_sum = models.BigIntegerField(
        _("sum of times to mitigate, business (s)"), null=True, blank=True
    )
    sla_ack_met_count = models.PositiveIntegerField(_("acknowledge SLA met"), default=0, db_default=0)
    sla_ack_breached_count = models.PositiveIntegerField(
        _("acknowledge SLA breached"), default=0, db_default=0
    )
    sla_resolve_met_count = models.PositiveIntegerField(_("resolve SLA met"), default=0, db_default=0)
    sla_resolve_breached_count = models.PositiveIntegerField(
        _("resolve SLA breached"), default=0, db_default=0
    )
    resolved_on_day = models.PositiveIntegerField(_("resolved that day"), default=0, db_default=0)

    class Meta:
        verbose_name = _("metric rollup")
        verbose_name_plural = _("metric rollups")
        ordering = ["day", "dimension", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "day", "key"], name="metric_rollup_dimension_day_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.key}"


class MetricDirty(models.Model):
    """An incident whose figures changed since the last refresh: written in the changing transaction
    (append only, so concurrent writers never wait on each other), taken by the refresh task."""

    incident_id = models.BigIntegerField(_("incident id"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("incident to refresh")
        verbose_name_plural = _("incidents to refresh")

    def __str__(self) -> str:
        return str(self.incident_id)


class MetricState(models.Model):
    """One row: the lock refreshes take (one at a time) and what the stored figures were computed with."""

    calendar_fingerprint = models.CharField(_("reporting calendar fingerprint"), max_length=64, blank=True)
    refreshed_at = models.DateTimeField(_("last refresh"), null=True, blank=True)
    recomputed_at = models.DateTimeField(_("last full recompute"), null=True, blank=True)

    class Meta:
        verbose_name = _("metric state")
        verbose_name_plural = _("metric state")

    def __str__(self) -> str:
        return f"refreshed {self.refreshed_at}"
