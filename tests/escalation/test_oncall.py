"""Who is on call: rotations, hand-offs (daily, weekly, across DST), overrides, teams, query counts."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from escalation.models import Rotation, Team
from escalation.oncall import oncall_shifts, oncall_users, rotation_turn, team_oncall, teams_for_oncall
from tests.escalation.factories import (
    OverrideFactory,
    RotationFactory,
    ScheduleFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# hypothesis wants naive bounds; the `timezones` argument makes the drawn values aware.
NAIVE_FIRST = dt.datetime(2025, 12, 1)  # noqa: DTZ001
NAIVE_LAST = dt.datetime(2027, 2, 1)  # noqa: DTZ001
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def people():
    return [UserFactory(username=name) for name in ("ann", "bob", "cat")]


@pytest.mark.parametrize(
    ("at", "expected", "until"),
    [
        pytest.param(paris(2026, 1, 5, 8, 59), [], None, id="before-the-start"),
        pytest.param(paris(2026, 1, 5, 9), ["ann"], paris(2026, 1, 12, 9), id="at-the-start"),
        pytest.param(paris(2026, 1, 12, 8, 59), ["ann"], paris(2026, 1, 12, 9), id="just-before-hand-off"),
        pytest.param(paris(2026, 1, 12, 9), ["bob"], paris(2026, 1, 19, 9), id="at-the-hand-off"),
        pytest.param(paris(2026, 1, 21, 3), ["cat"], paris(2026, 1, 26, 9), id="third-week"),
        pytest.param(paris(2026, 1, 26, 9), ["ann"], paris(2026, 2, 2, 9), id="round-again"),
        # 2026-03-29 Paris goes to summer time: Monday 30 March 09:00 is 07:00 UTC, not 08:00.
        pytest.param(utc(2026, 3, 30, 7), ["ann"], paris(2026, 4, 6, 9), id="after-dst-on-local-time"),
        pytest.param(utc(2026, 3, 30, 6, 59), ["cat"], paris(2026, 3, 30, 9), id="before-dst-hand-off"),
    ],
)
def test_weekly_rotation(people, at, expected, until):
    rotation = RotationFactory(users=people)  # Mondays 09:00 Paris from Monday 5 January 09:00
    shifts = oncall_shifts(schedule=rotation.schedule, at=at)
    assert [shift.user.username for shift in shifts] == expected
    if shifts:
        assert shifts[0].until == until
        assert shifts[0].rotation == rotation


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param(paris(2026, 1, 5, 12), "ann", id="first-day"),
        pytest.param(paris(2026, 1, 6, 8, 59), "ann", id="until-the-next-morning"),
        pytest.param(paris(2026, 1, 6, 9), "bob", id="second-day"),
        pytest.param(paris(2026, 1, 8, 9), "bob", id="fourth-day"),
    ],
)
def test_daily_rotation(people, at, expected):
    rotation = RotationFactory(users=people[:2], hand_off="daily")
    assert [user.username for user in oncall_users(schedule=rotation.schedule, at=at)] == [expected]


def test_the_first_turn_runs_to_the_first_hand_off(people):
    # Started on a Wednesday afternoon: Ann keeps it until Monday 09:00, then Bob has a full week.
    rotation = RotationFactory(users=people, starts_at=paris(2026, 1, 7, 15))
    assert oncall_users(schedule=rotation.schedule, at=paris(2026, 1, 12, 8)) == [people[0]]
    assert oncall_users(schedule=rotation.schedule, at=paris(2026, 1, 12, 9)) == [people[1]]
    assert oncall_users(schedule=rotation.schedule, at=paris(2026, 1, 19, 8)) == [people[1]]


@pytest.mark.parametrize(
    ("at", "expected", "until"),
    [
        # Daily at 09:00 local: in winter 14:00 UTC, after 2026-03-08 13:00 UTC.
        pytest.param(utc(2026, 3, 7, 14), "bob", utc(2026, 3, 8, 13), id="day-before-dst"),
        pytest.param(utc(2026, 3, 8, 13), "ann", utc(2026, 3, 9, 13), id="dst-day-hand-off-at-local-nine"),
        pytest.param(utc(2026, 3, 8, 12, 59), "bob", utc(2026, 3, 8, 13), id="dst-day-before-nine"),
        pytest.param(utc(2026, 11, 1, 14), "ann", utc(2026, 11, 2, 14), id="autumn-back-to-winter"),
    ],
)
def test_daily_hand_off_follows_local_time_across_dst(people, at, expected, until):
    schedule = ScheduleFactory(time_zone="America/New_York")
    RotationFactory(
        schedule=schedule,
        users=people[:2],
        hand_off="daily",
        starts_at=dt.datetime(2026, 1, 1, 9, tzinfo=NEW_YORK),
    )
    shifts = oncall_shifts(schedule=schedule, at=at)
    assert [(shift.user.username, shift.until) for shift in shifts] == [(expected, until)]


def test_hand_off_in_a_skipped_hour_happens_at_the_jump(people):
    # Daily at 02:30 Paris; on 2026-03-29 02:30 does not exist: the pager passes at 03:00 CEST (01:00 UTC).
    rotation = RotationFactory(
        users=people[:2], hand_off="daily", hand_off_time=dt.time(2, 30), starts_at=paris(2026, 3, 27, 2, 30)
    )
    shifts = oncall_shifts(schedule=rotation.schedule, at=paris(2026, 3, 28, 12))
    assert [(s.user, s.until) for s in shifts] == [(people[1], utc(2026, 3, 29, 1))]
    assert oncall_users(schedule=rotation.schedule, at=utc(2026, 3, 29, 1)) == [people[0]]
    assert oncall_users(schedule=rotation.schedule, at=utc(2026, 3, 29, 0, 59)) == [people[1]]


def test_override_wins_for_its_range_only(people):
    rotation = RotationFactory(users=people[:2])
    stand_in = UserFactory(username="dan")
    override = OverrideFactory(
        schedule=rotation.schedule, user=stand_in, start=utc(2026, 1, 7, 12), end=utc(2026, 1, 8, 12)
    )
    schedule = rotation.schedule
    before = oncall_shifts(schedule=schedule, at=utc(2026, 1, 7, 11))
    # Ann's turn is cut short by the override, so she is told she is on call until it starts.
    assert [(s.user, s.until) for s in before] == [(people[0], override.start)]
    during = oncall_shifts(schedule=schedule, at=utc(2026, 1, 7, 12))
    assert [(s.user, s.until, s.override) for s in during] == [(stand_in, override.end, override)]
    assert oncall_users(schedule=schedule, at=utc(2026, 1, 8, 12)) == [people[0]]  # the end is exclusive


def test_overlapping_overrides_and_several_rotations(people):
    schedule = ScheduleFactory()
    RotationFactory(schedule=schedule, name="secondary", users=[people[2]])
    RotationFactory(schedule=schedule, name="primary", users=people[:2])
    RotationFactory(schedule=schedule, name="empty")  # no members: no one from it
    assert oncall_users(schedule=schedule, at=paris(2026, 1, 6)) == [people[0], people[2]]
    late, early = UserFactory(), UserFactory()
    OverrideFactory(schedule=schedule, user=late, start=utc(2026, 1, 7, 13), end=utc(2026, 1, 9))
    OverrideFactory(schedule=schedule, user=early, start=utc(2026, 1, 7, 12), end=utc(2026, 1, 8))
    assert oncall_users(schedule=schedule, at=utc(2026, 1, 7, 14)) == [early, late]


def test_a_person_twice_in_the_order(people):
    ann, bob = people[:2]
    rotation = RotationFactory(users=[ann, bob, ann], hand_off="daily")
    days = [oncall_users(schedule=rotation.schedule, at=paris(2026, 1, 5 + n, 10)) for n in range(4)]
    assert days == [[ann], [bob], [ann], [ann]]


def test_team_oncall_is_the_union_in_schedule_order(people):
    ann, bob, cat = people
    team = TeamFactory()
    RotationFactory(schedule=ScheduleFactory(team=team, name="b-network"), users=[bob, ann])
    RotationFactory(schedule=ScheduleFactory(team=team, name="a-database"), users=[cat])
    RotationFactory(schedule=ScheduleFactory(team=team, name="c-storage"), users=[cat])  # listed once
    RotationFactory(schedule=ScheduleFactory(name="other team"), users=[ann])
    at = paris(2026, 1, 6)
    assert team_oncall(team=team, at=at) == [cat, bob]
    assert team_oncall(team=TeamFactory(), at=at) == []


def test_queries_do_not_grow_with_schedules(people, django_assert_num_queries):
    team = TeamFactory()
    for n in range(4):
        schedule = ScheduleFactory(team=team)
        RotationFactory(schedule=schedule, name="primary", users=people)
        RotationFactory(schedule=schedule, name="secondary", users=people[::-1])
        OverrideFactory(schedule=schedule, start=utc(2026, 2, n + 1), end=utc(2026, 2, n + 2))
    at = utc(2026, 1, 6)
    with django_assert_num_queries(4):  # schedules, rotations, members with users, overrides with users
        expected = team_oncall(team=team, at=at)
    assert expected == [people[0], people[2]]  # primary, then secondary (the order reversed)
    teams = list(teams_for_oncall(Team.objects.filter(pk=team.pk), at=at))
    with django_assert_num_queries(0):
        assert team_oncall(team=teams[0], at=at + dt.timedelta(hours=1)) == expected


def test_loaded_for_a_later_instant_is_not_trusted_for_an_earlier_one(people):
    rotation = RotationFactory(users=people)
    stand_in = UserFactory()
    OverrideFactory(schedule=rotation.schedule, user=stand_in, start=utc(2026, 1, 7), end=utc(2026, 1, 8))
    team = teams_for_oncall(Team.objects.filter(pk=rotation.schedule.team_id), at=utc(2026, 1, 9)).get()
    # That load left out the override (already over on the 9th); asked about the 7th, it must look again.
    assert team_oncall(team=team, at=utc(2026, 1, 7, 12)) == [stand_in]


# --- properties of a rotation's turns (unsaved rotations: the turn arithmetic reads no rows) ----------------

ROTATION_ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC"]
moments = st.datetimes(min_value=NAIVE_FIRST, max_value=NAIVE_LAST, timezones=st.just(dt.UTC))


@st.composite
def rotations(draw):
    return Rotation(
        hand_off=draw(st.sampled_from(["daily", "weekly"])),
        # Quarter hours, so that hand-offs fall in skipped and repeated hours too.
        hand_off_time=dt.time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45]))),
        hand_off_weekday=draw(st.integers(0, 6)),
        starts_at=draw(moments),
    )


@settings(max_examples=200, deadline=None)
@given(rotation=rotations(), zone=st.sampled_from(ROTATION_ZONES), first=moments, second=moments)
def test_turns_only_move_forward_and_change_exactly_at_until(rotation, zone, first, second):
    early, late = sorted((first, second))
    assume(early >= rotation.starts_at)
    one, two = (rotation_turn(rotation=rotation, time_zone=zone, at=at) for at in (early, late))
    assert one.index <= two.index
    assert one.until > early
    # The turn holds until `until` (exclusive) and the next one starts right there.
    tick = dt.timedelta(microseconds=1)
    assert rotation_turn(rotation=rotation, time_zone=zone, at=one.until - tick).index == one.index
    assert rotation_turn(rotation=rotation, time_zone=zone, at=one.until).index == one.index + 1
    # A turn never lasts longer than its period plus a DST shift (a partial first turn is shorter).
    period = dt.timedelta(days=7 if rotation.hand_off == "weekly" else 1)
    assert one.until - early <= period + dt.timedelta(hours=1)


def test_an_override_must_end_after_it_starts(people):
    override = OverrideFactory.build(schedule=ScheduleFactory(), user=people[0], end=utc(2026, 1, 7, 12))
    with pytest.raises(ValidationError) as raised:
        override.full_clean()
    assert "An override must end after it starts." in raised.value.message_dict["end"]
