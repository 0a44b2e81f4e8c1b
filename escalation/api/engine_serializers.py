"""Serializers of the engine's API: SLA and escalation policies, contact methods and rules, stakeholders,
webhook subscriptions and the outbox. Durations are whole seconds (`*_seconds`)."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.serializers import StrictFieldsMixin

from ..channels import private_address
from ..models import (
    Channel,
    CommunicationRule,
    ContactMethod,
    Escalation,
    EscalationLevel,
    EscalationPolicy,
    Notification,
    NotificationRule,
    ReportingRule,
    SlaClock,
    SlaPolicy,
    StakeholderGroup,
    WebhookSubscription,
)
from .fields import EventField

User = get_user_model()
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


def _check_address(channel: str, address: str) -> None:
    if channel == Channel.EMAIL:
        serializers.EmailField().run_validation(address)
    elif channel == Channel.WEBHOOK:
        serializers.URLField().run_validation(address)
    elif channel == Channel.APPRISE:
        import apprise

        if apprise.Apprise.instantiate(address) is None:
            raise serializers.ValidationError({"address": [_("Apprise does not understand this URL.")]})


class SlaPolicySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    time_to_acknowledge_seconds = SecondsField(source="time_to_acknowledge", min_value=1)
    time_to_resolve_seconds = SecondsField(source="time_to_resolve", min_value=1)
    priority = serializers.IntegerField(min_value=1, max_value=4)
    warning_percent = serializers.IntegerField(min_value=1, max_value=99, default=75)

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
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


class EscalationLevelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    delay_seconds = SecondsField(source="delay", default=timedelta(0))
    users = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )

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


class ContactMethodSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)

    class Meta:
        model = ContactMethod
        fields = ["id", "user", "channel", "address", "label", "secret", "is_active"]

    def to_representation(self, instance: ContactMethod) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or instance.user_id != request.user.pk:
            data["address"] = private_address(instance.channel, instance.address)
        return data

    def validate(self, attrs: dict) -> dict:
        channel = attrs.get("channel", getattr(self.instance, "channel", None))
        address = attrs.get("address", getattr(self.instance, "address", ""))
        try:
            _check_address(channel, address)
        except serializers.ValidationError as error:
            detail = error.detail if isinstance(error.detail, dict) else {"address": error.detail}
            raise serializers.ValidationError(detail) from None
        return attrs


class NotificationRuleSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    delay_seconds = SecondsField(source="delay", default=timedelta(0))
    max_priority = serializers.IntegerField(min_value=1, max_value=4, default=4)

    class Meta:
        model = NotificationRule
        fields = ["id", "user", "contact_method", "delay_seconds", "max_priority"]
        read_only_fields = ["user"]


class StakeholderGroupSerializer(StrictFieldsMixin, serializers.ModelSerializer):
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
    priority = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True)
    within_minutes = serializers.IntegerField(min_value=1, max_value=7 * 24 * 60, default=15)

    class Meta:
        model = ReportingRule
        fields = ["id", "name", "category_id", "priority", "group", "within_minutes", "channel", "is_active"]


class WebhookSubscriptionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """The secret is shown once, in the answer to the create; send `secret` to set your own."""

    events = serializers.ListField(child=EventField(), required=False, max_length=50)
    secret = serializers.CharField(write_only=True, required=False, min_length=16, max_length=200)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "secret", "is_active", "created_at"]
        read_only_fields = ["created_at"]

    def to_representation(self, instance: WebhookSubscription) -> dict:
        data = super().to_representation(instance)
        if self.context.get("show_secret"):
            data["secret"] = instance.secret
        return data


class NotificationSerializer(serializers.ModelSerializer):
    subject_type = serializers.CharField(source="subject_type.model", read_only=True)
    address = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "subject_type",
            "subject_id",
            "reason",
            "channel",
            "address",
            "recipient",
            "subscription",
            "idempotency_key",
            "title",
            "state",
            "attempts",
            "last_error",
            "created_at",
            "next_attempt_at",
            "sent_at",
            "deadline_at",
        ]
        read_only_fields = fields

    def get_address(self, notification: Notification) -> str:
        return private_address(notification.channel, notification.address)


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
