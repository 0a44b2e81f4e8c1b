"""Outbound webhook subscriptions for CRMs and chat tools."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.fields import EncryptedTextField

from ..outbound import url_check


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """A URL that receives signed JSON for the events it subscribes to (names registered with
    `escalation.registry.event_register`). An empty event list means all."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list, blank=True)
    # Encrypted at rest (config/encryption.py): it must be read back to sign.
    secret = EncryptedTextField(_("signing secret"), max_length=200, default=_new_secret)
    is_active = models.BooleanField(_("active"), default=True)
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
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.url:
            try:
                url_check(self.url)
            except ValidationError as error:
                raise ValidationError({"url": error.error_list}) from None

    def wants(self, event: str) -> bool:
        return self.is_active and (not self.events or event in self.events)
