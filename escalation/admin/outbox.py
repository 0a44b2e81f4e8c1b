"""The notification outbox (read-only) with its delivery attempts, and an action that sends failed or
cancelled rows again."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.errors import VigilError

from ..channels import private_address
from ..models import DeliveryAttempt, Notification
from ..outbox import notification_retry
from .base import ReadOnlyAdmin


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("started_at", "ok", "status_code", "duration_ms", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "reason",
        "channel",
        "shown_address",
        "recipient",
        "state",
        "attempts",
        "sent_at",
        "deadline_at",
    )
    list_filter = ("state", "channel", "reason", "subscription")
    search_fields = ("address", "idempotency_key", "title")
    date_hierarchy = "created_at"
    list_select_related = ("recipient",)
    inlines = [DeliveryAttemptInline]
    actions = ["retry"]
    # Agents read the outbox too: Apprise URLs (service tokens) are shown redacted, here as in the API.
    exclude = ("address",)
    readonly_fields = ("shown_address",)

    @admin.display(description=_("address"))
    def shown_address(self, notification: Notification) -> str:
        return private_address(notification.channel, notification.address)

    @admin.action(description=_("Send again (failed or cancelled rows)"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        done = 0
        for notification in queryset:
            try:
                notification_retry(notification_id=notification.pk)
            except VigilError as error:
                messages.warning(request, f"{notification.pk}: {error.detail}")
            else:
                done += 1
        messages.success(
            request,
            ngettext("%(n)d notification queued again.", "%(n)d notifications queued again.", done)
            % {"n": done},
        )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("escalation.change_notification")
