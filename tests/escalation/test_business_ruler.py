"""BusinessRuler measures exactly what business_between measures, however many ranges, across DST, holidays,
lunch breaks and night shifts; outside the span it was laid out for, it falls back to business_between."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.calendars import BusinessRuler, business_between, spec_build

UTC = dt.UTC
PARIS = spec_build(
    time_zone="Europe/Paris",
    week=[[(9 * 3600, 12 * 3600), (13 * 3600, 18 * 3600)]] * 5 + [[], [(22 * 3600, 86400)]],
    holidays=[dt.date(2026, 12, 25), dt.date(2026, 3, 30)],
)
LOW, HIGH = dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2026, 12, 31, tzinfo=UTC)
RULER = BusinessRuler(calendar=PARIS, low=LOW, high=HIGH)
instants = st.integers(min_value=0, max_value=int((HIGH - LOW).total_seconds()) + 40 * 86400).map(
    lambda seconds: LOW - dt.timedelta(days=20) + dt.timedelta(seconds=seconds)
)


@settings(max_examples=300, deadline=None)
@given(start=instants, end=instants)
def test_the_ruler_agrees_with_business_between(start, end):
    expected = business_between(calendar=PARIS, start=start, end=end).total_seconds()
    assert abs(RULER.between(start, end).total_seconds() - expected) < 1e-3


def test_24x7_and_no_working_time():
    start, end = LOW, LOW + dt.timedelta(hours=5)
    assert BusinessRuler(calendar=None, low=LOW, high=HIGH).between(start, end) == dt.timedelta(hours=5)
    idle = spec_build(time_zone="UTC", week=[[] for _ in range(7)])
    assert BusinessRuler(calendar=idle, low=LOW, high=HIGH).between(start, end) == dt.timedelta(0)
