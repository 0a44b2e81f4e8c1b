"""Silences (maintenance windows): alerts that match are stored and shown, but open no incident."""

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

MATCH_OPERATORS = ("=", "!=", "=~", "!~")


def validate_matchers(value: Any) -> None:
    """`[{"name": "alertname", "op": "=", "value": "DiskFull"}, ...]`, operators as Alertmanager's."""
    if not isinstance(value, list):
        raise ValidationError(_("Matchers must be a list."))
    if len(value) > 20:
        raise ValidationError(_("A silence takes at most 20 matchers."))
    for matcher in value:
        if (
            not isinstance(matcher, dict)
            or set(matcher) - {"name", "op", "value"}
            or not isinstance(matcher.get("name"), str)
            or not matcher["name"]
            or not isinstance(matcher.get("value"), str)
            or matcher.get("op", "=") not in MATCH_OPERATORS
        ):
            raise ValidationError(
                _('Each matcher is {"name": ..., "op": "=", "!=", "=~" or "!~", "value": ...}.')
            )
        if len(matcher["value"]) > 500 or len(matcher["name"]) > 100:
            raise ValidationError(_("Matcher names take 100 characters at most, values 500."))
        if matcher.get("op", "=") in ("=~", "!~"):
            try:
                re.compile(matcher["value"])
            except re.error as error:
                raise ValidationError(
                    _("Matcher %(name)s: invalid regular expression (%(error)s).")
                    % {"name": matcher["name"], "error": error}
                ) from None


def _matches(matcher: dict[str, str], labels: dict[str, str]) -> bool:
    op, actual = matcher.get("op", "="), labels.get(matcher["name"], "")
    if op == "=":
        return actual == matcher["value"]
    if op == "!=":
        return actual != matcher["value"]
    # Anchored, as in Alertmanager.
    found = re.fullmatch(matcher["value"], actual) is not None
    return found if op == "=~" else not found


class Silence(models.Model):
    """A maintenance window for a service, an integration or the alerts whose labels match. Every condition
    given must hold; alerts that match are stored and visible but open no incident and page nobody."""

    name = models.CharField(_("name"), max_length=200)
    comment = models.TextField(_("comment"), blank=True)
    service = models.ForeignKey(
        "incidents.Service",
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="silences",
    )
    integration = models.ForeignKey(
        "incidents.Integration",
        verbose_name=_("integration"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="silences",
    )
    matchers = models.JSONField(_("label matchers"), default=list, blank=True, validators=[validate_matchers])
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("silence")
        verbose_name_plural = _("silences")
        ordering = ["ends_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="silence_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.service_id is None and self.integration_id is None and not self.matchers:
            raise ValidationError(_("A silence needs a service, an integration or at least one matcher."))
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A silence must end after it starts.")})

    def is_active_at(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def matches(self, *, integration_id: int, service_id: int | None, labels: dict[str, str]) -> bool:
        if self.integration_id is not None and self.integration_id != integration_id:
            return False
        if self.service_id is not None and self.service_id != service_id:
            return False
        return all(_matches(matcher, labels) for matcher in self.matchers)
