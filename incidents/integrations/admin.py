"""Admin of integrations (the key shown once, in a message), alerts (read-only, labels shown), silences (with
the ones about to expire), heartbeat state and possible major incidents. Registered from incidents/admin.py."""

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timeuntil
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.permissions import acting_user
from escalation.admin.base import AuditedAdminMixin

from ..models import Alert, AlertGroup, Integration, MajorIncidentFlag, Silence
from ..spikes import flag_decide
from .services import EDITABLE_FIELDS, integration_create, integration_rotate_key, integration_update


def _key_message(request: HttpRequest, integration: Integration, key: str) -> None:
    messages.warning(
        request,
        format_html(
            gettext("Key of {}: <code>{}</code> - copy it now, it is shown only this once."),
            integration.name,
            key,
        ),
    )


@admin.register(Integration)
class IntegrationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "service", "enabled", "key_hint", "storm_rate_per_minute", "heartbeat")
    list_filter = ("kind", "enabled", "service")
    search_fields = ("name",)
    readonly_fields = ("key_hint", "key_rotated_at", "last_heartbeat_at", "heartbeat_due_at", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "kind", "service", "enabled", "severity_map")}),
        (_("Key and signature"), {"fields": ("key_hint", "key_rotated_at", "hmac_secret")}),
        (
            _("Limits"),
            {"fields": ("storm_rate_per_minute", "hard_cap_per_minute", "reopen_window_minutes")},
        ),
        (
            _("Heartbeat"),
            {"fields": ("heartbeat_interval_minutes", "last_heartbeat_at", "heartbeat_due_at")},
        ),
    )
    actions = ["rotate_keys"]

    @admin.display(description=_("heartbeat"))
    def heartbeat(self, obj: Integration) -> str:
        if not obj.heartbeat_interval_minutes:
            return gettext("off")
        if obj.last_heartbeat_at is None:
            return gettext("waiting for the first check-in")
        if obj.heartbeat_due_at is None:
            return gettext("missed (incident open)")
        if obj.heartbeat_due_at <= timezone.now():
            return gettext("late")
        return gettext("ok, next within %(t)s") % {"t": timeuntil(obj.heartbeat_due_at)}

    def save_model(self, request: HttpRequest, obj: Integration, form: Any, change: bool) -> None:
        """Saves through the services, so the key, the heartbeat's next due time and validation follow the same
        rules as the API; a new integration's key is shown once, in a message."""
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data if f in EDITABLE_FIELDS}
            saved = integration_update(integration_id=obj.pk, by=acting_user(request), changes=changes)
        else:
            # A secret left empty cleans to None ("keep it", config.fields.SecretFormField): the default, no secret.
            fields = {
                f: form.cleaned_data[f]
                for f in EDITABLE_FIELDS
                if f in form.cleaned_data and not (f == "hmac_secret" and form.cleaned_data[f] is None)
            }
            saved, key = integration_create(
                by=acting_user(request), name=fields.pop("name"), kind=fields.pop("kind"), **fields
            )
            _key_message(request, saved, key)
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.action(description=_("Rotate the key of the selected integrations"), permissions=["change"])
    def rotate_keys(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        for integration in queryset:
            integration, key = integration_rotate_key(integration_id=integration.pk, by=acting_user(request))
            _key_message(request, integration, key)


def _labels(labels: dict[str, str]) -> str:
    return format_html_join(
        " ",
        '<span class="vigil-label">{}={}</span>',
        sorted(labels.items()),
    )


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(_ReadOnlyAdmin):
    list_display = ("received_at", "integration", "status", "severity", "summary", "incident_link", "silence")
    list_filter = ("status", "integration", "severity", ("silence", admin.EmptyFieldListFilter))
    list_select_related = ("integration", "incident", "silence")
    search_fields = ("summary", "labels_text", "dedup_key", "fingerprint")
    date_hierarchy = "received_at"
    fields = (
        "received_at",
        "integration",
        "status",
        "severity",
        "summary",
        "label_badges",
        "annotations",
        "details",
        "dedup_key",
        "fingerprint",
        "starts_at",
        "ends_at",
        "incident",
        "group",
        "silence",
        "raw_body",
    )
    readonly_fields = fields

    @admin.display(description=_("incident"))
    def incident_link(self, obj: Alert) -> str:
        if obj.incident_id is None:
            return "-"
        url = reverse("admin:incidents_incident_change", args=[obj.incident_id])
        return format_html('<a href="{}">{}</a>', url, obj.incident.reference if obj.incident else "")

    @admin.display(description=_("labels"))
    def label_badges(self, obj: Alert) -> str:
        return _labels(obj.labels)

    @admin.display(description=_("raw body"))
    def raw_body(self, obj: Alert) -> str:
        return format_html('<pre class="vigil-raw">{}</pre>', obj.payload.raw_body[:20_000])


@admin.register(AlertGroup)
class AlertGroupAdmin(_ReadOnlyAdmin):
    list_display = ("dedup_key", "integration", "incident", "is_open", "is_storm", "alert_count", "opened_at")
    list_filter = ("is_open", "is_storm", "integration")
    list_select_related = ("integration", "incident")
    search_fields = ("dedup_key", "source_key")


class SilenceStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("active", _("active")),
            ("expiring", _("active, ends within 24 hours")),
            ("upcoming", _("upcoming")),
            ("expired", _("expired")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Silence]) -> QuerySet[Silence]:
        now = timezone.now()
        value = self.value()
        if value == "active":
            return queryset.filter(starts_at__lte=now, ends_at__gt=now)
        if value == "expiring":
            return queryset.filter(
                starts_at__lte=now, ends_at__gt=now, ends_at__lte=now + timedelta(hours=24)
            )
        if value == "upcoming":
            return queryset.filter(starts_at__gt=now)
        if value == "expired":
            return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "integration", "starts_at", "ends_at", "state")
    list_filter = (SilenceStateFilter, "service", "integration")
    list_select_related = ("service", "integration")
    search_fields = ("name", "comment")
    readonly_fields = ("created_by", "created_at")

    @admin.display(description=_("state"))
    def state(self, obj: Silence) -> str:
        now = timezone.now()
        if obj.ends_at <= now:
            return gettext("expired")
        if obj.starts_at > now:
            return gettext("upcoming")
        return gettext("active, ends in %(t)s") % {"t": timeuntil(obj.ends_at, now)}

    def save_model(self, request: HttpRequest, obj: Silence, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(MajorIncidentFlag)
class MajorIncidentFlagAdmin(admin.ModelAdmin):
    list_display = ("raised_at", "kind", "state", "service", "integration", "incident", "count")
    list_filter = ("state", "kind", "service")
    list_select_related = ("service", "integration", "incident")
    readonly_fields = (
        "kind",
        "integration",
        "service",
        "incident",
        "count",
        "window_minutes",
        "raised_at",
        "updated_at",
        "decided_at",
        "decided_by",
    )
    fields = ("state", *readonly_fields)
    actions = ["dismiss"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: MajorIncidentFlag, form: Any, change: bool) -> None:
        if "state" in form.changed_data:
            flag_decide(flag_id=obj.pk, state=form.cleaned_data["state"], by=acting_user(request))
            obj.refresh_from_db()

    @admin.action(description=_("Dismiss the selected flags"), permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[MajorIncidentFlag]) -> None:
        for flag_id in queryset.filter(state=MajorIncidentFlag.State.PENDING).values_list("pk", flat=True):
            flag_decide(flag_id=flag_id, state=MajorIncidentFlag.State.DISMISSED, by=acting_user(request))
