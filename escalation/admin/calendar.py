"""Business calendars with their working intervals and holidays."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..calendars import calendar_spec
from ..models import BusinessCalendar, Holiday, WorkingInterval
from .base import AuditedAdminMixin


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    extra = 0
    ordering = ("weekday", "start")


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0
    ordering = ("date",)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedAdminMixin, admin.ModelAdmin):
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
