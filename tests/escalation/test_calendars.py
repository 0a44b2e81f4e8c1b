"""Business time: hand-checked examples, then properties that must hold for any calendar (hypothesis)."""

import datetime as dt
import json
import zoneinfo

import pytest
from django.db import IntegrityError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from config.errors import InvalidInput
from escalation.calendars import (
    CalendarHasNoWorkingTime,
    business_add,
    business_between,
    calendar_snapshot,
    calendar_spec,
    local_instant,
    spec_build,
)
from escalation.models import WorkingInterval
from tests.escalation.factories import BusinessCalendarFactory, HolidayFactory, office_hours

H = 3600
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LORD_HOWE = zoneinfo.ZoneInfo("Australia/Lord_Howe")
OFFICE = [[(9 * H, 12 * H), (13 * H, 18 * H)]] * 5 + [[], []]
WHOLE_DAYS = [[(0, 24 * H)]] * 7


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def office(**kwargs) -> object:
    return spec_build(time_zone="Europe/Paris", week=OFFICE, **kwargs)


# --- hand-checked examples ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        pytest.param(paris(2026, 1, 5, 9), hours(1), paris(2026, 1, 5, 10), id="inside-hours"),
        pytest.param(paris(2026, 1, 5, 11, 30), hours(1), paris(2026, 1, 5, 13, 30), id="over-lunch"),
        pytest.param(paris(2026, 1, 5, 9), hours(8), paris(2026, 1, 5, 18), id="uses-the-day-exactly"),
        pytest.param(paris(2026, 1, 9, 17), hours(2), paris(2026, 1, 12, 10), id="friday-to-monday"),
        pytest.param(paris(2026, 1, 10, 3), hours(1), paris(2026, 1, 12, 10), id="from-saturday"),
        pytest.param(paris(2026, 1, 5, 20), hours(0), paris(2026, 1, 5, 20), id="zero-stays-put"),
        pytest.param(paris(2026, 1, 5, 9), hours(40), paris(2026, 1, 9, 18), id="one-working-week"),
        pytest.param(paris(2026, 1, 5, 9), hours(8 * 5 * 10 + 1), paris(2026, 3, 16, 10), id="ten-weeks"),
        pytest.param(paris(2026, 3, 23, 9), hours(8 * 5 * 2), paris(2026, 4, 3, 18), id="over-spring-dst"),
    ],
)
def test_business_add_office_hours(start, duration, expected):
    result = business_add(calendar=office(), start=start, duration=duration)
    assert result == expected
    assert result.tzinfo is dt.UTC
    assert business_between(calendar=office(), start=start, end=result) == duration


def test_holiday_is_skipped():
    christmas = office(holidays=[dt.date(2026, 12, 25)])
    # Thursday 17:00 + 2 h: one hour on Thursday, Friday the 25th is off, the second hour on Monday.
    assert business_add(calendar=christmas, start=paris(2026, 12, 24, 17), duration=hours(2)) == paris(
        2026, 12, 28, 10
    )
    assert business_between(calendar=christmas, start=paris(2026, 12, 21), end=paris(2026, 12, 28)) == hours(
        32
    )


@pytest.mark.parametrize(
    ("zone", "day", "length"),
    [
        pytest.param("Europe/Paris", dt.date(2026, 3, 29), hours(23), id="paris-spring"),
        pytest.param("Europe/Paris", dt.date(2026, 10, 25), hours(25), id="paris-autumn"),
        pytest.param("America/New_York", dt.date(2026, 3, 8), hours(23), id="new-york-spring"),
        pytest.param("America/New_York", dt.date(2026, 11, 1), hours(25), id="new-york-autumn"),
        pytest.param("Australia/Lord_Howe", dt.date(2026, 4, 5), hours(24.5), id="lord-howe-autumn"),
        pytest.param("Australia/Lord_Howe", dt.date(2026, 10, 4), hours(23.5), id="lord-howe-spring"),
        pytest.param("Europe/Paris", dt.date(2026, 3, 30), hours(24), id="ordinary-day"),
    ],
)
def test_a_whole_working_day_lasts_what_the_clocks_say(zone, day, length):
    # A holiday a year away keeps the calendar off the plain 24x7 fast path.
    spec = spec_build(time_zone=zone, week=WHOLE_DAYS, holidays=[dt.date(2030, 1, 1)])
    tz = zoneinfo.ZoneInfo(zone)
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    assert business_between(calendar=spec, start=midnight, end=next_midnight) == length
    assert business_add(calendar=spec, start=midnight, duration=length) == next_midnight


