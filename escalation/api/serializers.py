import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import (
    BusinessCalendar,
    Holiday,
    Override,
    Rotation,
    RotationMember,
    Schedule,
    Team,
    WorkingInterval,
)


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "description", "manager", "members"]


# --- business calendars and on-call ---------------------------------------------------------------------------


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


class WorkingIntervalSerializer(WholeRowSerializer):
    class Meta:
        model = WorkingInterval
        fields = ["weekday", "start", "end"]

    def validate(self, attrs: dict) -> dict:
        # The database refuses it too; saying so here answers 400 instead of failing on the constraint.
        if attrs["start"] == attrs["end"] and attrs["end"] != dt.time(0):
            raise serializers.ValidationError(
                {"end": _("Start and end are equal: write 00:00-00:00 for a whole day.")}
            )
        return attrs


class HolidaySerializer(WholeRowSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name"]


class BusinessCalendarSerializer(serializers.ModelSerializer):
    """A calendar with its intervals and holidays. Writing `intervals` or `holidays` replaces them all."""

    intervals = WorkingIntervalSerializer(many=True, required=False)
    holidays = HolidaySerializer(many=True, required=False)

    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "description", "time_zone", "is_24x7", "intervals", "holidays"]

    def validate_holidays(self, value: list[dict]) -> list[dict]:
        dates = [holiday["date"] for holiday in value]
        if len(dates) != len(set(dates)):
            raise serializers.ValidationError(_("A date appears twice."))
        return value

    @transaction.atomic
    def create(self, validated_data: dict) -> BusinessCalendar:
        intervals = validated_data.pop("intervals", [])
        holidays = validated_data.pop("holidays", [])
        calendar = BusinessCalendar.objects.create(**validated_data)
        self._replace(calendar, intervals, holidays)
        return calendar

    @transaction.atomic
    def update(self, instance: BusinessCalendar, validated_data: dict) -> BusinessCalendar:
        intervals = validated_data.pop("intervals", None)
        holidays = validated_data.pop("holidays", None)
        instance = super().update(instance, validated_data)
        self._replace(instance, intervals, holidays)
        return instance

    @staticmethod
    def _replace(
        calendar: BusinessCalendar, intervals: list[dict] | None, holidays: list[dict] | None
    ) -> None:
        if intervals is not None:
            calendar.intervals.all().delete()
            WorkingInterval.objects.bulk_create(
                WorkingInterval(calendar=calendar, **item) for item in intervals
            )
        if holidays is not None:
            calendar.holidays.all().delete()
            Holiday.objects.bulk_create(Holiday(calendar=calendar, **item) for item in holidays)


class RotationSerializer(WholeRowSerializer):
    """A rotation; `users` is the order of turns (user ids, the same person may appear twice)."""

    users = serializers.PrimaryKeyRelatedField(
        many=True, queryset=get_user_model().objects.all(), required=False, write_only=True
    )

    class Meta:
        model = Rotation
        fields = ["id", "name", "hand_off", "hand_off_time", "hand_off_weekday", "starts_at", "users"]

    def validate_starts_at(self, value: dt.datetime) -> dt.datetime:
        # Hand-offs are found by walking local dates from the start: one near year 1 or 9999 overflows.
        if not 1970 <= value.year <= 9000:
            raise serializers.ValidationError(_("Give a start between the years 1970 and 9000."))
        return value

    def to_representation(self, instance: Rotation) -> dict:
        data = super().to_representation(instance)
        # The order of turns, from the prefetched places rather than the unordered many-to-many.
        data["users"] = [member.user_id for member in instance.members.all()]
        return data


class OverrideSerializer(serializers.ModelSerializer):
    class Meta:
        model = Override
        fields = ["id", "user", "start", "end", "reason"]


class ScheduleSerializer(serializers.ModelSerializer):
    """A schedule with its rotations (writing `rotations` replaces them all) and its overrides that have not
    ended yet (read-only here; the admin edits them)."""

    rotations = RotationSerializer(many=True, required=False)
    overrides = serializers.SerializerMethodField()

    class Meta:
        model = Schedule
        fields = ["id", "name", "team", "time_zone", "description", "rotations", "overrides"]

    @extend_schema_field(OverrideSerializer(many=True))
    def get_overrides(self, schedule: Schedule) -> list[dict]:
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
