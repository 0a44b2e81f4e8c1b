"""Serializer pieces shared by the concept modules."""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MAX_SECONDS = 366 * 24 * 3600


class SecondsField(serializers.IntegerField):
    """A duration as whole seconds, from `min_value` (default 0) to a year."""

    def __init__(self, *, min_value: int = 0, **kwargs: Any) -> None:
        self.lowest = min_value
        super().__init__(**kwargs)

    def to_representation(self, value: timedelta) -> int:
        return int(value.total_seconds())

    def to_internal_value(self, data: Any) -> timedelta:
        seconds = super().to_internal_value(data)
        if not self.lowest <= seconds <= MAX_SECONDS:
            raise serializers.ValidationError(
                _("Between %(low)d and %(high)d seconds.") % {"low": self.lowest, "high": MAX_SECONDS}
            )
        return timedelta(seconds=seconds)


class WholeRowSerializer(serializers.ModelSerializer):
    """A nested row written by replacing the stored ones, so it must be complete even inside a PATCH: DRF
    makes every nested field optional when the root is partial, and the row then failed in the database."""

    def to_internal_value(self, data: Any) -> dict:
        if isinstance(data, Mapping):
            missing = {
                name: [field.error_messages["required"]]
                for name, field in self.fields.items()
                if field.required and not field.read_only and name not in data
            }
            if missing:
                raise serializers.ValidationError(missing)
        return super().to_internal_value(data)
