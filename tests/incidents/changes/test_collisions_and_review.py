"""The collision check (other changes and active major incidents on the same service; time zones; adjacent
windows), the change calendar, and the post-implementation review timer."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from escalation.models import Notification, Timer
from escalation.reminders import REMINDER_TIMER
from escalation.timers import timer_sweep
from incidents.changes.selectors import change_calendar
from incidents.changes.services import ChangeCollision
from incidents.models import ChangeLogEntry, ProblemChangeConfiguration
from incidents.problems.services import problem_transition
from tests.incidents.factories import ServiceFactory, TeamFactory, UserFactory
from tests.incidents.major.factories import declare
from tests.incidents.problems.factories import open_problem

from .factories import T0, agent, approved, go, new_change

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")


def scheduled(service, start, end, **kwargs):
    change = approved(new_change(services=[service], planned_start=start, planned_end=end, **kwargs))
    return go(change, "schedule")


def test_an_overlapping_window_on_the_same_service_answers_409_unless_confirmed() -> None:
    db = ServiceFactory(name="db")
    first = scheduled(db, T0, T0 + timedelta(hours=2))
    second = approved(
        new_change(services=[db], planned_start=T0 + timedelta(hours=1), planned_end=T0 + timedelta(hours=3))
    )
    with pytest.raises(ChangeCollision) as refused:
        go(second, "schedule")
    assert refused.value.status == 409
    assert refused.value.code == "change_collision"
    assert [c["reference"] for c in refused.value.extra["collisions"]] == [first.reference]
    assert go(second, "schedule", confirm=True).state == "scheduled"
    accepted = ChangeLogEntry.objects.get(change=second, kind="collision")
    assert accepted.data["collisions"][0]["id"] == first.pk


def test_the_same_instant_written_in_two_zones_collides() -> None:
    """09:00-10:00 in Seoul is 00:00-01:00 UTC, which is 19:00-20:00 the day before in New York."""
    db = ServiceFactory()
    seoul_start = datetime(2026, 3, 3, 9, 0, tzinfo=SEOUL)
    first = scheduled(db, seoul_start, seoul_start + timedelta(hours=1))
    ny_start = datetime(2026, 3, 2, 19, 30, tzinfo=NEW_YORK)
    second = approved(
        new_change(services=[db], planned_start=ny_start, planned_end=ny_start + timedelta(hours=1))
    )
    with pytest.raises(ChangeCollision) as refused:
        go(second, "schedule")
    assert refused.value.extra["collisions"][0]["id"] == first.pk


def test_the_same_wall_clock_in_two_zones_does_not_collide() -> None:
    db = ServiceFactory()
    scheduled(db, datetime(2026, 3, 3, 9, 0, tzinfo=SEOUL), datetime(2026, 3, 3, 10, 0, tzinfo=SEOUL))
    second = approved(
        new_change(
            services=[db],
            planned_start=datetime(2026, 3, 3, 9, 0, tzinfo=NEW_YORK),
            planned_end=datetime(2026, 3, 3, 10, 0, tzinfo=NEW_YORK),
        )
    )
    assert go(second, "schedule").state == "scheduled"


@pytest.mark.parametrize("side", ["before", "after"])
def test_adjacent_windows_do_not_collide(side: str) -> None:
    db = ServiceFactory()
    scheduled(db, T0, T0 + timedelta(hours=1))
    start, end = (
        (T0 - timedelta(hours=1), T0)
        if side == "before"
        else (T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    )
    second = approved(new_change(services=[db], planned_start=start, planned_end=end))
    assert go(second, "schedule").state == "scheduled"


def test_adjacent_across_zones_do_not_collide_but_one_minute_more_does() -> None:
    db = ServiceFactory()
    # Ends at 10:00 in Seoul = 01:00 UTC.
    scheduled(db, datetime(2026, 3, 3, 9, 0, tzinfo=SEOUL), datetime(2026, 3, 3, 10, 0, tzinfo=SEOUL))
    touching = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    second = approved(
        new_change(services=[db], planned_start=touching, planned_end=touching + timedelta(hours=1))
    )
    assert go(second, "schedule").state == "scheduled"
    third = approved(
        new_change(services=[db], planned_start=touching - timedelta(minutes=1), planned_end=touching)
    )
    with pytest.raises(ChangeCollision):
        go(third, "schedule")


def test_other_services_and_finished_changes_do_not_collide() -> None:
    db, web = ServiceFactory(), ServiceFactory()
    scheduled(web, T0, T0 + timedelta(hours=2))
    done = scheduled(db, T0, T0 + timedelta(hours=2))
    go(done, "cancel", reason="Postponed")
    second = approved(new_change(services=[db], planned_start=T0, planned_end=T0 + timedelta(hours=2)))
    assert go(second, "schedule").state == "scheduled"


def test_a_change_being_implemented_holds_its_window() -> None:
    db = ServiceFactory()
    first = go(scheduled(db, T0, T0 + timedelta(hours=2)), "start")
    second = approved(
        new_change(
            services=[db], planned_start=T0 + timedelta(minutes=30), planned_end=T0 + timedelta(hours=1)
        )
    )
    with pytest.raises(ChangeCollision) as refused:
        go(second, "schedule")
    assert refused.value.extra["collisions"][0]["state"] == first.state == "implementing"


def test_an_active_major_incident_on_the_service_collides() -> None:
    db = ServiceFactory()
    major = declare(by=None, services=[db])
    change = approved(new_change(services=[db]))
    with pytest.raises(ChangeCollision) as refused:
        go(change, "schedule")
    assert refused.value.extra["collisions"] == [
        {
            "kind": "major_incident",
            "id": major.pk,
            "reference": major.reference,
            "title": major.title,
            "state": "declared",
            "start": major.declared_at.isoformat(),
            "end": None,
            "services": [db.pk],
        }
    ]


def test_the_calendar_lists_the_changes_overlapping_the_period_in_order() -> None:
    db, web = ServiceFactory(), ServiceFactory()
    late = scheduled(db, T0 + timedelta(days=2), T0 + timedelta(days=2, hours=1))
    early = scheduled(web, T0 + timedelta(hours=23), T0 + timedelta(days=1, hours=1))
    scheduled(db, T0 + timedelta(days=9), T0 + timedelta(days=9, hours=1))
    new_change(
        services=[db], planned_start=T0 + timedelta(days=1), planned_end=T0 + timedelta(days=1, hours=2)
    )
    since, until = T0 + timedelta(days=1), T0 + timedelta(days=3)
    assert list(change_calendar(user=agent(), since=since, until=until)) == [early, late]
    assert list(change_calendar(user=agent(), since=since, until=until, service_id=db.pk)) == [late]
    assert list(change_calendar(user=UserFactory(role="reporters"), since=since, until=until)) == []


def test_the_review_timer_asks_the_owner_then_their_manager() -> None:
    boss = UserFactory(username="boss")
    team = TeamFactory(manager=boss)
    owner = agent(username="owner")
    config = ProblemChangeConfiguration.load()
    config.review_after_days = 3
    config.save()
    with time_machine.travel(T0, tick=False) as clock:
        change = go(scheduled(ServiceFactory(), T0, T0 + timedelta(hours=1), by=owner, team=team), "start")
        clock.move_to(T0 + timedelta(hours=1))
        change = go(change, "complete")
        assert change.review_due_at == T0 + timedelta(hours=1, days=3)
        clock.move_to(T0 + timedelta(days=3))
        timer_sweep()
        assert not Notification.objects.filter(reason="reminder").exists()
        clock.move_to(T0 + timedelta(days=3, hours=1, seconds=1))
        timer_sweep()
        asked = Notification.objects.get(reason="reminder")
        assert asked.recipient == owner
        assert "Did the change fix it?" in asked.title
        clock.move_to(T0 + timedelta(days=4, hours=1, seconds=2))
        timer_sweep()
        assert {n.recipient for n in Notification.objects.filter(reason="reminder")} == {owner, boss}


def test_a_review_stops_the_timer_and_a_confirmed_fix_resolves_the_problem() -> None:
    problem = problem_transition(problem_id=open_problem().pk, name="investigate", by=None)
    owner = agent()
    with time_machine.travel(T0, tick=False) as clock:
        change = go(
            scheduled(ServiceFactory(), T0, T0 + timedelta(hours=1), by=owner, problem=problem), "start"
        )
        change = go(change, "complete")
        change = go(change, "review", by=owner, fixed=True, side_effects="Memory use up 5%.")
        assert (change.review_fixed, change.review_side_effects) == (True, "Memory use up 5%.")
        assert not Timer.objects.filter(kind=REMINDER_TIMER, data__key="review", state="pending").exists()
        clock.move_to(T0 + timedelta(days=30))
        timer_sweep()
    assert not Notification.objects.filter(reason="reminder").exists()
    problem.refresh_from_db()
    assert problem.state == "resolved"
    line = problem.log.get(transition="resolve")
    assert (line.actor, line.data) == (owner, {"change": change.pk})


def test_a_fix_not_confirmed_leaves_the_problem_open() -> None:
    problem = problem_transition(problem_id=open_problem().pk, name="investigate", by=None)
    change = go(
        go(scheduled(ServiceFactory(), T0, T0 + timedelta(hours=1), problem=problem), "start"), "complete"
    )
    go(change, "review", fixed=False, side_effects="The timeouts came back.")
    problem.refresh_from_db()
    assert problem.state == "investigating"


def test_a_failed_change_is_reviewed_too() -> None:
    change = go(
        go(scheduled(ServiceFactory(), T0, T0 + timedelta(hours=1)), "start"), "fail", reason="Timeout"
    )
    assert Timer.objects.filter(kind=REMINDER_TIMER, data__key="review", state="pending").count() == 1
    change = go(change, "roll_back")
    # Rolling back moves the review: one pending timer still.
    assert Timer.objects.filter(kind=REMINDER_TIMER, data__key="review", state="pending").count() == 1
    assert go(change, "review", fixed=False).state == "reviewed"


def test_moving_a_scheduled_window_checks_collisions_again() -> None:
    from incidents.changes.services import change_update

    db = ServiceFactory()
    first = scheduled(db, T0, T0 + timedelta(hours=1))
    second = scheduled(db, T0 + timedelta(hours=2), T0 + timedelta(hours=3))
    overlapping = {"planned_start": T0 + timedelta(minutes=30), "planned_end": T0 + timedelta(hours=2)}
    with pytest.raises(ChangeCollision) as refused:
        change_update(change_id=second.pk, by=None, changes=overlapping)
    assert refused.value.extra["collisions"][0]["id"] == first.pk
    second.refresh_from_db()
    assert second.planned_start == T0 + timedelta(hours=2)
    moved = change_update(change_id=second.pk, by=None, changes=overlapping, confirm=True)
    assert moved.planned_start == T0 + timedelta(minutes=30)
    assert ChangeLogEntry.objects.filter(change=second, kind="collision").exists()
    free = {"planned_start": T0 + timedelta(hours=5), "planned_end": T0 + timedelta(hours=6)}
    assert change_update(change_id=second.pk, by=None, changes=free).planned_start == T0 + timedelta(hours=5)
