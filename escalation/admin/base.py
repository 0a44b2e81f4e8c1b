"""What several admin modules share."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse

from ..audit import audit_change, audit_via
from ..models import AuditVia
from ..registry import subject_types
from ..subjects import subject_role_choices


def subject_type_queryset() -> models.QuerySet[ContentType]:
    """The content types of the registered subject types: what "applies to" may name."""
    labels = [subject_type.model._meta for subject_type in subject_types()]
    query = models.Q(pk__in=[])
    for meta in labels:
        query |= models.Q(app_label=meta.app_label, model=meta.model_name)
    return ContentType.objects.filter(query).order_by("app_label", "model")


class SubjectTypeChoicesMixin:
    """An "applies to" field lists the kinds of subject the engine knows, not every model of the site."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "subject_type":
            kwargs["queryset"] = subject_type_queryset()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class SubjectRolesField(forms.TypedMultipleChoiceField):
    """The roles a level pages, from the roles the registered subject types define."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        super().__init__(choices=subject_role_choices, required=False, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value or []


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the engine writes (clocks, escalations, timers, the outbox); people look, they do not edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdminMixin:
    """The admin pages of a configuration model (escalation.audit): each save and delete writes an audit entry
    with the row before and after (inlines included), in the transaction of the change."""

    model: Any

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        pk = unquote(object_id) if object_id else None
        with audit_via(AuditVia.ADMIN), audit_change(model=self.model, pk=pk, by=request.user) as change:
            request._audit_change = change  # type: ignore[attr-defined]
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        # The admin logs a new row once it and its inlines are saved: the row the audit entry is about.
        recording = getattr(request, "_audit_change", None)
        if recording is not None:
            recording.pk = obj.pk
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        if request.method != "POST":
            return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]
        with (
            audit_via(AuditVia.ADMIN),
            audit_change(model=self.model, pk=unquote(object_id), by=request.user),
        ):
            return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with audit_via(AuditVia.ADMIN), transaction.atomic():
            for obj in queryset:
                with audit_change(model=self.model, pk=obj.pk, by=request.user):
                    obj.delete()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # Actions that call services (rotate a key, for example) are recorded as made in the admin.
        with audit_via(AuditVia.ADMIN):
            return super().changelist_view(request, extra_context)  # type: ignore[misc]
