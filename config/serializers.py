"""Serializer helpers shared by the apps."""

import copy
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers


class StrictFieldsMixin:
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
class ModelCleanMixin:
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
