"""On-call schedules with their rotations and overrides, and who is on call now."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import OnCallFeed, Override, Rotation, RotationMember, Schedule
from ..oncall import OnCallShift, oncall_shifts, schedules_for_oncall
from .base import AuditedAdminMixin


def oncall_text(shifts: list[OnCallShift]) -> str:
    """Who and until when, in the admin's active time zone (the on-call columns of teams and schedules)."""
    if not shifts:
        return "-"
    parts = []
    for shift in shifts:
        until = timezone.localtime(shift.until).strftime("%Y-%m-%d %H:%M") if shift.until else "-"
        parts.append(f"{shift.user.get_username()} ({_('until')} {until})")
    return ", ".join(parts)


class RotationInline(admin.TabularInline):
    """Rotations of a schedule; their members are edited on the rotation's own page (the link)."""

    model = Rotation
    extra = 0
    show_change_link = True
    fields = ("name", "hand_off", "hand_off_time", "hand_off_weekday", "starts_at")


class OverrideInline(admin.TabularInline):
    model = Override
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "start", "end", "reason")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Override]:
        # Past overrides are history: only those not yet over are edited here.
        return super().get_queryset(request).filter(end__gt=timezone.now()).select_related("user")


@admin.register(Schedule)
class ScheduleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "team", "time_zone", "oncall_now")
    list_filter = ("team",)
    search_fields = ("name", "team__name")
    list_select_related = ("team",)
    inlines = [RotationInline, OverrideInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Schedule]:
        return schedules_for_oncall(super().get_queryset(request), at=timezone.now())

    @admin.display(description=_("on call now"))
    def oncall_now(self, schedule: Schedule) -> str:
        return oncall_text(oncall_shifts(schedule=schedule, at=timezone.now()))


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 0
    autocomplete_fields = ("user",)
    ordering = ("position",)


@admin.register(Rotation)
class RotationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "schedule", "hand_off", "hand_off_time", "hand_off_weekday", "starts_at")
    list_filter = ("hand_off", "schedule__team")
    search_fields = ("name", "schedule__name")
    list_select_related = ("schedule",)
    inlines = [RotationMemberInline]


@admin.register(OnCallFeed)
class OnCallFeedAdmin(admin.ModelAdmin):
    """Who has a private on-call calendar feed. Deleting a row revokes its URL; the URL itself is never shown
    (only its hash is kept): its owner makes it at /api/v1/oncall-feed/ or on their preferences page."""

    list_display = ("user", "created_at")
    search_fields = ("user__username",)
    fields = ("user", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
