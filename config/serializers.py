"""Serializer helpers shared by the apps."""

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