@pytest.mark.parametrize(
    ("day", "start", "end", "expected"),
    [
        # 2026-03-29 in Paris: 02:00 jumps to 03:00. Work planned in the skipped hour does not happen.
        pytest.param(dt.date(2026, 3, 29), 2 * H, 3 * H, hours(0), id="inside-the-gap"),
        pytest.param(dt.date(2026, 3, 29), int(2.5 * H), 4 * H, hours(1), id="starts-in-the-gap"),
        pytest.param(dt.date(2026, 3, 29), 1 * H, int(2.5 * H), hours(1), id="ends-in-the-gap"),
        # 2026-10-25 in Paris: 03:00 goes back to 02:00. A repeated time is its first occurrence.
        pytest.param(dt.date(2026, 10, 25), 2 * H, 3 * H, hours(2), id="spans-the-repeat"),
        pytest.param(dt.date(2026, 10, 25), int(2.5 * H), 3 * H, hours(1.5), id="starts-in-the-repeat"),
        pytest.param(dt.date(2026, 10, 25), 1 * H, int(2.5 * H), hours(1.5), id="ends-in-the-repeat"),
    ],
)
def test_skipped_and_repeated_wall_times(day, start, end, expected):
    week = [[] for _ in range(7)]
    week[day.weekday()] = [(start, end)]
    spec = spec_build(time_zone="Europe/Paris", week=week)
    around = dt.datetime.combine(day, dt.time(), tzinfo=PARIS)
    assert business_between(calendar=spec, start=around - hours(24), end=around + hours(48)) == expected


def test_local_instant_rules():
    gap = local_instant(time_zone="Europe/Paris", day=dt.date(2026, 3, 29), seconds=int(2.5 * H))
    assert gap == dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC)  # the jump: 03:00 CEST
    repeat = local_instant(time_zone="Europe/Paris", day=dt.date(2026, 10, 25), seconds=int(2.5 * H))
    assert repeat == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # first pass: 02:30 CEST
    lord_howe = local_instant(
        time_zone="Australia/Lord_Howe", day=dt.date(2026, 10, 4), seconds=int(2.25 * H)
    )
    assert lord_howe == dt.datetime(2026, 10, 4, 2, 30, tzinfo=LORD_HOWE)


def test_night_shift_across_dst():
    # Saturday 22:00 to Sunday 06:00 in Paris, written as two intervals.
    week = [[] for _ in range(7)]
    week[5], week[6] = [(22 * H, 24 * H)], [(0, 6 * H)]
    spec = spec_build(time_zone="Europe/Paris", week=week)
    assert business_between(calendar=spec, start=paris(2026, 3, 28), end=paris(2026, 3, 30)) == hours(7)
    assert business_between(calendar=spec, start=paris(2026, 10, 24), end=paris(2026, 10, 26)) == hours(9)
    assert business_add(calendar=spec, start=paris(2026, 3, 28, 12), duration=hours(7)) == paris(
        2026, 3, 29, 6
    )


def test_24x7_and_no_calendar_are_plain_time():
    start = paris(2026, 3, 28, 12).astimezone(dt.UTC)  # + on a Paris datetime would add wall-clock time
    for calendar in (None, spec_build(time_zone="Europe/Paris", is_24x7=True)):
        assert business_add(calendar=calendar, start=start, duration=hours(36)) == start + hours(36)
        assert business_between(calendar=calendar, start=start, end=start + hours(36)) == hours(36)


def test_24x7_keeps_its_holidays():
    spec = spec_build(time_zone="Europe/Paris", is_24x7=True, holidays=[dt.date(2026, 12, 25)])
    assert business_between(calendar=spec, start=paris(2026, 12, 24), end=paris(2026, 12, 27)) == hours(48)
    assert business_add(calendar=spec, start=paris(2026, 12, 24, 12), duration=hours(13)) == paris(
        2026, 12, 26, 1
    )


def test_end_before_start_is_zero():
    assert business_between(
        calendar=office(), start=paris(2026, 1, 6), end=paris(2026, 1, 5)
    ) == dt.timedelta(0)


