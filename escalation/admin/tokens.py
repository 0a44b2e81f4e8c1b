"""API tokens in the admin: the list shows whose token it is and since when, never the token (the database
keeps only its digest: config/authentication.py). Adding a token for a user replaces theirs and shows the new
one once."""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from config.authentication import api_token_issue

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    list_display = ("user", "created")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A token is replaced (add one for the user), never edited.
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        key = api_token_issue(obj)
        self.message_user(
            request,
            _("The new API token of %(user)s, shown this once (the previous one no longer works): %(token)s")
            % {"user": obj.user, "token": key},
            messages.WARNING,
        )
