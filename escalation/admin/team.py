"""Teams, with who is on call for each now, and people's preferences."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Team, UserProfile
from ..oncall import team_oncall_now_next, team_oncall_shifts, teams_for_oncall
from .base import AuditedAdminMixin
from .oncall import oncall_text


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "manager", "oncall_now", "oncall_next")
    search_fields = ("name", "description")
    filter_horizontal = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        # Loads every team's schedules, rotations and overrides in a fixed number of queries for the column.
        return teams_for_oncall(super().get_queryset(request), at=timezone.now())

    @admin.display(description=_("on call now"))
    def oncall_now(self, team: Team) -> str:
        return oncall_text(team_oncall_shifts(team=team, at=timezone.now()))

    @admin.display(description=_("on call next"))
    def oncall_next(self, team: Team) -> str:
        answer = team_oncall_now_next(team=team, at=timezone.now())
        if answer.next_at is None:
            return "-"
        since = timezone.localtime(answer.next_at).strftime("%Y-%m-%d %H:%M")
        return _("from %(when)s: %(who)s") % {"when": since, "who": oncall_text(answer.next)}


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "time_zone", "language")
    search_fields = ("user__username", "user__email")
