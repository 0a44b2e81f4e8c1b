"""Serializer helpers shared by the apps."""

import copy
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers

from .permissions import visible_queryset


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A related field that accepts only the rows the requesting user may see (`config.permissions`'
    visibility rules). `queryset` narrows further (active rows only, for example). A row that exists but is not
    the user's answers exactly as one that does not exist, so the error tells nothing about other people's rows.

    The serializer needs the request in its context: without it the field refuses to guess, and says so."""

    def get_queryset(self) -> QuerySet:
        base: QuerySet = super().get_queryset()  # type: ignore[assignment]  # writable: DRF asserts one
        request = self.context.get("request")
        if request is None:
            raise ImproperlyConfigured(
                f"{type(self.root).__name__}.{self.field_name or self.parent.field_name}: a related field that "
                "checks visibility needs context={'request': request}."
            )
        visible = visible_queryset(base.model, request.user)
        return base.filter(pk__in=visible.values("pk"))


class VisibleRelationsMixin:
    """Model serializers build their related fields as `VisibleRelatedField`: only visible rows can be named."""

    serializer_related_field: type[serializers.RelatedField] = VisibleRelatedField


class StrictFieldsMixin(VisibleRelationsMixin):
    """Rejects keys the serializer does not accept (a typo, or a read-only field such as `state`) with 400,
    instead of silently ignoring them."""

    read_only_hints: dict[str, str] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}  # type: ignore[attr-defined]
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [self.read_only_hints.get(name, _("This field cannot be written."))]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)  # type: ignore[misc]


# Checks the data being written with the model's own `clean()`, so that a rule stated once on the model holds
# for the API as for the admin's forms. The instance is a copy (an update) or a new one (a create) with the
# written model fields set on it; `clean()` must therefore not rely on related rows or on fields the
# serializer does not write. A Django `ValidationError` naming a field becomes DRF's 400 naming it (DRF
# converts what `validate()` raises). A comment, not a docstring: drf-spectacular would show a mixin's
# docstring as the description of every serializer without one of its own.
class ModelCleanMixin(VisibleRelationsMixin):
    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)  # type: ignore[misc]
        model = self.Meta.model  # type: ignore[attr-defined]
        current = self.instance  # type: ignore[attr-defined]
        instance = copy.copy(current) if isinstance(current, model) else model()
        fields = {field.name for field in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in fields:
                setattr(instance, name, value)
        instance.clean()
        return attrs
