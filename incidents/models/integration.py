"""Integrations: the doors monitoring tools and CRMs push alerts through, each with its own key and limits."""

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.fields import EncryptedTextField

from .catalog import Impact, Urgency

# 32 lowercase hex characters (128 bits): the length PagerDuty's routing keys have, which tools that speak
# Events v2 sometimes validate.
KEY_BYTES = 16
KEY_LENGTH = KEY_BYTES * 2

SEVERITY_DEFAULT = "default"

# critical -> P1, error -> P2, warning -> P3, info -> P4 with the default priority matrix.
DEFAULT_SEVERITY_MAP: dict[str, dict[str, int]] = {
    "critical": {"impact": Impact.EXTENSIVE, "urgency": Urgency.CRITICAL},
    "error": {"impact": Impact.SIGNIFICANT, "urgency": Urgency.HIGH},
    "warning": {"impact": Impact.MODERATE, "urgency": Urgency.HIGH},
    "info": {"impact": Impact.MINOR, "urgency": Urgency.LOW},
    SEVERITY_DEFAULT: {"impact": Impact.MODERATE, "urgency": Urgency.HIGH},
}


def default_severity_map() -> dict[str, dict[str, int]]:
    return {name: dict(cell) for name, cell in DEFAULT_SEVERITY_MAP.items()}


def validate_severity_map(value: Any) -> None:
    """`{"critical": {"impact": 1, "urgency": 1}, ...}`: impact and urgency from 1 to 4 for each severity."""
    if not isinstance(value, dict):
        raise ValidationError(_("The severity map must be an object of severity names."))
    for name, cell in value.items():
        if not isinstance(name, str) or not name or len(name) > 32:
            raise ValidationError(_("Severity names are strings of 1 to 32 characters."))
        if not isinstance(cell, dict) or set(cell) != {"impact", "urgency"}:
            raise ValidationError(
                _("Severity %(name)s needs exactly an impact and an urgency.") % {"name": name}
            )
        for field in ("impact", "urgency"):
            number = cell[field]
            if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 4:
                raise ValidationError(
                    _("Severity %(name)s: %(field)s must be a whole number from 1 to 4.")
                    % {"name": name, "field": field}
                )


def key_digest(key: str) -> str:
    """The SHA-256 of a key, as stored. A plain hash suits here: keys are 128 random bits, so there is nothing
    to brute-force, and a request must find its integration by the digest in one indexed lookup."""
    return hashlib.sha256(key.strip().lower().encode()).hexdigest()


def key_generate() -> str:
    return secrets.token_hex(KEY_BYTES)


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
    PAGERDUTY_EVENTS = "pagerduty-events", _("PagerDuty Events API v2")
    GENERIC = "generic", _("generic JSON")


class Integration(models.Model):
    """A monitoring tool or CRM allowed to push alerts, identified by a secret key.

    Only the key's SHA-256 is stored: the key is shown once, when it is created or rotated."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=IntegrationKind.choices)
    service = models.ForeignKey(
        "incidents.Service",
        verbose_name=_("service"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="integrations",
        help_text=_("The service its incidents affect, unless an alert names a known service itself."),
    )
    severity_map = models.JSONField(
        _("severity map"),
        default=default_severity_map,
        validators=[validate_severity_map],
        help_text=_('Impact and urgency for each alert severity; "default" is used for any other severity.'),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    key_hash = models.CharField(_("key digest"), max_length=64, unique=True, editable=False)
    key_hint = models.CharField(
        _("key hint"),
        max_length=8,
        editable=False,
        help_text=_("The key's first characters, to tell keys apart."),
    )
    key_rotated_at = models.DateTimeField(_("key created at"), null=True, blank=True, editable=False)
    # Encrypted at rest (config/encryption.py): it must be read back to verify signatures.
    hmac_secret = EncryptedTextField(
        _("HMAC secret"),
        max_length=200,
        blank=True,
        help_text=_(
            "When set, every request must carry a valid X-Vigil-Signature (see docs/integrations.md)."
        ),
    )
    storm_rate_per_minute = models.PositiveIntegerField(
        _("storm rate per minute"),
        default=20,
        help_text=_(
            "Above this many new alert groups in a minute, new alerts fold into one storm incident "
            "flagged for a major-incident decision."
        ),
    )
    hard_cap_per_minute = models.PositiveIntegerField(
        _("hard cap per minute"),
        default=3000,
        help_text=_(
            "Above this many requests in a minute the PagerDuty and generic endpoints answer 429 with "
            "Retry-After. Alertmanager is never refused: it drops what gets a 429."
        ),
    )
    reopen_window_minutes = models.PositiveIntegerField(
        _("reopen window (minutes)"),
        default=0,
        help_text=_(
            "When above 0, an alert firing again within this time after its incident was resolved reopens "
            "that incident instead of opening a new one."
        ),
    )
    heartbeat_interval_minutes = models.PositiveIntegerField(
        _("heartbeat interval (minutes)"),
        default=0,
        help_text=_(
            "When above 0, the monitor must check in at least this often; a missed check-in opens an incident."
        ),
    )
    last_heartbeat_at = models.DateTimeField(_("last check-in"), null=True, blank=True, editable=False)
    heartbeat_due_at = models.DateTimeField(
        _("next check-in due"), null=True, blank=True, editable=False, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def impact_urgency_for(self, severity: str) -> tuple[int, int]:
        """The impact and urgency this integration gives an alert severity."""
        severity_map = self.severity_map or {}
        cell = (
            severity_map.get((severity or "").lower())
            or severity_map.get(SEVERITY_DEFAULT)
            or DEFAULT_SEVERITY_MAP[SEVERITY_DEFAULT]
        )
        return int(cell["impact"]), int(cell["urgency"])

    def set_key(self, key: str) -> None:
        """Stores the key's digest and hint; the key itself is never kept."""
        self.key_hash = key_digest(key)
        self.key_hint = key[:4]