def test_calendar_without_working_time():
    empty = spec_build(time_zone="Europe/Paris", name="empty")
    with pytest.raises(CalendarHasNoWorkingTime) as raised:
        business_add(calendar=empty, start=paris(2026, 1, 5), duration=hours(1))
    assert raised.value.as_dict()["code"] == "calendar_has_no_working_time"
    assert raised.value.status == 400
    assert business_between(calendar=empty, start=paris(2026, 1, 5), end=paris(2027, 1, 5)) == dt.timedelta(0)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda: business_add(calendar=None, start=dt.datetime(2026, 1, 5), duration=hours(1)),  # noqa: DTZ001
            id="naive",
        ),
        pytest.param(
            lambda: business_add(calendar=None, start=paris(2026, 1, 5), duration=hours(-1)), id="negative"
        ),
        pytest.param(lambda: spec_build(time_zone="Mars/Olympus"), id="unknown-zone"),
        pytest.param(lambda: spec_build(time_zone="UTC", week=[[(5, 5)]] * 7), id="empty-interval"),
        pytest.param(
            lambda: business_add(calendar={"version": 99}, start=paris(2026, 1, 5), duration=hours(1)),
            id="snapshot-version",
        ),
    ],
)
def test_bad_input_is_a_vigil_error(call):
    with pytest.raises(InvalidInput):
        call()


def test_long_durations_are_fast_and_exact():
    spec = office(holidays=[dt.date(2027 + n, 5, 1) for n in range(10)])
    start = paris(2026, 1, 5, 9)
    result = business_add(calendar=spec, start=start, duration=hours(8 * 5 * 52 * 10))
    assert business_between(calendar=spec, start=start, end=result) == hours(8 * 5 * 52 * 10)
    # Ten years of 52 working weeks, plus the May Days that fell on a weekday.
    assert dt.datetime(2035, 12, 1, tzinfo=dt.UTC) < result < dt.datetime(2036, 2, 1, tzinfo=dt.UTC)


# --- loading from the database, snapshots -------------------------------------------------------------------


@pytest.mark.django_db
def test_model_loads_into_spec_with_night_shift_and_midnight(django_assert_num_queries):
    calendar = office_hours(BusinessCalendarFactory(time_zone="America/New_York"))
    WorkingInterval.objects.create(calendar=calendar, weekday=4, start=dt.time(22), end=dt.time(2))
    WorkingInterval.objects.create(calendar=calendar, weekday=6, start=dt.time(0), end=dt.time(0))
    HolidayFactory(calendar=calendar, date=dt.date(2026, 7, 3))
    with django_assert_num_queries(2):
        spec = calendar_spec(calendar)
    assert spec.week[4] == ((9 * H, 12 * H), (13 * H, 18 * H), (22 * H, 24 * H))
    assert spec.week[5] == ((0, 2 * H),)
    assert spec.week[6] == ((0, 24 * H),)
    assert spec.holidays == (dt.date(2026, 7, 3),)
    start = dt.datetime(2026, 7, 3, tzinfo=NEW_YORK).astimezone(dt.UTC)
    # Friday 3 July is a holiday: its night shift goes, the part after midnight (Saturday) stays.
    assert business_between(calendar=calendar, start=start, end=start + hours(72)) == hours(2 + 24)


@pytest.mark.django_db
def test_snapshot_does_not_follow_later_edits():
    calendar = office_hours(BusinessCalendarFactory())
    snapshot = json.loads(json.dumps(calendar_snapshot(calendar)))  # what a JSONField stores
    HolidayFactory(calendar=calendar, date=dt.date(2026, 1, 5))
    calendar.intervals.all().delete()
    assert business_add(calendar=snapshot, start=paris(2026, 1, 5, 9), duration=hours(2)) == paris(
        2026, 1, 5, 11
    )
    assert business_add(
        calendar=calendar_snapshot(None), start=paris(2026, 1, 5), duration=hours(2)
    ) == paris(2026, 1, 5, 2)


@pytest.mark.django_db
def test_an_ambiguous_empty_interval_is_refused():
    calendar = BusinessCalendarFactory()
    with pytest.raises(IntegrityError):
        WorkingInterval.objects.create(calendar=calendar, weekday=0, start=dt.time(9), end=dt.time(9))


# --- properties ---------------------------------------------------------------------------------------------

ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC"]
# Dates of offset changes in 2026 in those zones, so that examples gather around them.
TRANSITION_DAYS = [
    dt.date(2026, 3, 29),
    dt.date(2026, 10, 25),
    dt.date(2026, 3, 8),
    dt.date(2026, 11, 1),
    dt.date(2026, 4, 5),
    dt.date(2026, 10, 4),
    dt.date(2026, 12, 31),
]
# hypothesis wants naive bounds; the `timezones` argument makes the drawn values aware.
NAIVE_FIRST = dt.datetime(2025, 12, 1)  # noqa: DTZ001
NAIVE_LAST = dt.datetime(2027, 2, 1)  # noqa: DTZ001
QUARTERS = 96  # intervals are drawn on a 15-minute grid so they meet the 30- and 60-minute DST shifts

