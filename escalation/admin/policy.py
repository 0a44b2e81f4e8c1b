"""Escalation policies with their levels, and the escalations that run them (read-only)."""

from django import forms
from django.contrib import admin

from ..models import Escalation, EscalationLevel, EscalationPolicy
from .base import AuditedAdminMixin, ReadOnlyAdmin, SubjectRolesField

LEVEL_FIELDS = (
    "position",
    "delay",
    "users",
    "team",
    "schedule",
    "notify_service_owner",
    "notify_team_manager",
    "subject_roles",
)


class EscalationLevelForm(forms.ModelForm):
    subject_roles = SubjectRolesField(label=EscalationLevel._meta.get_field("subject_roles").verbose_name)

    class Meta:
        model = EscalationLevel
        fields = LEVEL_FIELDS


class EscalationLevelInline(admin.TabularInline):
    model = EscalationLevel
    form = EscalationLevelForm
    extra = 1
    ordering = ("position",)
    fields = LEVEL_FIELDS
    autocomplete_fields = ("users",)


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "calendar", "repeat_count", "is_default")
    search_fields = ("name", "description")
    inlines = [EscalationLevelInline]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
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
