"""Business time: add a business duration to an instant, and measure the business time between two instants.

A calendar is loaded once into a `CalendarSpec` (immutable, no database), or from a `calendar_snapshot`
dict that a running clock stored; the two functions below accept either, a `BusinessCalendar`, or None
(24x7: plain elapsed time). Aware datetimes in, aware UTC datetimes out.

How wall-clock working hours become real time (see docs/escalation.md, "Business time and on-call"):
- Working intervals are wall-clock times in the calendar's zone. What counts is the real time that elapses
  between their start and end, so 00:00-24:00 is 23 hours on a spring-forward day and 25 on a fall-back day.
- A wall time the clocks skip (02:30 on a spring-forward night in Paris) is taken as the instant of the jump:
  work planned in the skipped hour does not happen, and no interval is ever stretched.
- A wall time that happens twice (02:30 on a fall-back night) is its first occurrence.
Both rules keep the wall-time-to-instant mapping monotonic, which is what makes the results never go
backwards and `business_between(start, business_add(start, d)) == d` exact.
- Holidays are local dates: they remove that date's intervals (the part of a night shift after midnight
  belongs to the next date).

Speed: whole weeks are skipped at once when they hold no holiday and no UTC-offset change; only the weeks
around those, and the first and last days, are walked day by day, interval by interval."""

import bisect
import datetime as dt
import functools
import logging
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from config.errors import InvalidInput, VigilError

if TYPE_CHECKING:
    from .models import BusinessCalendar

UTC = dt.UTC
ZERO = dt.timedelta(0)
ONE_DAY = dt.timedelta(days=1)
ONE_WEEK = dt.timedelta(days=7)
DAY_SECONDS = 24 * 3600
SNAPSHOT_VERSION = 1

logger = logging.getLogger(__name__)


class CalendarHasNoWorkingTime(VigilError):
    """The calendar has no working interval at all: no business duration can ever elapse on it."""

    code = "calendar_has_no_working_time"
    status = 400
    default_detail = _("This business calendar has no working time: add working intervals or mark it 24x7.")


Interval = tuple[int, int]  # seconds from local midnight, 0 <= start < end <= 86400


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """A calendar as plain immutable data: what the math runs on, and what a snapshot restores.

    `week` has seven entries, Monday first, each a sorted tuple of disjoint (start, end) intervals in seconds
    from local midnight. `holidays` is sorted. Build it with `calendar_spec`, never by hand."""

    time_zone: str
    week: tuple[tuple[Interval, ...], ...]
    holidays: tuple[dt.date, ...]
    is_24x7: bool = False
    name: str = ""
    zone: zoneinfo.ZoneInfo = field(init=False, compare=False, repr=False)
    holiday_set: frozenset[dt.date] = field(init=False, compare=False, repr=False)
    weekly_seconds: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", _zone(self.time_zone))
        object.__setattr__(self, "holiday_set", frozenset(self.holidays))
        object.__setattr__(self, "weekly_seconds", sum(e - s for day in self.week for s, e in day))

    @property
    def plain(self) -> bool:
        """Every instant counts: business time is elapsed time."""
        return self.is_24x7 and not self.holidays


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(_("%(zone)s is not a known time zone.") % {"zone": name}) from error


def _merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, with overlapping or touching intervals joined, so nothing is counted twice."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def spec_build(
    *,
    time_zone: str,
    week: Iterable[Iterable[Interval]] = (),
    holidays: Iterable[dt.date] = (),
    is_24x7: bool = False,
    name: str = "",
) -> CalendarSpec:
    """A normalised spec: intervals checked, merged and sorted; a 24x7 calendar works whole days."""
    days: list[list[Interval]] = [list(day) for day in week] or [[] for _ in range(7)]
    if len(days) != 7:
        raise InvalidInput(_("A calendar week has seven days, Monday first."))
    for day in days:
        for start, end in day:
            if not 0 <= start < end <= DAY_SECONDS:
                raise InvalidInput(_("A working interval must lie within one day and end after it starts."))
    if is_24x7:
        days = [[(0, DAY_SECONDS)] for _ in range(7)]
    return CalendarSpec(
        time_zone=time_zone,
        week=tuple(_merge(day) for day in days),
        holidays=tuple(sorted(set(holidays))),
        is_24x7=is_24x7,
        name=name,
    )


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _spec_from_model(calendar: "BusinessCalendar") -> CalendarSpec:
    week: list[list[Interval]] = [[] for _ in range(7)]
    for interval in calendar.intervals.all():
        start, end = _seconds(interval.start), _seconds(interval.end)
        # End 00:00 is midnight at the end of the day; an end before the start is a night shift whose
        # second part belongs to the next weekday (so a holiday on that next date removes it).
        end = end or DAY_SECONDS
        if end > start:
            week[interval.weekday].append((start, end))
        else:
            week[interval.weekday].append((start, DAY_SECONDS))
            week[(interval.weekday + 1) % 7].append((0, end))
    return spec_build(
        time_zone=calendar.time_zone,
        week=week,
        holidays=[holiday.date for holiday in calendar.holidays.all()],
        is_24x7=calendar.is_24x7,
        name=calendar.name,
    )


