"""Serializer fields the engine's API shares."""

from typing import Any

from rest_framework import serializers

from ..registry import event_choices


class EventField(serializers.ChoiceField):
    """An event name some app registered (`escalation.registry.event_register`). The choices are read from
    the registry when the field is made, so events registered by any app's `ready()` are known."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=event_choices(), **kwargs)
