"""Business time: when a team works, in which time zone, and which days are off.

The models only hold the data; `escalation.calendars` loads a calendar into an immutable structure and does
the arithmetic on it, so the math never touches the database."""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    """Accept only IANA zone names that this machine's tz database knows (Europe/Paris, UTC, ...)."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            _("%(value)s is not a known IANA time zone (for example Europe/Paris)."),
            code="invalid_time_zone",
            params={"value": value},
        ) from error


class Weekday(models.IntegerChoices):
    """Days of the week, numbered as Python's `date.weekday()` does."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(models.Model):
    """Working hours in one time zone, with holidays. SLA clocks and escalation delays count on it.

    A 24x7 calendar counts every hour (except its holidays, if it has any); no calendar at all means 24x7."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("IANA name, for example Europe/Paris. Working hours are wall-clock times in this zone."),
    )
    is_24x7 = models.BooleanField(
        _("24x7"),
        default=False,
        help_text=_(
            "Every hour of every day counts; the working intervals are ignored, holidays still apply."
        ),
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkingInterval(models.Model):
    """One span of working time on a weekday, in the calendar's wall-clock time.

    Several per day are allowed (09:00-12:00 and 13:00-18:00). An end of 00:00 means midnight at the end of
    the day (so 00:00-00:00 is the whole day); an end before the start is a night shift that runs into the
    next day."""

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("working interval")
        verbose_name_plural = _("working intervals")
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="working_interval_weekday_0_to_6"
            ),
            # An end of 00:00 means the end of the day, so 00:00-00:00 is the whole day; any other equal start
            # and end is ambiguous (empty, or 24 hours?) and refused.
            models.CheckConstraint(
                condition=~models.Q(start=models.F("end")) | models.Q(end=datetime.time(0)),
                name="working_interval_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self) -> None:
        # The constraint guards the data; this says it in words, in the admin's form and in the API alike.
        if self.start is not None and self.start == self.end and self.end != datetime.time(0):
            raise ValidationError({"end": _("Start and end are equal: write 00:00-00:00 for a whole day.")})


class Holiday(models.Model):
    """A local date on which the calendar does not work at all."""

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_one_per_calendar_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()
