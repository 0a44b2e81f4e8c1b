"""Escalation policies with their levels, the dry run, and the escalations running on subjects."""

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.serializers import StrictFieldsMixin, VisibleRelatedField

from ...models import Escalation, EscalationLevel, EscalationPolicy
from .base import SecondsField, SubjectRolesField


class EscalationLevelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    delay_seconds = SecondsField(source="delay", default=timedelta(0))
    users = VisibleRelatedField(queryset=User.objects.filter(is_active=True), many=True, required=False)
    subject_roles = SubjectRolesField()

    class Meta:
        model = EscalationLevel
        fields = [
            "position",
            "delay_seconds",
            "users",
            "team",
            "schedule",
            "notify_service_owner",
            "notify_team_manager",
            "subject_roles",
        ]


class EscalationPolicySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A policy with its ordered levels; writing `levels` replaces them all (running escalations keep their
    snapshot)."""

    levels = EscalationLevelSerializer(many=True, required=False)
    repeat_delay_seconds = SecondsField(source="repeat_delay", default=timedelta(minutes=30))
    repeat_count = serializers.IntegerField(min_value=0, max_value=20, default=0)

    class Meta:
        model = EscalationPolicy
        fields = [
            "id",
            "name",
            "description",
            "calendar",
            "repeat_count",
            "repeat_delay_seconds",
            "is_default",
            "levels",
        ]

    def validate_levels(self, levels: list[dict]) -> list[dict]:
        # `position` may be left out (the model's default applies), so read it the way the model will.
        default = EscalationLevel._meta.get_field("position").default
        positions = [level.get("position", default) for level in levels]
        if len(set(positions)) != len(positions):
            raise serializers.ValidationError(_("Each level needs its own position."))
        return sorted(levels, key=lambda level: level.get("position", default))

    def validate_is_default(self, value: bool) -> bool:
        others = EscalationPolicy.objects.filter(is_default=True)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if value and others.exists():
            raise serializers.ValidationError(_("Another policy is the default already."))
        return value

    def _write_levels(self, policy: EscalationPolicy, levels: list[dict]) -> None:
        policy.levels.all().delete()
        for data in levels:
            users = data.pop("users", [])
            level = EscalationLevel.objects.create(policy=policy, **data)
            level.users.set(users)

    @transaction.atomic
    def create(self, validated_data: dict) -> EscalationPolicy:
        levels = validated_data.pop("levels", [])
        policy = EscalationPolicy.objects.create(**validated_data)
        self._write_levels(policy, levels)
        return policy

    @transaction.atomic
    def update(self, instance: EscalationPolicy, validated_data: dict) -> EscalationPolicy:
        levels = validated_data.pop("levels", None)
        for field, value in validated_data.items():
            setattr(instance, field, value)
        instance.save()
        if levels is not None:
            self._write_levels(instance, levels)
        return instance


class SimulateSerializer(StrictFieldsMixin, serializers.Serializer):
    start = serializers.DateTimeField()
    priority = serializers.IntegerField(min_value=1, max_value=4)

    def validate_start(self, value: datetime) -> datetime:
        # Level delays and personal rules are added to it: near the year 9999 that overflows.
        if not 1970 <= value.year <= 9000:
            raise serializers.ValidationError(_("Give a start between the years 1970 and 9000."))
        return value


class SimulatedPageSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    reason = serializers.CharField(help_text=_("page, sla.warning or sla.breach"))
    cycle = serializers.IntegerField()
    level = serializers.IntegerField()
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    channel = serializers.CharField()
    address = serializers.CharField()
    contact_method_id = serializers.IntegerField(allow_null=True)


class EscalationSerializer(serializers.ModelSerializer):
    subject_type = serializers.CharField(source="subject_type.model", read_only=True)

    class Meta:
        model = Escalation
        fields = [
            "id",
            "subject_type",
            "subject_id",
            "policy",
            "state",
            "level",
            "cycle",
            "started_at",
            "last_paged_at",
            "acknowledged_at",
            "acknowledged_by",
            "stopped_at",
            "snapshot",
        ]
        read_only_fields = fields
