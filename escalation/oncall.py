"""Who is on call: the one answer for a schedule or a team at an instant. The API, the admin and the escalation
engine all ask here.

Rules (see docs/escalation.md, "Business time and on-call"):
- An override active at the instant (start <= at < end) replaces every rotation of its schedule. Overlapping
  overrides put all their people on call.
- Otherwise each rotation that has started and has members gives its current person: the member at
  position order 0 from `starts_at`, the next one at each hand-off after that, round and round.
- A hand-off is a wall-clock time in the schedule's zone (every day, or on one weekday), so it stays at 09:00
  local across DST changes. A hand-off time the clocks skip happens at the jump; a repeated one at its first
  occurrence (the same rules as business calendars, `escalation.calendars.local_instant`).
- Order: schedules by name then id; within one, override people by override start, then the rotations by
  name then id. A person is listed once, at their first place.
- `until` is when that person's turn ends as far as the schedule knows now: the next hand-off or the
  override's end, or the start of an override that will take over before either."""

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import DateTimeField, Prefetch, QuerySet, Value

from .calendars import local_instant
from .models import HandOff, Override, Rotation, RotationMember, Schedule, Team

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = Any


@dataclass(frozen=True, slots=True)
class OnCallShift:
    """One person on call for one schedule, why (a rotation or an override), and until when."""

    user: "User"
    schedule: Schedule
    rotation: Rotation | None
    override: Override | None
    until: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Turn:
    """A rotation's current turn: the member's index in the order and when the next hand-off is."""

    index: int
    until: dt.datetime


def _time_seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _first_hand_off_after(*, rotation: Rotation, time_zone: str, instant: dt.datetime) -> dt.date:
    """The local date of the first hand-off strictly after `instant`."""
    seconds = _time_seconds(rotation.hand_off_time)
    weekly = rotation.hand_off == HandOff.WEEKLY
    step = dt.timedelta(days=7 if weekly else 1)
    # A day early: a hand-off near midnight in a repeated hour can belong to the previous local date.
    day = instant.astimezone(zoneinfo.ZoneInfo(time_zone)).date() - dt.timedelta(days=1)
    if weekly:
        day += dt.timedelta(days=(rotation.hand_off_weekday - day.weekday()) % 7)
    while local_instant(time_zone=time_zone, day=day, seconds=seconds) <= instant:
        day += step
    return day


def rotation_turn(*, rotation: Rotation, time_zone: str, at: dt.datetime) -> Turn | None:
    """The turn of a rotation at `at`, None before it starts. Pure: needs no members, no database."""
    if at < rotation.starts_at:
        return None
    first = _first_hand_off_after(rotation=rotation, time_zone=time_zone, instant=rotation.starts_at)
    following = _first_hand_off_after(rotation=rotation, time_zone=time_zone, instant=at)
    step_days = 7 if rotation.hand_off == HandOff.WEEKLY else 1
    # Hand-off instants grow with their local date, so counting dates counts hand-offs since the start.
    index = (following - first).days // step_days
    until = local_instant(time_zone=time_zone, day=following, seconds=_time_seconds(rotation.hand_off_time))
    return Turn(index=index, until=until)


# --- loading what the answer needs in a fixed number of queries ---------------------------------------------


def _lookups(at: dt.datetime) -> list[Prefetch]:
    members = RotationMember.objects.select_related("user").order_by("position", "id")
    rotations = Rotation.objects.order_by("name", "id").prefetch_related(
        Prefetch("members", queryset=members, to_attr="oncall_members")
    )
    # Overrides already over cannot matter at `at` or later; the history is never loaded.
    overrides = Override.objects.filter(end__gt=at).select_related("user").order_by("start", "id")
    return [
        Prefetch("rotations", queryset=rotations, to_attr="oncall_rotations"),
        Prefetch("overrides", queryset=overrides, to_attr="oncall_overrides"),
    ]


def schedules_for_oncall(queryset: QuerySet[Schedule], *, at: dt.datetime) -> QuerySet[Schedule]:
    """The schedules with all `oncall_shifts` needs for `at` or any later instant: three queries in all,
    whatever the number of schedules (rotations, members with users, overrides with users)."""
    return queryset.annotate(oncall_loaded_at=Value(at, output_field=DateTimeField())).prefetch_related(
        *_lookups(at)
    )