def calendar_spec(
    calendar: "BusinessCalendar | CalendarSpec | Mapping[str, Any] | None",
) -> CalendarSpec | None:
    """Load anything that describes a calendar into a `CalendarSpec`; None stays None (24x7).

    A model instance costs two queries (intervals and holidays) unless they were prefetched."""
    if calendar is None or isinstance(calendar, CalendarSpec):
        return calendar
    if isinstance(calendar, Mapping):
        return spec_from_snapshot(calendar)
    return _spec_from_model(calendar)


def calendar_snapshot(calendar: "BusinessCalendar | CalendarSpec | None") -> dict[str, Any]:
    """A JSON-ready copy of the calendar, for a clock that must not change when the calendar is edited.

    None (no calendar) gives a 24x7 snapshot, so a stored snapshot is always a dict. Pass the snapshot
    straight to `business_add` / `business_between`."""
    spec = calendar_spec(calendar) or spec_build(time_zone="UTC", is_24x7=True, name="24x7")
    return {
        "version": SNAPSHOT_VERSION,
        "name": spec.name,
        "time_zone": spec.time_zone,
        "is_24x7": spec.is_24x7,
        "week": [[[start, end] for start, end in day] for day in spec.week],
        "holidays": [holiday.isoformat() for holiday in spec.holidays],
    }


def running_calendar_snapshot(calendar: "BusinessCalendar | None") -> dict[str, Any] | None:
    """The calendar snapshot a clock or an escalation runs on; None (24x7) when there is no calendar.

    A calendar with no working time at all is run as 24x7, with a warning in the log: on it `business_add`
    raises, which would refuse the incident that started the clock, or leave nobody paged. Simulate shows
    the same, since it builds the same snapshot."""
    if calendar is None:
        return None
    snapshot = calendar_snapshot(calendar)
    if not snapshot["is_24x7"] and not any(snapshot["week"]):
        logger.warning("calendar %r has no working time: running it as 24x7", snapshot["name"])
        return None
    return snapshot


def spec_from_snapshot(snapshot: Mapping[str, Any]) -> CalendarSpec:
    """The spec a `calendar_snapshot` describes."""
    if snapshot.get("version") != SNAPSHOT_VERSION:
        raise InvalidInput(
            _("Unknown calendar snapshot version %(version)s.") % {"version": snapshot.get("version")}
        )
    return spec_build(
        time_zone=snapshot["time_zone"],
        week=[[(int(start), int(end)) for start, end in day] for day in snapshot["week"]],
        holidays=[dt.date.fromisoformat(day) for day in snapshot["holidays"]],
        is_24x7=bool(snapshot.get("is_24x7")),
        name=str(snapshot.get("name", "")),
    )


