"""How to reach a person: contact methods and personal notification rules."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.fields import EncryptedTextField

from ..outbound import host_check, url_check
from .outbox import Channel


def validate_address(channel: str, address: str) -> None:
    """The one rule for an address of a channel: an e-mail address, a URL that Apprise understands, or a
    webhook URL. Contact methods and stakeholder groups' plain addresses are checked with it, in the admin's
    forms and in the API alike (through the models' `clean()`)."""
    if channel == Channel.EMAIL:
        validate_email(address)
    elif channel == Channel.WEBHOOK:
        URLValidator()(address)
        url_check(address)
    elif channel == Channel.APPRISE:
        import apprise  # heavy: loaded on first use only

        plugin = apprise.Apprise.instantiate(address)
        if plugin is None:
            raise ValidationError(_("Apprise does not understand this URL."), code="invalid_apprise_url")
        # Services with a fixed public host (Telegram, Slack...) have none of the user's; self-hosted ones do.
        host_check(str(getattr(plugin, "host", "") or ""))


class ContactMethod(models.Model):
    """One way to reach a user: an e-mail address, any Apprise URL (Slack, Teams, Telegram, SMS gateways, ...)
    or a webhook URL (signed with `secret`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="contact_methods",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.TextField(_("address"), help_text=_("E-mail address, Apprise URL or webhook URL."))
    label = models.CharField(_("label"), max_length=60, blank=True)
    # Encrypted at rest (config/encryption.py): it must be read back to sign.
    secret = EncryptedTextField(
        _("signing secret"), max_length=200, blank=True, help_text=_("Webhooks only: the HMAC-SHA256 key.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contact method")
        verbose_name_plural = _("contact methods")
        ordering = ["user", "id"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_channel_display()} {self.label or self.address[:40]}"

    def clean(self) -> None:
        # An empty address or an unknown channel is already refused by the field itself.
        if self.address:
            try:
                validate_address(self.channel, self.address)
            except ValidationError as error:
                raise ValidationError({"address": error.error_list}) from None


class NotificationRule(models.Model):
    """A personal rule: when paged, use this contact method after this delay if the page is not acknowledged
    (for example: e-mail at once, SMS after 5 minutes). A user without rules is e-mailed at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_rules",
    )
    contact_method = models.ForeignKey(
        ContactMethod, verbose_name=_("contact method"), on_delete=models.CASCADE, related_name="rules"
    )
    delay = models.DurationField(_("delay"), default=timedelta)
    max_priority = models.PositiveSmallIntegerField(
        _("for priorities up to"),
        default=4,
        help_text=_("1 = only P1, 4 = every priority. Subjects without a priority count as P1."),
    )

    class Meta:
        verbose_name = _("notification rule")
        verbose_name_plural = _("notification rules")
        ordering = ["user", "delay", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_priority__gte=1, max_priority__lte=4), name="rule_max_priority_range"
            ),
        ]

    def __str__(self) -> str:
        minutes = int(self.delay.total_seconds() // 60)
        return _("%(user)s: %(channel)s after %(minutes)d min") % {
            "user": self.user,
            "channel": self.contact_method.get_channel_display(),
            "minutes": minutes,
        }
