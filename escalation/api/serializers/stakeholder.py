"""Stakeholder groups, the communication plan and reporting rules."""

from rest_framework import serializers

from config.serializers import ModelCleanMixin, StrictFieldsMixin

from ...models import CommunicationRule, ReportingRule, StakeholderGroup
from .base import EventField, SubjectTypeField


# Each plain address is checked for its kind by `StakeholderGroup.clean()`, here as in the admin.
class StakeholderGroupSerializer(StrictFieldsMixin, ModelCleanMixin, serializers.ModelSerializer):
    class Meta:
        model = StakeholderGroup
        fields = ["id", "name", "audience", "users", "teams", "addresses"]


class CommunicationRuleSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    priority = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True)
    event = EventField()
    template = serializers.RegexField(r"^[a-z0-9_]{1,100}$", required=False)

    class Meta:
        model = CommunicationRule
        fields = ["id", "priority", "event", "audience", "channel", "template", "owner", "is_active"]


class ReportingRuleSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    subject_type = SubjectTypeField()
    priority = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True)
    within_minutes = serializers.IntegerField(min_value=1, max_value=7 * 24 * 60, default=15)

    class Meta:
        model = ReportingRule
        fields = [
            "id",
            "name",
            "subject_type",
            "category_id",
            "priority",
            "group",
            "within_minutes",
            "channel",
            "is_active",
        ]