# --- wall-clock time to instants -------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _offset_changes(zone_name: str, year: int) -> tuple[dt.datetime, ...]:
    """The instants in a UTC year at which the zone's UTC offset changes, to the second.

    Probed every 6 hours then bisected: no zone changes its offset twice within 6 hours."""
    zone = zoneinfo.ZoneInfo(zone_name)
    probe = dt.datetime(year, 1, 1, tzinfo=UTC)
    year_end = dt.datetime(year + 1, 1, 1, tzinfo=UTC)
    previous = probe.astimezone(zone).utcoffset()
    found = []
    while probe < year_end:
        following = min(probe + dt.timedelta(hours=6), year_end)
        offset = following.astimezone(zone).utcoffset()
        if offset != previous:
            low, high = probe, following
            while high - low > dt.timedelta(seconds=1):
                middle = low + dt.timedelta(seconds=(high - low) // dt.timedelta(seconds=1) // 2)
                if middle.astimezone(zone).utcoffset() == previous:
                    low = middle
                else:
                    high = middle
            found.append(high)
            previous = offset
        probe = following
    return tuple(found)


def _changes_between(zone_name: str, low: dt.datetime, high: dt.datetime) -> list[dt.datetime]:
    """Offset changes at instants in [low, high]."""
    changes: list[dt.datetime] = []
    for year in range(low.year, high.year + 1):
        in_year = _offset_changes(zone_name, year)
        changes.extend(in_year[bisect.bisect_left(in_year, low) : bisect.bisect_right(in_year, high)])
    return changes


def local_instant(*, time_zone: str, day: dt.date, seconds: int) -> dt.datetime:
    """The UTC instant of a wall-clock time (`seconds` after local midnight of `day`, up to 86400).

    A skipped wall time is the instant the clocks jump; a repeated one is its first occurrence."""
    zone = zoneinfo.ZoneInfo(time_zone)
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    instant = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first occurrence of a repeated time
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # In a gap, fold=0 reads the wall time with the offset before the jump and fold=1 with the offset after:
    # the jump itself lies between the two readings.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(instant, other), max(instant, other)
    changes = _changes_between(time_zone, low, high)
    return changes[0] if changes else low


def _day_segments(spec: CalendarSpec, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The working time of one local date as UTC (start, end) pairs, in order."""
    if day in spec.holiday_set:
        return []
    segments = []
    for start, end in spec.week[day.weekday()]:
        low = local_instant(time_zone=spec.time_zone, day=day, seconds=start)
        high = local_instant(time_zone=spec.time_zone, day=day, seconds=end)
        if high > low:  # an interval wholly inside a skipped hour is empty
            segments.append((low, high))
    return segments


def _plain_week(spec: CalendarSpec, day: dt.date) -> bool:
    """True when the seven dates from `day` hold no holiday and no offset change, so their business time is
    exactly `spec.weekly_seconds` and they can be skipped at once."""
    index = bisect.bisect_left(spec.holidays, day)
    if index < len(spec.holidays) and spec.holidays[index] < day + ONE_WEEK:
        return False
    # Local midnights are within a day of UTC midnights: two days of margin on each side are safe.
    low = dt.datetime.combine(day, dt.time(), tzinfo=UTC) - 2 * ONE_DAY
    return not _changes_between(spec.time_zone, low, low + ONE_WEEK + 4 * ONE_DAY)


def _aware_utc(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(_("%(name)s must be an aware datetime (with a time zone).") % {"name": name})
    return value.astimezone(UTC)


# --- the two functions -------------------------------------------------------------------------------------


def business_add(
    *,
    calendar: "BusinessCalendar | CalendarSpec | Mapping[str, Any] | None",
    start: dt.datetime,
    duration: dt.timedelta,
) -> dt.datetime:
    """The earliest instant at which `duration` of business time has elapsed since `start`.

    A zero duration gives `start` itself; a positive one ends inside or at the end of working time (a
    duration that uses up Friday's hours exactly ends Friday at 18:00, not on Monday morning)."""
    start = _aware_utc(start, "start")
    if duration < ZERO:
        raise InvalidInput(_("A business duration cannot be negative."))
    spec = calendar_spec(calendar)
    if duration == ZERO:
        return start
    if spec is None or spec.plain:
        try:
            return start + duration
        except OverflowError as error:
            raise InvalidInput(_("The business duration runs past the year 9999.")) from error
    if not spec.weekly_seconds:
        raise CalendarHasNoWorkingTime(calendar=spec.name)
    week = dt.timedelta(seconds=spec.weekly_seconds)
    remaining = duration
    # The day before start's local date: with a repeated midnight, its last interval can reach past start.
    day = start.astimezone(spec.zone).date() - ONE_DAY
    try:
        while True:
            if (
                remaining > week
                and _plain_week(spec, day)
                and local_instant(time_zone=spec.time_zone, day=day, seconds=0) >= start
            ):
                remaining -= week
                day += ONE_WEEK
                continue
            for low, high in _day_segments(spec, day):
                low = max(low, start)
                if high <= low:
                    continue
                if remaining <= high - low:
                    return low + remaining
                remaining -= high - low
            day += ONE_DAY
    except OverflowError as error:
        raise InvalidInput(_("The business duration runs past the year 9999.")) from error


def business_between(
    *,
    calendar: "BusinessCalendar | CalendarSpec | Mapping[str, Any] | None",
    start: dt.datetime,
    end: dt.datetime,
) -> dt.timedelta:
    """The business time in [start, end); zero when end <= start. A calendar with no working time gives zero."""
    start, end = _aware_utc(start, "start"), _aware_utc(end, "end")
    if end <= start:
        return ZERO
    spec = calendar_spec(calendar)
    if spec is None or spec.plain:
        return end - start
    if not spec.weekly_seconds:
        return ZERO
    week = dt.timedelta(seconds=spec.weekly_seconds)
    total = ZERO
    day = start.astimezone(spec.zone).date() - ONE_DAY
    last = end.astimezone(spec.zone).date() + ONE_DAY
    while day <= last:
        if (
            day + ONE_WEEK <= last
            and _plain_week(spec, day)
            and local_instant(time_zone=spec.time_zone, day=day, seconds=0) >= start
            and local_instant(time_zone=spec.time_zone, day=day + ONE_WEEK, seconds=0) <= end
        ):
            total += week
            day += ONE_WEEK
            continue
        for low, high in _day_segments(spec, day):
            low, high = max(low, start), min(high, end)
            if high > low:
                total += high - low
        day += ONE_DAY
    return total


# --- many measurements on one calendar ---------------------------------------------------------------------


class BusinessRuler:
    """`business_between` for many ranges on one calendar, in O(log n) each: reports measure millions.

    The working segments of every date in [low, high] are laid out once (the same `_day_segments` as the
    two functions above, so holidays, DST and night shifts count alike) with the business time elapsed before
    each; a measurement is then two binary searches. Ranges reaching outside [low, high] fall back to
    `business_between`. Times are POSIX seconds (floats) or aware datetimes."""

    def __init__(
        self,
        *,
        calendar: "BusinessCalendar | CalendarSpec | Mapping[str, Any] | None",
        low: dt.datetime,
        high: dt.datetime,
    ) -> None:
        self.spec = calendar_spec(calendar)
        # Every instant counts (no calendar, or 24x7 without holidays), or none does (no working time).
        self.plain = self.spec is None or self.spec.plain
        self.idle = not self.plain and not self.spec.weekly_seconds  # type: ignore[union-attr]
        low, high = _aware_utc(low, "low"), _aware_utc(high, "high")
        self.low, self.high = low.timestamp(), high.timestamp()
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.before: list[float] = []  # business seconds elapsed before each segment starts
        if self.spec is None or self.plain or self.idle:
            return
        day = low.astimezone(self.spec.zone).date() - ONE_DAY
        last = high.astimezone(self.spec.zone).date() + ONE_DAY
        total = 0.0
        while day <= last:
            for start, end in _day_segments(self.spec, day):
                self.starts.append(start.timestamp())
                self.ends.append(end.timestamp())
                self.before.append(total)
                total += end.timestamp() - start.timestamp()
            day += ONE_DAY

    def _elapsed_until(self, at: float) -> float:
        index = bisect.bisect_right(self.starts, at) - 1
        if index < 0:
            return 0.0
        return self.before[index] + min(at, self.ends[index]) - self.starts[index]

    def seconds(self, start: float, end: float) -> float:
        """Business seconds in [start, end) (POSIX seconds); zero when end <= start."""
        if end <= start:
            return 0.0
        if self.plain:
            return end - start
        if self.idle:
            return 0.0
        if start < self.low or end > self.high:
            return business_between(
                calendar=self.spec,
                start=dt.datetime.fromtimestamp(start, UTC),
                end=dt.datetime.fromtimestamp(end, UTC),
            ).total_seconds()
        return self._elapsed_until(end) - self._elapsed_until(start)

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Like `business_between(calendar=..., start=start, end=end)`."""
        start, end = _aware_utc(start, "start"), _aware_utc(end, "end")
        return dt.timedelta(seconds=self.seconds(start.timestamp(), end.timestamp()))
