"""Reading a metrics query from a request's parameters: the API and the reports pages share it, so a bad
date, an inverted range or an unknown group is refused the same way everywhere (400 naming the field)."""

import datetime as dt
from collections.abc import Mapping
from typing import Any, cast

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from config.errors import InvalidInput
from incidents.metrics import GROUPS, ReportingCalendar, reporting_calendar

from .selectors import INTERVALS, MetricsQuery

DEFAULT_DAYS = 30


def _instant(
    name: str, raw: str, errors: dict[str, list[str]], calendar: ReportingCalendar
) -> dt.datetime | None:
    """A date (the start of that day in the reporting zone) or an ISO 8601 datetime (an offset-less one is
    read in the reporting zone)."""
    raw = raw.strip()
    if not raw:
        return None
    if "T" in raw:
        # A `+` left unencoded in a query string arrives as a space.
        raw = raw[:10] + raw[10:].replace(" ", "+")
    try:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            if day is not None:
                return calendar.day_start(day)
    except ValueError:
        value = None
    if value is None:
        errors[name] = [_("Not a date (2026-03-01) or an ISO 8601 date and time (2026-03-01T08:00:00Z).")]
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=calendar.zone)
    return value


def _ids(name: str, values: list[str], errors: dict[str, list[str]]) -> list[int]:
    found: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or len(part) > 18:
                errors[name] = [_("A list of ids (numbers), e.g. %(name)s=1,2.") % {"name": name}]
                return []
            found.append(int(part))
    if name == "priority" and any(not 1 <= value <= 4 for value in found):
        errors[name] = [_("Priorities are 1 to 4.")]
    return sorted(set(found))


def metrics_query_parse(params: Mapping[str, Any], *, interval: bool = False) -> MetricsQuery:
    """`since`, `until` (default: the last 30 days up to the end of today), `group_by` (priority, service,
    team, category), filters `priority`, `service`, `team`, `category` (repeated or comma-separated), and
    for time series `interval` (day, week, month). InvalidInput (400) names each bad field."""
    errors: dict[str, list[str]] = {}
    get_list = getattr(params, "getlist", lambda key: [params[key]] if key in params else [])
    calendar = reporting_calendar()
    since = _instant("since", str(params.get("since", "")), errors, calendar)
    until = _instant("until", str(params.get("until", "")), errors, calendar)
    if until is None and "until" not in errors:
        until = calendar.day_start(calendar.day(timezone.now()) + dt.timedelta(days=1))
    if since is None and "since" not in errors and until is not None:
        since = until - dt.timedelta(days=DEFAULT_DAYS)
    if since is not None and until is not None and since >= until:
        errors["until"] = [_("The end of the range must come after its start (since).")]
    group_by = str(params.get("group_by", "")).strip() or None
    if group_by is not None and group_by not in GROUPS:
        errors["group_by"] = [
            _("Unknown group %(group)s; one of: %(groups)s.")
            % {"group": group_by, "groups": ", ".join(GROUPS)}
        ]
    filters = {group: _ids(group, get_list(group), errors) for group in GROUPS}
    chosen = str(params.get("interval", "")).strip() or "day"
    if interval and chosen not in INTERVALS:
        errors["interval"] = [_("One of: %(values)s.") % {"values": ", ".join(INTERVALS)}]
    if errors:
        first = next(iter(errors))
        raise InvalidInput(f"{first}: {errors[first][0]}", fields=errors)
    return MetricsQuery(
        since=cast(dt.datetime, since),  # each is set, or its error was raised above
        until=cast(dt.datetime, until),
        group_by=group_by,
        filters=filters,
        interval=chosen,
    )
