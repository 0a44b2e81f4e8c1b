"""Filters of the engine's lists about subjects (escalations, notifications).

The engine names no subject type: `?subject_type=incidents.incident&subject_id=12` works for any, and each
registered subject type with a `query_name` adds its own parameter (`?incident=12`), added per request
from the registry, since the types register after this module is imported."""

from typing import Any

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from ..registry import subject_types


def _content_type_id(label: str) -> int | None:
    app_label, _, model = label.lower().partition(".")
    return ContentType.objects.filter(app_label=app_label, model=model).values_list("pk", flat=True).first()


class SubjectFilterSet(django_filters.FilterSet):
    """`subject_type` (`<app>.<model>`), `subject_id`, and one `<query_name>=<id>` per registered type."""

    subject_type = django_filters.CharFilter(method="filter_subject_type", max_length=100)
    subject_id = django_filters.NumberFilter(field_name="subject_id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for subject_type in subject_types():
            if subject_type.query_name:
                self.filters[subject_type.query_name] = django_filters.NumberFilter(
                    method=self._subject_filter(subject_type.model._meta.label_lower),
                    label=str(subject_type.model._meta.verbose_name),
                )

    @staticmethod
    def _subject_filter(label: str) -> Any:
        def by_subject(queryset: QuerySet, name: str, value: Any) -> QuerySet:
            return queryset.filter(subject_type_id=_content_type_id(label), subject_id=int(value))

        return by_subject

    def filter_subject_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(subject_type_id=_content_type_id(value))
