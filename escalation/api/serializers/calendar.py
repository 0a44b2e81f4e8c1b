"""Business calendars with their working intervals and holidays."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.serializers import ModelCleanMixin, VisibleRelationsMixin

from ...models import BusinessCalendar, Holiday, WorkingInterval
from .base import WholeRowSerializer


# An equal start and end is refused by `WorkingInterval.clean()`, here as in the admin.
class WorkingIntervalSerializer(ModelCleanMixin, WholeRowSerializer):
    class Meta:
        model = WorkingInterval
        fields = ["weekday", "start", "end"]


class HolidaySerializer(WholeRowSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name"]


class BusinessCalendarSerializer(VisibleRelationsMixin, serializers.ModelSerializer):
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
