from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .calendars import calendar_spec
from .models import (
    BusinessCalendar,
    Holiday,
    Override,
    Rotation,
    RotationMember,
    Schedule,
    Team,
    UserProfile,
    WorkingInterval,
)
from .oncall import OnCallShift, oncall_shifts, schedules_for_oncall, team_oncall_shifts, teams_for_oncall


def _oncall_text(shifts: list[OnCallShift]) -> str:
    """Who and until when, in the admin's active time zone."""
    if not shifts:
        return "-"
    parts = []
    for shift in shifts:
        until = timezone.localtime(shift.until).strftime("%Y-%m-%d %H:%M") if shift.until else "-"
        parts.append(f"{shift.user.get_username()} ({_('until')} {until})")
    return ", ".join(parts)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager", "oncall_now")
    search_fields = ("name", "description")
    filter_horizontal = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        # Loads every team's schedules, rotations and overrides in a fixed number of queries for the column.
        return teams_for_oncall(super().get_queryset(request), at=timezone.now())

    @admin.display(description=_("on call now"))
    def oncall_now(self, team: Team) -> str:
        return _oncall_text(team_oncall_shifts(team=team, at=timezone.now()))


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "time_zone", "language")
    search_fields = ("user__username", "user__email")


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    extra = 0
    ordering = ("weekday", "start")


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0
    ordering = ("date",)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "is_24x7", "hours_per_week", "holiday_count")
    list_filter = ("is_24x7", "time_zone")
    search_fields = ("name", "description")
    inlines = [WorkingIntervalInline, HolidayInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BusinessCalendar]:
        return super().get_queryset(request).prefetch_related("intervals", "holidays")

    @admin.display(description=_("hours per week"))
    def hours_per_week(self, calendar: BusinessCalendar) -> str:
        # From the same spec the arithmetic uses: overlapping intervals are counted once.
        spec = calendar_spec(calendar)
        return f"{spec.weekly_seconds / 3600:g}" if spec else "-"

    @admin.display(description=_("holidays"))
    def holiday_count(self, calendar: BusinessCalendar) -> int:
        return len(calendar.holidays.all())


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
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "time_zone", "oncall_now")
    list_filter = ("team",)
    search_fields = ("name", "team__name")
    list_select_related = ("team",)
    inlines = [RotationInline, OverrideInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Schedule]:
        return schedules_for_oncall(super().get_queryset(request), at=timezone.now())

    @admin.display(description=_("on call now"))
    def oncall_now(self, schedule: Schedule) -> str:
        return _oncall_text(oncall_shifts(schedule=schedule, at=timezone.now()))


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 0
    autocomplete_fields = ("user",)
    ordering = ("position",)


@admin.register(Rotation)
class RotationAdmin(admin.ModelAdmin):
    list_display = ("name", "schedule", "hand_off", "hand_off_time", "hand_off_weekday", "starts_at")
    list_filter = ("hand_off", "schedule__team")
    search_fields = ("name", "schedule__name")
    list_select_related = ("schedule",)
    inlines = [RotationMemberInline]


# The engine's own pages (SLA and escalation policies, contacts, stakeholders, webhooks, the outbox).
from . import engine_admin  # noqa: E402, F401
