"""SLA policies and the clocks that run on subjects."""

from rest_framework import serializers

from config.serializers import StrictFieldsMixin

from ...models import SlaClock, SlaPolicy
from .base import SecondsField, SubjectTypeField


class SlaPolicySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    time_to_acknowledge_seconds = SecondsField(source="time_to_acknowledge", min_value=1)
    time_to_resolve_seconds = SecondsField(source="time_to_resolve", min_value=1)
    priority = serializers.IntegerField(min_value=1, max_value=4)
    warning_percent = serializers.IntegerField(min_value=1, max_value=99, default=75)
    subject_type = SubjectTypeField()

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "subject_type",
            "priority",
            "service_id",
            "category_id",
            "time_to_acknowledge_seconds",
            "time_to_resolve_seconds",
            "warning_percent",
            "calendar",
            "escalation_policy",
            "is_active",
        ]


class SlaClockSerializer(serializers.ModelSerializer):
    subject_type = serializers.CharField(source="subject_type.model", read_only=True)
    target_seconds = SecondsField(source="target", read_only=True)
    elapsed_seconds = SecondsField(source="elapsed", read_only=True)

    class Meta:
        model = SlaClock
        fields = [
            "id",
            "subject_type",
            "subject_id",
            "kind",
            "state",
            "policy",
            "target_seconds",
            "elapsed_seconds",
            "started_at",
            "running_since",
            "warn_at",
            "due_at",
            "warned_at",
            "met_at",
            "breached_at",
            "segments",
        ]
        read_only_fields = fields
