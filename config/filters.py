"""Filters shared by the apps: a filter naming a row accepts only rows the user may see.

Without it `?parent=<id>` would answer "not one of the available choices" for an id that does not exist and a
count for one that exists but is someone else's: a way to learn which ids exist. Every filter on a relation
takes its choices from `config.permissions.visible_queryset`, so both answer alike."""

from datetime import UTC
from typing import Any

import django_filters
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django_filters.rest_framework import DjangoFilterBackend

from .permissions import visible_queryset


def visible_choices(model: type[models.Model]) -> Any:
    """The choices of a filter on `model`: the rows the request's user may see."""

    def choices(request: HttpRequest | None) -> QuerySet:
        if request is None:  # the schema generator and forms built without a request
            return model._default_manager.none()
        return visible_queryset(model, request.user)

    return choices


def _relation(field: models.Field) -> dict[str, Any]:
    return {"queryset": visible_choices(field.remote_field.model)}  # type: ignore[union-attr]


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time compared in UTC: PostgreSQL refuses offsets beyond +-15:59 (a 500 before), and a
    date whose UTC value falls outside the calendar matches nothing."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except (OverflowError, ValueError):
                return qs.none()
        return super().filter(qs, value)


class VisibleFilterSet(django_filters.FilterSet):
    """A FilterSet whose generated relation filters accept only visible rows."""

    FILTER_DEFAULTS = {
        **django_filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
        models.ForeignKey: {"filter_class": django_filters.ModelChoiceFilter, "extra": _relation},
        models.OneToOneField: {"filter_class": django_filters.ModelChoiceFilter, "extra": _relation},
        models.ManyToManyField: {
            "filter_class": django_filters.ModelMultipleChoiceFilter,
            "extra": _relation,
        },
        models.OneToOneRel: {"filter_class": django_filters.ModelChoiceFilter, "extra": _relation},
        models.ManyToOneRel: {"filter_class": django_filters.ModelMultipleChoiceFilter, "extra": _relation},
        models.ManyToManyRel: {"filter_class": django_filters.ModelMultipleChoiceFilter, "extra": _relation},
    }


class VisibleFilterBackend(DjangoFilterBackend):
    """DRF's django-filter backend, building `filterset_fields` on `VisibleFilterSet`."""

    filterset_base = VisibleFilterSet
