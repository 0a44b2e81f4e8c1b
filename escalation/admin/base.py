"""What several admin modules share."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

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
