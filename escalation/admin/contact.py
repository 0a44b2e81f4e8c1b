"""Contact methods and personal notification rules. The address of a contact method is checked by the model
(`ContactMethod.clean()`), so this form refuses what the API refuses."""

from django.contrib import admin

from ..models import ContactMethod, NotificationRule
from .base import AuditedAdminMixin


@admin.register(ContactMethod)
class ContactMethodAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "channel", "label", "address", "is_active")
    list_filter = ("channel", "is_active")
    search_fields = ("user__username", "address", "label")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)


@admin.register(NotificationRule)
class NotificationRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "contact_method", "delay", "max_priority")
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)
    list_select_related = ("user", "contact_method")
