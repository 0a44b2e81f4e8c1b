"""Who carries the pager: schedules made of rotations, and overrides for a time range.

`escalation.oncall` answers "who is on call for this schedule or team at this instant"; these models only
hold the data."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .calendar import Weekday, validate_time_zone


class Schedule(models.Model):
    """A team's on-call schedule: its rotations run side by side (primary, secondary, ...), and an override
    replaces all of them for its time range."""

    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        "escalation.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="schedules"
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("IANA name, for example Europe/Paris. Hand-off times are wall-clock times in this zone."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("on-call schedule")
        verbose_name_plural = _("on-call schedules")
        ordering = ["team", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="schedule_name_unique_per_team"),
        ]

    def __str__(self) -> str:
        return self.name


class HandOff(models.TextChoices):
    """How often the pager passes to the next person."""

    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")


class Rotation(models.Model):
    """An ordered list of people taking turns. The first person starts at `starts_at`; at every hand-off
    (the local time each day, or the local time on the weekday each week) the next one takes over, and after
    the last comes the first again."""

    schedule = models.ForeignKey(
        Schedule, verbose_name=_("schedule"), on_delete=models.CASCADE, related_name="rotations"
    )
    name = models.CharField(_("name"), max_length=100, default="primary")
    hand_off = models.CharField(_("hand-off"), max_length=10, choices=HandOff.choices, default=HandOff.WEEKLY)
    hand_off_time = models.TimeField(
        _("hand-off time"), help_text=_("Wall-clock time in the schedule's zone.")
    )
    hand_off_weekday = models.PositiveSmallIntegerField(
        _("hand-off weekday"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text=_("Only for weekly hand-offs."),
    )
    starts_at = models.DateTimeField(_("starts at"), help_text=_("When the first person's turn begins."))
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("users"),
        through="RotationMember",
        related_name="oncall_rotations",
        blank=True,
    )

    class Meta:
        verbose_name = _("rotation")
        verbose_name_plural = _("rotations")
        ordering = ["schedule", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hand_off_weekday__lte=6), name="rotation_hand_off_weekday_0_to_6"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} / {self.name}"

    def clean(self) -> None:
        # Hand-offs are found by walking local dates from the start: one near year 1 or 9999 overflows.
        if self.starts_at is not None and not 1970 <= self.starts_at.year <= 9000:
            raise ValidationError({"starts_at": _("Give a start between the years 1970 and 9000.")})


class RotationMember(models.Model):
    """One place in a rotation's order. The same person may hold several places (A, B, A, C)."""

    rotation = models.ForeignKey(
        Rotation, verbose_name=_("rotation"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="oncall_rotation_places",
    )
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        verbose_name = _("rotation member")
        verbose_name_plural = _("rotation members")
        ordering = ["rotation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rotation", "position"], name="rotation_member_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.user}"


class Override(models.Model):
    """Someone takes the whole schedule for a time range [start, end), in place of the rotations."""

    schedule = models.ForeignKey(
        Schedule, verbose_name=_("schedule"), on_delete=models.CASCADE, related_name="overrides"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="oncall_overrides",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("override")
        verbose_name_plural = _("overrides")
        ordering = ["schedule", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="override_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["schedule", "end"], name="override_schedule_end_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.start:%Y-%m-%d %H:%M}-{self.end:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        # The database constraint guards the data; this says it in words on the admin form.
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("An override must end after it starts.")})


class OnCallFeed(models.Model):
    """A person's private calendar feed of their on-call shifts (iCalendar, escalation/feeds.py), reached by a
    secret URL. Only the SHA-256 of the secret is kept: the URL is shown once, when the feed is made; making
    it again replaces the secret, deleting the row revokes it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="oncall_feed"
    )
    token_hash = models.CharField(_("secret (SHA-256)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("on-call calendar feed")
        verbose_name_plural = _("on-call calendar feeds")

    def __str__(self) -> str:
        return str(_("On-call feed of %(user)s") % {"user": self.user})
