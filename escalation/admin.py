from django.contrib import admin

from .models import Team, UserProfile


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager")
    search_fields = ("name", "description")
    filter_horizontal = ("members",)


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "time_zone", "language")
    search_fields = ("user__username", "user__email")
