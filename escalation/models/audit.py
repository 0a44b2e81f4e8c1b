"""The audit log of configuration changes: who changed what, when, and the row before and after."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")


class AuditVia(models.TextChoices):
    API = "api", _("API")
    ADMIN = "admin", _("admin")
    OTHER = "other", _("other")


class AuditEntry(models.Model):
    """One change to Vigil's configuration (policies, integrations, roles, matrices, subscriptions, rules),
    written in the transaction of the change and never edited afterwards: on PostgreSQL a trigger refuses
    every UPDATE and DELETE of this table, and nobody holds a permission to change or delete it."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # No database constraint and no cascade: deleting a person must neither delete nor rewrite their entries.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("who (name)"), max_length=150, blank=True)
    via = models.CharField(_("through"), max_length=10, choices=AuditVia.choices, default=AuditVia.OTHER)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("kind"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("configuration change")
        verbose_name_plural = _("configuration changes")
        ordering = ["-at", "-id"]
        # Read-only for everyone: managers receive the view permission only (incidents.roles).
        default_permissions = ("view",)
        indexes = [models.Index(fields=["content_type", "object_id", "-at"], name="audit_object_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.get_action_display()} {self.object_repr}"
