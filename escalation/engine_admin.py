"""Admin pages of the engine: SLA and escalation policies, contact methods and rules, stakeholders, webhook
subscriptions with their delivery log, and the outbox with a retry action. Imported by escalation/admin.py."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.errors import VigilError

from .channels import private_address
from .models import (
    CommunicationRule,
    ContactMethod,
    DeliveryAttempt,
    Escalation,
    EscalationLevel,
    EscalationPolicy,
    Notification,
    NotificationRule,
    ReportingRule,
    SlaClock,
    SlaPolicy,
    StakeholderGroup,
    Timer,
    WebhookSubscription,
)
from .outbox import notification_retry


class _ReadOnly(admin.ModelAdmin):
    """Rows the engine writes; people look, they do not edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "priority",
        "service_id",
        "category_id",
        "time_to_acknowledge",
        "time_to_resolve",
        "warning_percent",
        "calendar",
        "escalation_policy",
        "is_active",
    )
    list_filter = ("priority", "is_active", "calendar")
    search_fields = ("name",)
    list_select_related = ("calendar", "escalation_policy")


class EscalationLevelInline(admin.TabularInline):
    model = EscalationLevel
    extra = 1
    ordering = ("position",)
    fields = ("position", "delay", "users", "team", "schedule", "notify_service_owner", "notify_team_manager")
    autocomplete_fields = ("users",)


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "calendar", "repeat_count", "is_default")
    search_fields = ("name", "description")
    inlines = [EscalationLevelInline]


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ("user", "channel", "label", "address", "is_active")
    list_filter = ("channel", "is_active")
    search_fields = ("user__username", "address", "label")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    list_display = ("user", "contact_method", "delay", "max_priority")
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)
    list_select_related = ("user", "contact_method")


@admin.register(StakeholderGroup)
class StakeholderGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "audience")
    list_filter = ("audience",)
    search_fields = ("name",)
    filter_horizontal = ("users", "teams")


@admin.register(CommunicationRule)
class CommunicationRuleAdmin(admin.ModelAdmin):
    list_display = ("event", "priority", "audience", "channel", "template", "owner", "is_active")
    list_filter = ("event", "audience", "priority", "is_active")


@admin.register(ReportingRule)
class ReportingRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "category_id", "priority", "group", "within_minutes", "channel", "is_active")
    list_filter = ("priority", "is_active")
    search_fields = ("name",)


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
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    inlines = [DeliveryInline]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("started_at", "ok", "status_code", "duration_ms", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
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


@admin.register(Escalation)
class EscalationAdmin(_ReadOnly):
    list_display = (
        "subject_type",
        "subject_id",
        "policy",
        "state",
        "level",
        "cycle",
        "started_at",
        "acknowledged_at",
    )
    list_filter = ("state",)
    list_select_related = ("subject_type", "policy")


@admin.register(SlaClock)
class SlaClockAdmin(_ReadOnly):
    list_display = ("subject_type", "subject_id", "kind", "state", "due_at", "met_at", "breached_at")
    list_filter = ("state", "kind")
    list_select_related = ("subject_type",)


@admin.register(Timer)
class TimerAdmin(_ReadOnly):
    list_display = ("kind", "subject_type", "subject_id", "due_at", "state", "fired_at", "attempts")
    list_filter = ("state", "kind")
    list_select_related = ("subject_type",)
