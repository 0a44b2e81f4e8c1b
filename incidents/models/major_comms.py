"""Communicating about major incidents: structured status updates, the public status page's services and its
e-mail subscribers."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from escalation.models import Audience

PUBLIC = "public"


def update_audience_choices() -> list[tuple[str, object]]:
    """The communication plan's audiences, and the public (the status page and its subscribers)."""
    return [*Audience.choices, (PUBLIC, _("the public (status page and its subscribers)"))]


class StatusUpdate(models.Model):
    """What the communications lead tells the audiences: current status, impact, actions under way and when
    the next update comes. Each chosen audience hears it through the communication plan, in its template and
    each reader's language; `public` puts it on the status page and mails the page's subscribers."""

    major_incident = models.ForeignKey(
        "incidents.MajorIncident",
        verbose_name=_("major incident"),
        on_delete=models.CASCADE,
        related_name="status_updates",
    )
    status = models.TextField(_("current status"))
    impact = models.TextField(_("impact"), blank=True)
    actions = models.TextField(_("actions under way"), blank=True)
    next_update_at = models.DateTimeField(_("next update by"), null=True, blank=True)
    audiences = models.JSONField(_("audiences"), default=list)
    is_public = models.BooleanField(_("public"), default=False, editable=False)
    public_text = models.TextField(
        _("public text"),
        blank=True,
        help_text=_("What the status page shows; empty: the current status."),
    )
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    event_id = models.CharField(_("event id"), max_length=40, blank=True, editable=False)

    class Meta:
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")
        ordering = ["major_incident", "-published_at", "-id"]
        indexes = [
            models.Index(fields=["major_incident", "published_at"], name="status_update_published"),
            models.Index(fields=["is_public", "published_at"], name="status_update_public"),
        ]

    def __str__(self) -> str:
        return self.status[:80]

    @property
    def public_message(self) -> str:
        return self.public_text or self.status


class StatusPageService(models.Model):
    """A service shown on the public status page, under the name the public knows it by. Its state is derived
    from the active major incidents that affect it and that the communications lead has made public."""

    service = models.OneToOneField(
        "incidents.Service",
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        related_name="status_page_entry",
    )
    public_name = models.CharField(_("public name"), max_length=200)
    description = models.CharField(_("description"), max_length=500, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("status page service")
        verbose_name_plural = _("status page services")
        ordering = ["position", "public_name"]

    def __str__(self) -> str:
        return self.public_name


class StatusSubscription(models.Model):
    """An e-mail address that asked to hear the status page's public updates: confirmed by a signed link
    (double opt-in), ended by another (one click)."""

    email = models.EmailField(_("e-mail"), unique=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("subscribed at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("status page subscription")
        verbose_name_plural = _("status page subscriptions")
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.email
