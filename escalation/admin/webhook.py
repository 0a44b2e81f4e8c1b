"""Outbound webhook subscriptions, with their delivery log inline. The signing secret is never shown back
(config.fields.SecretInput): one Vigil generates is shown once, in a message, like the API's answer."""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Notification, WebhookSubscription
from .base import AuditedAdminMixin


class DeliveryInline(admin.TabularInline):
    """The subscription's delivery log: newest first, read-only."""

    model = Notification
    fk_name = "subscription"
    fields = ("created_at", "reason", "state", "attempts", "sent_at", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at",)
    show_change_link = True
    verbose_name_plural = _("deliveries")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "url", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    inlines = [DeliveryInline]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and form.cleaned_data.get("secret") is None:
            messages.warning(
                request,
                format_html(
                    gettext(
                        "Signing secret of {}: <code>{}</code> - copy it now, it is shown only this once."
                    ),
                    obj.name,
                    obj.secret,
                ),
            )
