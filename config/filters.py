"""Query parameters of list endpoints: an unknown one answers 400 naming it.

`StrictQueryParams` is the first filter backend of every list endpoint (`REST_FRAMEWORK`'s
`DEFAULT_FILTER_BACKENDS`, and `STRICT_LIST_BACKENDS` for views that choose their own backends; a test walks
the URLconf to keep it so). It knows the parameters of the view's filter backends (django-filter's filters,
`ordering`, `search`), of its paginator (`page`, `page_size`), `format`, and what the view reads itself
(`extra_query_params`). Detail endpoints of view sets are left alone. An `APIView` that answers GET mixes in
`DeclaredQueryParams` and names in `query_params` the parameters it reads (the same test keeps it so).

Relations too: a filter naming a row accepts only rows the user may see (`VisibleFilterSet`, and
`VisibleFilterBackend`, the default django-filter backend). Without it `?parent=<id>` would answer "not one of
the available choices" for an id that does not exist and a count for one that exists but is someone else's: a
way to learn which ids exist. Every filter on a relation takes its choices from
`config.permissions.visible_queryset`, so both answer alike."""

from collections.abc import Iterable
from datetime import UTC
from typing import Any

import django_filters
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import BaseFilterBackend
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .errors import UnknownQueryParameters
from .permissions import visible_queryset

PAGINATION_PARAMS = (
    "page_query_param",
    "page_size_query_param",
    "limit_query_param",
    "offset_query_param",
    "cursor_query_param",
)


def is_list_request(request: Request, view: APIView) -> bool:
    action = getattr(view, "action", None)
    if action is not None:
        return action == "list"
    return (
        request.method == "GET"
        and isinstance(view, ListModelMixin)
        and not isinstance(view, RetrieveModelMixin)
    )


def known_query_params(request: Request, queryset: QuerySet, view: APIView) -> set[str]:
    """Every query parameter the list endpoint `view` reads."""
    known = {api_settings.URL_FORMAT_OVERRIDE or "format", *getattr(view, "extra_query_params", ())}
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        known.update(filter(None, (getattr(paginator, name, None) for name in PAGINATION_PARAMS)))
    for backend_class in getattr(view, "filter_backends", ()):
        backend = backend_class()
        for name in ("ordering_param", "search_param"):
            if getattr(backend, name, None):
                known.add(getattr(backend, name))
        if isinstance(backend, DjangoFilterBackend):
            filterset = backend.get_filterset(request, queryset, view)
            if filterset is not None:
                for name, field in filterset.form.fields.items():
                    known.add(name)
                    # Range-like filters read `<name>_<suffix>` (`_min`, `_after`...).
                    known.update(f"{name}_{suffix}" for suffix in getattr(field.widget, "suffixes", ()))
    return known


def query_params_check(request: Request, allowed: Iterable[str]) -> None:
    """For a list endpoint that reads its own query parameters (an `APIView`, not a generic list): 400 naming
    those outside `allowed` (and `format`)."""
    known = {api_settings.URL_FORMAT_OVERRIDE or "format", *allowed}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise UnknownQueryParameters(
            _("Unknown query parameters: %(names)s.") % {"names": ", ".join(unknown)},
            parameters=unknown,
            allowed=sorted(known),
        )


class DeclaredQueryParams:
    """For an `APIView` that answers GET (a list, a report, a document): `query_params` names the query
    parameters its GET reads, besides `format`; any other answers 400 naming it, after authentication and
    permissions (a stranger learns nothing from it)."""

    query_params: tuple[str, ...] = ()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method in ("GET", "HEAD"):
            query_params_check(request, self.query_params)


class StrictQueryParams(BaseFilterBackend):
    """400 on a list request with a query parameter the endpoint does not know, naming it."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        if not is_list_request(request, view):
            return queryset
        query_params_check(request, known_query_params(request, queryset, view))
        return queryset

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return []


# For a view that sets its own `filter_backends`: put `*STRICT_LIST_BACKENDS` first.
STRICT_LIST_BACKENDS = [StrictQueryParams]


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
