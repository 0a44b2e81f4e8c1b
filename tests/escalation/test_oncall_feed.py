"""A person's private on-call calendar (iCalendar, parsed back with the icalendar library), and who is on call
now and next for a team."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from escalation.models import OnCallFeed
from escalation.oncall import schedule_segments, team_oncall_now_next
from escalation.services import oncall_feed_create, oncall_feed_revoke
from tests.escalation.factories import (
    OverrideFactory,
    RotationFactory,
    ScheduleFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 1, 7, 9, tzinfo=dt.UTC)  # a Wednesday; hand-offs on Mondays 08:00 UTC (09:00 Paris)


@pytest.fixture
def rota():
    team = TeamFactory(name="Payments")
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    schedule = ScheduleFactory(team=team, name="Payments primary")
    RotationFactory(schedule=schedule, users=[ann, bob])
    return team, schedule, ann, bob


def events(body: bytes) -> list:
    return sorted(Calendar.from_ical(body).walk("VEVENT"), key=lambda event: event.decoded("dtstart"))


def path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_the_feed_lists_the_persons_shifts_and_parses_back(rota):
    _team, schedule, ann, _bob = rota
    with time_machine.travel(NOW, tick=False):
        url = oncall_feed_create(user=ann)
        response = Client().get(path(url))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    shifts = events(response.content)
    # A week back to 60 days ahead: Ann's weeks are every other week, Monday to Monday.
    assert [(e.decoded("dtstart"), e.decoded("dtend")) for e in shifts[:2]] == [
        (dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC), dt.datetime(2026, 1, 12, 8, tzinfo=dt.UTC)),
        (dt.datetime(2026, 1, 19, 8, tzinfo=dt.UTC), dt.datetime(2026, 1, 26, 8, tzinfo=dt.UTC)),
    ]
    assert len(shifts) == 5
    assert all(str(e["summary"]) == f"On call: {schedule.name}" for e in shifts)
    assert len({str(e["uid"]) for e in shifts}) == len(shifts)


def test_an_override_takes_its_slice_out_of_the_rotation(rota):
    _team, schedule, ann, bob = rota
    OverrideFactory(
        schedule=schedule,
        user=bob,
        start=dt.datetime(2026, 1, 8, 12, tzinfo=dt.UTC),
        end=dt.datetime(2026, 1, 9, 12, tzinfo=dt.UTC),
        reason="Ann at the dentist",
    )
    with time_machine.travel(NOW, tick=False):
        bob_shifts = events(Client().get(path(oncall_feed_create(user=bob))).content)
        ann_shifts = events(Client().get(path(oncall_feed_create(user=ann))).content)
    override = next(e for e in bob_shifts if "dentist" in str(e["description"]))
    assert override.decoded("dtstart") == dt.datetime(2026, 1, 8, 12, tzinfo=dt.UTC)
    assert [(e.decoded("dtstart"), e.decoded("dtend")) for e in ann_shifts[:2]] == [
        (dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC), dt.datetime(2026, 1, 8, 12, tzinfo=dt.UTC)),
        (dt.datetime(2026, 1, 9, 12, tzinfo=dt.UTC), dt.datetime(2026, 1, 12, 8, tzinfo=dt.UTC)),
    ]


def test_the_secret_is_kept_hashed_replaced_and_revoked(rota):
    _team, _schedule, ann, _bob = rota
    first = oncall_feed_create(user=ann)
    token = first.rstrip("/").rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in OnCallFeed.objects.get(user=ann).token_hash
    second = oncall_feed_create(user=ann)
    client = Client()
    assert client.get(path(first)).status_code == 404, "a replaced address stops working"
    assert client.get(path(second)).status_code == 200
    assert oncall_feed_revoke(user=ann) is True
    assert client.get(path(second)).status_code == 404
    assert client.get("/oncall/not-a-secret.ics").status_code == 404
    ann.is_active = False
    ann.save()
    third = oncall_feed_create(user=ann)
    assert client.get(path(third)).status_code == 404, "an account that left has no feed"


def test_the_api_makes_shows_and_revokes_ones_own_feed(api, rota):
    _team, _schedule, ann, _bob = rota
    api.force_authenticate(ann)
    assert api.get("/api/v1/oncall-feed/").json() == {"active": False, "created_at": None, "url": None}
    made = api.post("/api/v1/oncall-feed/").json()
    assert made["active"] is True
    assert made["url"].endswith(".ics")
    assert api.get("/api/v1/oncall-feed/").json()["url"] is None, "the secret is shown once"
    assert Client().get(path(made["url"])).status_code == 200
    assert api.delete("/api/v1/oncall-feed/").json()["active"] is False
    assert Client().get(path(made["url"])).status_code == 404


def test_the_preferences_page_makes_and_revokes_the_address(rota):
    _team, _schedule, ann, _bob = rota
    client = Client()
    client.force_login(ann)
    shown = client.post("/preferences/oncall-feed/", {"action": "create"}, follow=True).content.decode()
    assert ".ics" in shown
    assert OnCallFeed.objects.filter(user=ann).exists()
    client.post("/preferences/oncall-feed/", {"action": "revoke"})
    assert not OnCallFeed.objects.filter(user=ann).exists()


def test_who_is_on_call_now_and_next(rota):
    team, schedule, ann, bob = rota
    answer = team_oncall_now_next(team=team, at=NOW)
    assert [s.user for s in answer.now] == [ann]
    assert answer.next_at == dt.datetime(2026, 1, 12, 8, tzinfo=dt.UTC)
    assert [s.user for s in answer.next] == [bob]
    # An override coming first is what comes next.
    OverrideFactory(
        schedule=schedule,
        user=bob,
        start=dt.datetime(2026, 1, 8, 12, tzinfo=dt.UTC),
        end=dt.datetime(2026, 1, 9, 12, tzinfo=dt.UTC),
    )
    answer = team_oncall_now_next(team=team, at=NOW)
    assert answer.next_at == dt.datetime(2026, 1, 8, 12, tzinfo=dt.UTC)
    assert [s.user for s in answer.next] == [bob]


def test_the_admin_team_list_shows_now_and_next(rota):
    _team, _schedule, _ann, _bob = rota
    manager = UserFactory(role="managers", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/admin/escalation/team/").content.decode()
    assert "ann (" in page
    assert "bob (" in page


def test_segments_merge_and_stay_within_the_span(rota):
    _team, schedule, ann, _bob = rota
    start, end = NOW, NOW + dt.timedelta(days=3)
    [segment] = schedule_segments(schedule=schedule, start=start, end=end)
    assert (segment.user, segment.start, segment.end) == (ann, start, end)


def test_segments_agree_with_the_answer_at_every_instant(rota):
    """Property: at any instant of the span, the segments that contain it name exactly the people the
    on-call answer gives for that instant (daily and weekly hand-offs, overlapping overrides, DST in Paris)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from escalation.oncall import oncall_users

    _team, schedule, ann, bob = rota
    cyd = UserFactory(username="cyd")
    RotationFactory(
        schedule=schedule,
        name="secondary",
        hand_off="daily",
        hand_off_time=dt.time(18, 30),
        users=[cyd, bob],
        starts_at=dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC),
    )
    OverrideFactory(
        schedule=schedule,
        user=cyd,
        start=dt.datetime(2026, 3, 28, 23, tzinfo=dt.UTC),
        end=dt.datetime(2026, 3, 30, 2, tzinfo=dt.UTC),
    )
    OverrideFactory(
        schedule=schedule,
        user=ann,
        start=dt.datetime(2026, 3, 29, 12, tzinfo=dt.UTC),
        end=dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC),
    )
    start = dt.datetime(2026, 2, 20, tzinfo=dt.UTC)
    end = dt.datetime(2026, 4, 10, tzinfo=dt.UTC)
    segments = schedule_segments(schedule=schedule, start=start, end=end)

    @settings(max_examples=60, deadline=None)
    @given(st.integers(min_value=0, max_value=int((end - start).total_seconds()) - 1))
    def check(offset: int) -> None:
        at = start + dt.timedelta(seconds=offset)
        covering = {segment.user.pk for segment in segments if segment.start <= at < segment.end}
        assert covering == {user.pk for user in oncall_users(schedule=schedule, at=at)}

    check()
