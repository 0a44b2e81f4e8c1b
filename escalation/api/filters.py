"""Filters of the engine's lists about subjects (escalations, notifications).

The engine names no subject type: `?subject_type=incidents.incident&subject_id=12` works for any, and each
registered subject type with a `query_name` adds its own parameter (`?incident=12`). Those are added by
`subject_filterset`, called when a view first needs its filter set (a request, or the OpenAPI schema), after
every app has registered its types from `ready()`; so they are in the schema too."""

from functools import cache
from typing import Any

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from config.filters import VisibleFilterSet

from ..registry import subject_types


def _content_type_id(label: str) -> int | None:
    app_label, _, model = label.lower().partition(".")
    return ContentType.objects.filter(app_label=app_label, model=model).values_list("pk", flat=True).first()


class SubjectFilterSet(VisibleFilterSet):
    """`subject_type` (`<app>.<model>`) and `subject_id`; `subject_filterset` adds one per registered type."""

    subject_type = django_filters.CharFilter(method="filter_subject_type", max_length=100)
    subject_id = django_filters.NumberFilter(field_name="subject_id")

    def filter_subject_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(subject_type_id=_content_type_id(value))


def _by_subject(label: str) -> Any:
    def by_subject(queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(subject_type_id=_content_type_id(label), subject_id=int(value))

    return by_subject


@cache
def subject_filterset(base: type[SubjectFilterSet]) -> type[SubjectFilterSet]:
    """`base` with a `<query_name>=<id>` filter for each registered subject type that names one."""
    extra = {
        subject_type.query_name: django_filters.NumberFilter(
            method=_by_subject(subject_type.model._meta.label_lower),
            label=str(subject_type.model._meta.verbose_name),
        )
        for subject_type in subject_types()
        if subject_type.query_name
    }
    return type(base.__name__, (base,), extra)
