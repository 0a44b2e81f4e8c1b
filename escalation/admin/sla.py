"""SLA policies, and the clocks that run on subjects (read-only)."""

from django.contrib import admin

from ..models import SlaClock, SlaPolicy
from .base import AuditedAdminMixin, ReadOnlyAdmin, SubjectTypeChoicesMixin


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdminMixin, SubjectTypeChoicesMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "subject_type",
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
    list_filter = ("priority", "is_active", "calendar", "subject_type")
    search_fields = ("name",)
    list_select_related = ("calendar", "escalation_policy", "subject_type")


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdmin):
    list_display = ("subject_type", "subject_id", "kind", "state", "due_at", "met_at", "breached_at")
    list_filter = ("state", "kind")
    list_select_related = ("subject_type",)
