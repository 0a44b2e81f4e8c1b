"""Who must be kept informed: stakeholder groups, the communication plan and reporting rules."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..registry import event_choices
from .contact import validate_address
from .outbox import Channel


def plain_address_channel(address: str) -> str:
    """How a plain address (one line of a stakeholder group's) is reached: e-mail when it holds an @ and no
    scheme, else Apprise."""
    return Channel.EMAIL if "@" in address and "://" not in address else Channel.APPRISE


class Audience(models.TextChoices):
    TECHNICAL = "technical", _("technical team")
    MANAGEMENT = "management", _("management")
    SLA_OWNERS = "sla_owners", _("SLA owners")
    AFFECTED_USERS = "affected_users", _("affected users")


class StakeholderGroup(models.Model):
    """People to keep informed, for one audience. Members are users (reached through their contact methods)
    and/or plain addresses (one e-mail address or Apprise URL per line) for people without an account."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("users"), blank=True, related_name="stakeholder_groups"
    )
    teams = models.ManyToManyField(
        "escalation.Team", verbose_name=_("teams"), blank=True, related_name="stakeholder_groups"
    )
    addresses = models.TextField(
        _("other addresses"), blank=True, help_text=_("One e-mail address or Apprise URL per line.")
    )

    class Meta:
        verbose_name = _("stakeholder group")
        verbose_name_plural = _("stakeholder groups")
        ordering = ["audience", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_audience_display()})"

    def address_list(self) -> list[str]:
        return [line.strip() for line in self.addresses.splitlines() if line.strip()]

    def clean(self) -> None:
        errors = []
        for number, line in enumerate(self.addresses.splitlines(), start=1):
            address = line.strip()
            if not address:
                continue
            try:
                validate_address(plain_address_channel(address), address)
            except ValidationError as error:
                errors += [
                    ValidationError(
                        _("Line %(number)d: %(error)s"),
                        code="invalid_address",
                        params={"number": number, "error": message},
                    )
                    for message in error.messages
                ]
        if errors:
            raise ValidationError({"addresses": errors})


class CommunicationRule(models.Model):
    """One line of the communication plan: for subjects of this priority (empty: any), this audience hears
    about this event over this channel, rendered from this template; `owner` answers for it."""

    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    event = models.CharField(_("event"), max_length=60, choices=event_choices)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=Channel.choices,
        blank=True,
        help_text=_("Empty: each user's own contact methods; plain addresses by their kind."),
    )
    template = models.CharField(
        _("template"),
        max_length=100,
        default="event",
        help_text=_("Name under escalation/notifications/: <name>_subject.txt and <name>_body.txt."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("communication rule")
        verbose_name_plural = _("communication plan")
        ordering = ["priority", "event", "audience"]

    def __str__(self) -> str:
        scope = f"P{self.priority}" if self.priority else _("any priority")
        return f"{scope} {self.event} -> {self.get_audience_display()}"


class ReportingRule(models.Model):
    """From the seed material's reporting flow: for this category and priority (empty: any), this group must
    be told within this many minutes of the subject being opened."""

    name = models.CharField(_("name"), max_length=100)
    subject_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("applies to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The kind of record this rule is for (incidents, major incidents, ...). Empty: any kind."
        ),
    )
    category_id = models.PositiveBigIntegerField(_("category id"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    group = models.ForeignKey(
        StakeholderGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="reporting_rules"
    )
    within_minutes = models.PositiveIntegerField(_("within (minutes)"), default=15)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reporting rule")
        verbose_name_plural = _("reporting rules")
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return _("%(name)s: %(group)s within %(minutes)d min") % {
            "name": self.name,
            "group": self.group,
            "minutes": self.within_minutes,
        }