interval = st.tuples(st.integers(0, QUARTERS), st.integers(0, QUARTERS)).filter(lambda p: p[0] != p[1])
day_plan = st.lists(interval, max_size=3).map(lambda spans: [(min(p) * 900, max(p) * 900) for p in spans])
instants = st.one_of(
    st.builds(
        lambda day, minutes: (
            dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
        ),
        st.sampled_from(TRANSITION_DAYS),
        st.integers(-3 * 24 * 60, 3 * 24 * 60),
    ),
    st.datetimes(min_value=NAIVE_FIRST, max_value=NAIVE_LAST, timezones=st.just(dt.UTC)),
)


@st.composite
def specs(draw):
    week = [draw(day_plan) for _ in range(7)]
    assume(any(week))
    holidays = draw(
        st.lists(
            st.sampled_from(TRANSITION_DAYS) | st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
            max_size=6,
        )
    )
    return spec_build(time_zone=draw(st.sampled_from(ZONES)), week=week, holidays=holidays)


durations = st.integers(0, 40 * 24 * H).map(lambda s: dt.timedelta(seconds=s))
FAST = settings(max_examples=200, deadline=None)


@FAST
@given(spec=specs(), start=instants, duration=durations)
def test_adding_then_measuring_gives_the_duration_back(spec, start, duration):
    end = business_add(calendar=spec, start=start, duration=duration)
    assert end.tzinfo is dt.UTC
    assert end >= start + duration  # business time never runs faster than the clock
    assert business_between(calendar=spec, start=start, end=end) == duration
    # And it is the earliest such instant: a second less would not do.
    if duration:
        assert business_between(calendar=spec, start=start, end=end - dt.timedelta(seconds=1)) < duration


@FAST
@given(spec=specs(), start=instants, first=durations, second=durations)
def test_add_is_monotonic_in_duration(spec, start, first, second):
    low, high = sorted((first, second))
    assert business_add(calendar=spec, start=start, duration=low) <= business_add(
        calendar=spec, start=start, duration=high
    )


@FAST
@given(spec=specs(), first=instants, second=instants, duration=durations)
def test_add_is_monotonic_in_start(spec, first, second, duration):
    early, late = sorted((first, second))
    assert business_add(calendar=spec, start=early, duration=duration) <= business_add(
        calendar=spec, start=late, duration=duration
    )


@FAST
@given(spec=specs(), points=st.lists(instants, min_size=3, max_size=3))
def test_between_adds_up_and_never_exceeds_the_clock(spec, points):
    a, b, c = sorted(points)
    whole = business_between(calendar=spec, start=a, end=c)
    assert whole == business_between(calendar=spec, start=a, end=b) + business_between(
        calendar=spec, start=b, end=c
    )
    assert dt.timedelta(0) <= whole <= c - a


@settings(max_examples=60, deadline=None)
@given(spec=specs(), start=instants, days=st.integers(20, 400))
def test_skipping_weeks_agrees_with_walking_day_by_day(spec, start, days):
    end = start + dt.timedelta(days=days)
    walked = dt.timedelta(0)
    cursor = start
    while cursor < end:  # pieces of 5 days are too short for the whole-week shortcut
        following = min(cursor + dt.timedelta(days=5), end)
        walked += business_between(calendar=spec, start=cursor, end=following)
        cursor = following
    assert business_between(calendar=spec, start=start, end=end) == walked


@FAST
@given(
    week=st.lists(day_plan, min_size=7, max_size=7).filter(any),
    start=st.datetimes(min_value=NAIVE_FIRST, max_value=NAIVE_LAST, timezones=st.just(dt.UTC)),
    minutes=st.integers(0, 2 * 24 * 60),
)
def test_matches_a_minute_by_minute_count_where_clocks_do_not_change(week, start, minutes):
    # Asia/Tokyo has no DST: the plain definition (is this minute's wall time inside an interval?) holds.
    spec = spec_build(time_zone="Asia/Tokyo", week=week)
    start = start.replace(second=0, microsecond=0)
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    counted = 0
    for step in range(minutes):
        wall = (start + dt.timedelta(minutes=step)).astimezone(tokyo)
        second = wall.hour * H + wall.minute * 60
        counted += any(s <= second < e for s, e in spec.week[wall.weekday()])
    assert business_between(
        calendar=spec, start=start, end=start + dt.timedelta(minutes=minutes)
    ) == dt.timedelta(minutes=counted)