def teams_for_oncall(queryset: QuerySet[Team], *, at: dt.datetime) -> QuerySet[Team]:
    """The teams with their schedules loaded for `team_oncall_shifts`: four queries after the teams'."""
    schedules = schedules_for_oncall(Schedule.objects.order_by("name", "id"), at=at)
    return queryset.annotate(oncall_loaded_at=Value(at, output_field=DateTimeField())).prefetch_related(
        Prefetch("schedules", queryset=schedules, to_attr="oncall_schedules")
    )


def _loaded(instance: Any, at: dt.datetime) -> bool:
    """Loaded by the functions above for an instant no later than `at` (so no override is missing)."""
    loaded_at = getattr(instance, "oncall_loaded_at", None)
    return loaded_at is not None and loaded_at <= at


# --- the answer ---------------------------------------------------------------------------------------------


def _schedule_shifts(schedule: Schedule, at: dt.datetime) -> list[OnCallShift]:
    overrides: list[Override] = schedule.oncall_overrides  # type: ignore[attr-defined]
    active = [override for override in overrides if override.start <= at < override.end]
    if active:
        return [
            OnCallShift(user=o.user, schedule=schedule, rotation=None, override=o, until=o.end)
            for o in active
        ]
    next_override = min((o.start for o in overrides if o.start > at), default=None)
    shifts = []
    for rotation in schedule.oncall_rotations:  # type: ignore[attr-defined]
        members: list[RotationMember] = rotation.oncall_members
        turn = rotation_turn(rotation=rotation, time_zone=schedule.time_zone, at=at) if members else None
        if turn is None:
            continue
        until = turn.until if next_override is None else min(turn.until, next_override)
        member = members[turn.index % len(members)]
        shifts.append(
            OnCallShift(user=member.user, schedule=schedule, rotation=rotation, override=None, until=until)
        )
    return shifts


def _first_per_user(shifts: Iterable[OnCallShift]) -> list[OnCallShift]:
    seen: set[int] = set()
    unique = []
    for shift in shifts:
        if shift.user.pk not in seen:
            seen.add(shift.user.pk)
            unique.append(shift)
    return unique


def oncall_shifts(*, schedule: Schedule, at: dt.datetime) -> list[OnCallShift]:
    """Who is on call for the schedule at `at`, with why and until when; one entry per person.

    Three queries, none when the schedule came from `schedules_for_oncall` for an instant <= `at`."""
    if not _loaded(schedule, at):
        schedule = schedules_for_oncall(Schedule.objects.filter(pk=schedule.pk), at=at).get()
    return _first_per_user(_schedule_shifts(schedule, at))


def oncall_users(*, schedule: Schedule, at: dt.datetime) -> list["User"]:
    """The people on call for the schedule at `at`, in the documented order."""
    return [shift.user for shift in oncall_shifts(schedule=schedule, at=at)]


def team_oncall_shifts(*, team: Team, at: dt.datetime) -> list[OnCallShift]:
    """Who is on call for any of the team's schedules at `at`; a person once, at their first place.

    Three queries, none when the team came from `teams_for_oncall` for an instant <= `at`."""
    if _loaded(team, at):
        schedules = team.oncall_schedules  # type: ignore[attr-defined]
    else:
        schedules = schedules_for_oncall(Schedule.objects.filter(team=team).order_by("name", "id"), at=at)
    return _first_per_user(shift for schedule in schedules for shift in _schedule_shifts(schedule, at))


def team_oncall(*, team: Team, at: dt.datetime) -> list["User"]:
    """The people on call for the team at `at`: the union over its schedules, in the documented order."""
    return [shift.user for shift in team_oncall_shifts(team=team, at=at)]


# --- over a span of time: the calendar feed, and who comes next ---------------------------------------------


@dataclass(frozen=True, slots=True)
class OnCallSegment:
    """One person on call for one schedule from `start` to `end` (a rotation's turn or an override)."""

    user: "User"
    schedule: Schedule
    rotation: Rotation | None
    override: Override | None
    start: dt.datetime
    end: dt.datetime


