"""Serializer pieces shared by the concept modules."""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.serializers import VisibleRelationsMixin

from ...registry import event_choices, subject_type_for, subject_types
from ...subjects import subject_role_choices

MAX_SECONDS = 366 * 24 * 3600


class SubjectTypeField(serializers.ChoiceField):
    """The kind of subject a rule applies to, by its label (`incidents.incident`); null: any kind."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        labels = [subject_type.model._meta.label_lower for subject_type in subject_types()]
        super().__init__(choices=[(label, label) for label in labels], **kwargs)

    # The field's Python value is a ContentType, its wire value the label: DRF's stubs type both as str.
    def to_representation(self, value: ContentType) -> str:  # type: ignore[override]
        return f"{value.app_label}.{value.model}"

    def to_internal_value(self, data: Any) -> ContentType:  # type: ignore[override]
        label = super().to_internal_value(data)
        subject_type = subject_type_for(label)
        if subject_type is None:  # unregistered since the field was made
            self.fail("invalid_choice", input=label)
        return ContentType.objects.get_for_model(subject_type.model)


class SubjectRolesField(serializers.ListField):
    """Role names on the subject a level pages (`owner`, `owner_manager`, ...), as the subject types define."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 10)
        super().__init__(child=serializers.ChoiceField(choices=subject_role_choices()), **kwargs)


class EventField(serializers.ChoiceField):
    """An event name some app registered (`escalation.registry.event_register`). The choices are read from
    the registry when the field is made, so events registered by any app's `ready()` are known."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=event_choices(), **kwargs)


class SecondsField(serializers.IntegerField):
    """A duration as whole seconds, from `min_value` (default 0) to a year."""

    def __init__(self, *, min_value: int = 0, **kwargs: Any) -> None:
        self.lowest = min_value
        super().__init__(**kwargs)

    # The field's Python value is a timedelta, its wire value whole seconds: DRF's stubs type both as int.
    def to_representation(self, value: timedelta) -> int:  # type: ignore[override]
        return int(value.total_seconds())

    def to_internal_value(self, data: Any) -> timedelta:  # type: ignore[override]
        seconds = super().to_internal_value(data)
        if not self.lowest <= seconds <= MAX_SECONDS:
            raise serializers.ValidationError(
                _("Between %(low)d and %(high)d seconds.") % {"low": self.lowest, "high": MAX_SECONDS}
            )
        return timedelta(seconds=seconds)


class WholeRowSerializer(VisibleRelationsMixin, serializers.ModelSerializer):
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
