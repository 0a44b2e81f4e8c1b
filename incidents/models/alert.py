"""Alerts as received: the request body, each alert in it, and the groups that fold repeats into one incident."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .integration import IntegrationKind


class PayloadFormat(models.TextChoices):
    ALERTMANAGER = IntegrationKind.ALERTMANAGER.value, IntegrationKind.ALERTMANAGER.label
    PAGERDUTY_EVENTS = IntegrationKind.PAGERDUTY_EVENTS.value, IntegrationKind.PAGERDUTY_EVENTS.label
    GENERIC = IntegrationKind.GENERIC.value, IntegrationKind.GENERIC.label
    HEARTBEAT = "heartbeat", _("heartbeat (Vigil)")


class AlertPayload(models.Model):
    """One accepted request body, kept as received (NUL characters escaped, which PostgreSQL cannot store)."""

    # No database constraint on the hot path's references to shared rows: each would take a KEY SHARE lock on
    # the one integration (and incident) row that every concurrent request references, and those locks pile
    # up as multixacts. Django's on_delete still guards them; the rows are an append-only log.
    integration = models.ForeignKey(
        "incidents.Integration",
        verbose_name=_("integration"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    format = models.CharField(_("format"), max_length=20, choices=PayloadFormat.choices)
    received_at = models.DateTimeField(_("received at"))
    raw_body = models.TextField(_("raw body"), blank=True)
    remote_addr = models.GenericIPAddressField(_("remote address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("alert payload")
        verbose_name_plural = _("alert payloads")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} @ {self.received_at:%Y-%m-%d %H:%M:%S}"


class AlertGroup(models.Model):
    """Every alert of one integration with one dedup key while it is open: the unit that opens, joins and
    resolves an incident.

    At most one open group per integration and key (a partial unique constraint), so concurrent alerts with
    one key can never open two incidents. `fingerprints` tracks each alert of the group, so the group closes
    only when every one of them has resolved."""

    # Written by every new alert group: no database constraint towards the integration row that concurrent
    # requests share (see AlertPayload), no single-column index where a composite one below leads.
    integration = models.ForeignKey(
        "incidents.Integration",
        verbose_name=_("integration"),
        on_delete=models.PROTECT,
        related_name="alert_groups",
        db_constraint=False,
        db_index=False,
    )
    dedup_key = models.CharField(_("dedup key"), max_length=255)
    source_key = models.TextField(
        _("source key"), blank=True, help_text=_("The key as the source names it (Alertmanager's groupKey).")
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alert_groups",
        db_index=False,
    )
    is_open = models.BooleanField(_("open"), default=True)
    is_storm = models.BooleanField(
        _("storm"), default=False, help_text=_("The group holding an integration's storm incident.")
    )
    fingerprints = models.JSONField(
        _("fingerprints"),
        default=dict,
        blank=True,
        help_text=_('Each alert of the group: {"<fingerprint>": {"firing": true, "starts_at": "..."}}.'),
    )
    alert_count = models.PositiveIntegerField(_("alerts received"), default=0)
    opened_at = models.DateTimeField(_("opened at"))
    last_alert_at = models.DateTimeField(_("last alert at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert group")
        verbose_name_plural = _("alert groups")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "dedup_key"],
                condition=models.Q(is_open=True),
                name="alert_group_one_open_per_key",
            ),
        ]
        indexes = [
            # The storm check counts the groups an integration opened in the last minute.
            models.Index(fields=["integration", "opened_at"], name="alert_group_integration_opened"),
            models.Index(fields=["integration", "dedup_key", "closed_at"], name="alert_group_key_closed"),
            models.Index(fields=["incident", "is_open"], name="alert_group_incident_open"),
        ]

    def __str__(self) -> str:
        return f"{self.integration_id}/{self.dedup_key}"

    @property
    def firing_fingerprints(self) -> list[str]:
        return sorted(fp for fp, state in self.fingerprints.items() if state.get("firing"))


class AlertStatus(models.TextChoices):
    FIRING = "firing", _("firing")
    RESOLVED = "resolved", _("resolved")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")


class Alert(models.Model):
    """One alert as a tool reported it: its labels, annotations, status and times, and where it went (the
    incident it opened or joined, or the silence that held it back)."""

    # Every insert here is on the ingestion hot path: no database constraint towards the rows all concurrent
    # requests share (see AlertPayload), and no single-column index where a composite one below leads with
    # the column, or where nothing reads by it (payloads and groups are never deleted).
    integration = models.ForeignKey(
        "incidents.Integration",
        verbose_name=_("integration"),
        on_delete=models.PROTECT,
        related_name="alerts",
        db_constraint=False,
        db_index=False,
    )
    payload = models.ForeignKey(
        AlertPayload,
        verbose_name=_("payload"),
        on_delete=models.CASCADE,
        related_name="alerts",
        db_index=False,
    )
    group = models.ForeignKey(
        AlertGroup,
        verbose_name=_("group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        db_index=False,
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        db_constraint=False,
        db_index=False,
    )
    silence = models.ForeignKey(
        "incidents.Silence",
        verbose_name=_("silenced by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        db_index=False,
    )
    dedup_key = models.CharField(_("dedup key"), max_length=255)
    fingerprint = models.CharField(_("fingerprint"), max_length=255)
    status = models.CharField(_("status"), max_length=20, choices=AlertStatus.choices)
    severity = models.CharField(_("severity"), max_length=32, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    # The labels as `name=value` words: what incident search reads, on every database.
    labels_text = models.TextField(_("labels (text)"), blank=True)
    annotations = models.JSONField(_("annotations"), default=dict, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["incident", "received_at"], name="alert_incident_received"),
            models.Index(fields=["integration", "received_at"], name="alert_integration_received"),
            models.Index(fields=["received_at"], name="alert_received"),
            models.Index(
                fields=["silence"], name="alert_silenced", condition=models.Q(silence__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.summary[:60] or self.fingerprint}"
