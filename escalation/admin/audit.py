"""The audit log in the admin: read-only for everyone (managers hold only its view permission), and Django's
groups and users re-registered so that role changes made here are audited."""

import json
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..models import AuditEntry
from .base import AuditedAdminMixin, ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "via", "action", "content_type", "object_repr")
    list_filter = ("action", "via", "content_type")
    search_fields = ("actor_name", "object_repr", "object_id")
    date_hierarchy = "at"
    fields = ("at", "actor_name", "via", "action", "content_type", "object_id", "object_repr", "changes")
    readonly_fields = fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("changes"))
    def changes(self, entry: AuditEntry) -> str:
        before, after = entry.before or {}, entry.after or {}
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            (
                (name, json.dumps(before.get(name)), json.dumps(after.get(name)))
                for name in sorted(set(before) | set(after))
                if before.get(name) != after.get(name)
            ),
        )
        header = format_html("<tr><th></th><th>{}</th><th>{}</th></tr>", _("before"), _("after"))
        return format_html("<table>{}{}</table>", header, rows)


# Roles are Django groups: changes to them, and to who belongs to which, are configuration.
admin.site.unregister(Group)
admin.site.unregister(User)


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    pass


@admin.register(User)
class AuditedUserAdmin(AuditedAdminMixin, UserAdmin):
    pass
