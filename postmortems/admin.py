"""The admin's view of post-mortems and action items: read and small edits. Edits that change state go
through the services (the API's transitions), so the admin shows the state without changing it."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import ActionItem, MetricRollup, Postmortem, PostmortemLink, PostmortemReviewer, WeeklyDigest


class ReviewerInline(admin.TabularInline):
    model = PostmortemReviewer
    extra = 0
    readonly_fields = ["approved_at", "comment"]
    autocomplete_fields = ["reviewer"]


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner", "due_date", "priority", "state"]
    readonly_fields = ["state"]
    autocomplete_fields = ["owner"]


class LinkInline(admin.TabularInline):
    model = PostmortemLink
    extra = 0
    readonly_fields = ["target_type", "target_id", "purpose", "action_item"]
    can_delete = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # links are added through the API, which checks the kinds that can be linked


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "state", "owner", "created_at", "published_at"]
    list_filter = ["state"]
    search_fields = ["title", "summary"]
    readonly_fields = [
        "subject_type",
        "subject_id",
        "state",
        "response_speed",
        "created_at",
        "submitted_at",
        "published_at",
        "published_by",
    ]
    autocomplete_fields = ["owner"]
    inlines = [ReviewerInline, ActionItemInline, LinkInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # opened for a record: POST /api/v1/postmortems/ or when a major incident resolves


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "postmortem", "owner", "due_date", "priority", "state"]
    list_filter = ["state", "priority"]
    search_fields = ["title"]
    readonly_fields = ["postmortem", "state", "created_at", "completed_at"]
    autocomplete_fields = ["owner"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(MetricRollup)
class MetricRollupAdmin(admin.ModelAdmin):
    list_display = ["day", "dimension", "key", "incident_count", "ack_count", "resolve_count"]
    list_filter = ["dimension"]
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WeeklyDigest)
class WeeklyDigestAdmin(admin.ModelAdmin):
    list_display = ["week_start", "created_at"]
    readonly_fields = ["week_start", "created_at", "figures"]
    verbose_name = _("weekly digest")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
