"""The collision check agrees with interval arithmetic in UTC (hypothesis): two windows on a shared service
collide exactly when each starts before the other ends, whatever zones they were written in."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.changes.selectors import change_collisions
from incidents.models import Change, ChangeState
from tests.incidents.factories import ServiceFactory

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 3, 28, 0, 0, tzinfo=UTC)  # the weekend Europe moves its clocks
ZONES = [ZoneInfo(name) for name in ("UTC", "Asia/Seoul", "America/New_York", "Europe/Paris", "Asia/Tehran")]

windows = st.tuples(
    st.integers(min_value=0, max_value=72 * 4),  # start, in quarter hours from BASE
    st.integers(min_value=1, max_value=12 * 4),  # length, in quarter hours
    st.sampled_from(ZONES),
)


def _window(spec: tuple[int, int, ZoneInfo]) -> tuple[datetime, datetime]:
    start_q, length_q, zone = spec
    start = (BASE + timedelta(minutes=15 * start_q)).astimezone(zone)
    return start, start + timedelta(minutes=15 * length_q)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=windows, second=windows, shared=st.booleans())
def test_collision_iff_the_windows_overlap(first, second, shared):
    with transaction.atomic():
        db, other = ServiceFactory(), ServiceFactory()
        start, end = _window(first)
        held = Change.objects.create(title="held", created_at=BASE, planned_start=start, planned_end=end)
        Change.objects.filter(pk=held.pk).update(state=ChangeState.SCHEDULED)
        held.services.set([db])
        new_start, new_end = _window(second)
        candidate = Change.objects.create(
            title="new", created_at=BASE, planned_start=new_start, planned_end=new_end
        )
        candidate.services.set([db] if shared else [other])
        found = change_collisions(change=candidate, start=new_start, end=new_end)
        overlap = shared and new_start < end and start < new_end
        assert [c["id"] for c in found] == ([held.pk] if overlap else [])
        transaction.set_rollback(True)
