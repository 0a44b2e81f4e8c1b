"""Timers (read-only): what the engine will do, and when."""

from django.contrib import admin

from ..models import Timer
from .base import ReadOnlyAdmin


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ("kind", "subject_type", "subject_id", "due_at", "state", "fired_at", "attempts")
    list_filter = ("state", "kind")
    list_select_related = ("subject_type",)
