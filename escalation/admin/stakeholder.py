"""Stakeholder groups, the communication plan and reporting rules."""

from django.contrib import admin

from ..models import CommunicationRule, ReportingRule, StakeholderGroup
from .base import AuditedAdminMixin, SubjectTypeChoicesMixin


@admin.register(StakeholderGroup)
class StakeholderGroupAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "audience")
    list_filter = ("audience",)
    search_fields = ("name",)
    filter_horizontal = ("users", "teams")


@admin.register(CommunicationRule)
class CommunicationRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "event",
        "priority",
        "audience",
        "channel",
        "template",
        "update_interval",
        "owner",
        "is_active",
    )
    list_filter = ("event", "audience", "priority", "is_active")


@admin.register(ReportingRule)
class ReportingRuleAdmin(AuditedAdminMixin, SubjectTypeChoicesMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "subject_type",
        "category_id",
        "priority",
        "group",
        "within_minutes",
        "channel",
        "is_active",
    )
    list_filter = ("priority", "is_active", "subject_type")
    search_fields = ("name",)
