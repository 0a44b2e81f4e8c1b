"""On-call schedules with their rotations and overrides, and the answer to "who is on call"."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.serializers import ModelCleanMixin, VisibleRelatedField, VisibleRelationsMixin

from ...models import Override, Rotation, RotationMember, Schedule
from .base import WholeRowSerializer


class RotationSerializer(ModelCleanMixin, WholeRowSerializer):
    """A rotation; `users` is the order of turns (user ids, the same person may appear twice)."""

    users = VisibleRelatedField(
        many=True, queryset=get_user_model().objects.all(), required=False, write_only=True
    )

    class Meta:
        model = Rotation
        fields = ["id", "name", "hand_off", "hand_off_time", "hand_off_weekday", "starts_at", "users"]

    def to_representation(self, instance: Rotation) -> dict:
        data = super().to_representation(instance)
        # The order of turns, from the prefetched places rather than the unordered many-to-many.
        data["users"] = [member.user_id for member in instance.members.all()]
        return data


class OverrideSerializer(VisibleRelationsMixin, serializers.ModelSerializer):
    class Meta:
        model = Override
        fields = ["id", "user", "start", "end", "reason"]


class ScheduleSerializer(VisibleRelationsMixin, serializers.ModelSerializer):
    """A schedule with its rotations (writing `rotations` replaces them all) and its overrides that have not
    ended yet (read-only here; the admin edits them)."""

    rotations = RotationSerializer(many=True, required=False)
    overrides = serializers.SerializerMethodField()

    class Meta:
        model = Schedule
        fields = ["id", "name", "team", "time_zone", "description", "rotations", "overrides"]

    @extend_schema_field(OverrideSerializer(many=True))
    def get_overrides(self, schedule: Schedule) -> Any:
        now = timezone.now()
        current = [o for o in schedule.overrides.all() if o.end > now]
        return OverrideSerializer(sorted(current, key=lambda o: (o.start, o.pk)), many=True).data

    @transaction.atomic
    def create(self, validated_data: dict) -> Schedule:
        rotations = validated_data.pop("rotations", [])
        schedule = Schedule.objects.create(**validated_data)
        self._replace_rotations(schedule, rotations)
        return schedule

    @transaction.atomic
    def update(self, instance: Schedule, validated_data: dict) -> Schedule:
        rotations = validated_data.pop("rotations", None)
        instance = super().update(instance, validated_data)
        if rotations is not None:
            instance.rotations.all().delete()
            self._replace_rotations(instance, rotations)
        return instance

    @staticmethod
    def _replace_rotations(schedule: Schedule, rotations: list[dict]) -> None:
        for item in rotations:
            users = item.pop("users", [])
            rotation = Rotation.objects.create(schedule=schedule, **item)
            RotationMember.objects.bulk_create(
                RotationMember(rotation=rotation, user=user, position=position)
                for position, user in enumerate(users)
            )


class OnCallEntrySerializer(serializers.Serializer):
    """One person on call: through which schedule, and until when (next hand-off or the override's end)."""

    id = serializers.IntegerField(source="user.pk")
    username = serializers.CharField(source="user.username")
    schedule = serializers.IntegerField(source="schedule.pk")
    until = serializers.DateTimeField(allow_null=True)


class TeamOnCallSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    at = serializers.DateTimeField()
    oncall = OnCallEntrySerializer(many=True)
    next_at = serializers.DateTimeField(
        allow_null=True,
        help_text="The next instant at which anyone's turn changes (null: nothing is planned).",
    )
    next = OnCallEntrySerializer(many=True, help_text="Who is on call from `next_at` on.")


class OnCallFeedSerializer(serializers.Serializer):
    """The caller's private on-call calendar feed: `url` (with its secret) only in the answer that made it."""

    active = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(allow_null=True)