def _next_change(schedule: Schedule, shifts: list[OnCallShift], at: dt.datetime) -> dt.datetime | None:
    """The first instant after `at` at which the answer for the schedule can change: a hand-off, an override
    starting or ending, a rotation starting."""
    candidates = [shift.until for shift in shifts if shift.until is not None and shift.until > at]
    for override in schedule.oncall_overrides:  # type: ignore[attr-defined]
        candidates += [instant for instant in (override.start, override.end) if instant > at]
    for rotation in schedule.oncall_rotations:  # type: ignore[attr-defined]
        if rotation.starts_at > at:
            candidates.append(rotation.starts_at)
    return min(candidates, default=None)


def schedule_segments(
    *, schedule: Schedule, start: dt.datetime, end: dt.datetime, user: "User | None" = None
) -> list[OnCallSegment]:
    """Who is on call for the schedule between `start` and `end`, as segments (only `user`'s when given);
    a person's consecutive segments for the same reason are one. Three queries."""
    if not _loaded(schedule, start):
        schedule = schedules_for_oncall(Schedule.objects.filter(pk=schedule.pk), at=start).get()
    open_segments: dict[tuple[int, int | None, int | None], OnCallSegment] = {}
    done: list[OnCallSegment] = []
    at = start
    while at < end:
        every = _schedule_shifts(schedule, at)
        # From every shift, before a person on call twice is listed once: the turn left out may end first.
        following = _next_change(schedule, every, at)
        shifts = _first_per_user(every)
        until = min(following, end) if following is not None else end
        current: set[tuple[int, int | None, int | None]] = set()
        for shift in shifts:
            if user is not None and shift.user.pk != user.pk:
                continue
            key = (
                shift.user.pk,
                shift.rotation.pk if shift.rotation else None,
                shift.override.pk if shift.override else None,
            )
            current.add(key)
            segment = open_segments.get(key)
            open_segments[key] = OnCallSegment(
                user=shift.user,
                schedule=schedule,
                rotation=shift.rotation,
                override=shift.override,
                start=segment.start if segment is not None else at,
                end=until,
            )
        for key in list(open_segments):
            if key not in current:
                done.append(open_segments.pop(key))
        at = until
    done.extend(open_segments.values())
    return sorted(done, key=lambda segment: (segment.start, segment.user.pk))


def user_oncall_segments(*, user: "User", start: dt.datetime, end: dt.datetime) -> list[OnCallSegment]:
    """A person's on-call segments over every schedule they are in (a rotation's member or an override)."""
    schedules = schedules_for_oncall(
        Schedule.objects.filter(models.Q(rotations__members__user=user) | models.Q(overrides__user=user))
        .distinct()
        .order_by("name", "id"),
        at=start,
    )
    segments = [
        segment
        for schedule in schedules
        for segment in schedule_segments(schedule=schedule, start=start, end=end, user=user)
    ]
    return sorted(segments, key=lambda segment: (segment.start, segment.schedule.pk))


@dataclass(frozen=True, slots=True)
class OnCallNowNext:
    """Who is on call for a team now, and who is from the next change on (`next_at`; None: nobody changes)."""

    now: list[OnCallShift]
    next_at: dt.datetime | None
    next: list[OnCallShift]


def team_oncall_now_next(*, team: Team, at: dt.datetime) -> OnCallNowNext:
    """The team's answer at `at`, and at the first instant after it at which any of its schedules changes."""
    if _loaded(team, at):
        schedules = team.oncall_schedules  # type: ignore[attr-defined]
    else:
        schedules = list(
            schedules_for_oncall(Schedule.objects.filter(team=team).order_by("name", "id"), at=at)
        )
    now = _first_per_user(shift for schedule in schedules for shift in _schedule_shifts(schedule, at))
    changes = [
        change
        for schedule in schedules
        if (change := _next_change(schedule, _schedule_shifts(schedule, at), at)) is not None
    ]
    next_at = min(changes, default=None)
    following = (
        _first_per_user(shift for schedule in schedules for shift in _schedule_shifts(schedule, next_at))
        if next_at is not None
        else []
    )
    return OnCallNowNext(now=now, next_at=next_at, next=following)
