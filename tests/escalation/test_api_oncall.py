"""The on-call answer over the API and in the admin, and the schedule and calendar endpoints."""

import datetime as dt

import pytest
import time_machine

from escalation.models import BusinessCalendar, Schedule
from escalation.oncall import team_oncall
from tests.escalation.factories import (
    BusinessCalendarFactory,
    OverrideFactory,
    RotationFactory,
    ScheduleFactory,
    TeamFactory,
    UserFactory,
    office_hours,
)

pytestmark = pytest.mark.django_db


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def team_on_call():
    """A team whose schedule hands off on Mondays 09:00 Paris (08:00 UTC in winter) from Ann to Bob."""
    team = TeamFactory()
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    rotation = RotationFactory(schedule=ScheduleFactory(team=team), users=[ann, bob])
    return team, rotation.schedule, ann, bob


def test_oncall_at_an_instant(api, as_role, team_on_call):
    team, schedule, ann, _bob = team_on_call
    as_role("agents")
    response = api.get(f"/api/v1/teams/{team.pk}/oncall/", {"at": "2026-01-07T10:00:00+01:00"})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "team": team.pk,
        "at": "2026-01-07T09:00:00Z",
        "oncall": [
            {"id": ann.pk, "username": "ann", "schedule": schedule.pk, "until": "2026-01-12T08:00:00Z"}
        ],
        # Who is next: Bob, from the hand-off on (issue #13).
        "next_at": "2026-01-12T08:00:00Z",
        "next": [
            {"id": _bob.pk, "username": "bob", "schedule": schedule.pk, "until": "2026-01-19T08:00:00Z"}
        ],
    }


def test_oncall_defaults_to_now_and_shows_overrides(api, as_role, team_on_call):
    team, schedule, _ann, _bob = team_on_call
    carol = UserFactory(username="carol")
    OverrideFactory(schedule=schedule, user=carol, start=utc(2026, 1, 14), end=utc(2026, 1, 15))
    as_role("agents")
    with time_machine.travel(utc(2026, 1, 13, 12), tick=False):
        body = api.get(f"/api/v1/teams/{team.pk}/oncall/").json()
    assert body["at"] == "2026-01-13T12:00:00Z"
    assert [(e["username"], e["until"]) for e in body["oncall"]] == [("bob", "2026-01-14T00:00:00Z")]
    with time_machine.travel(utc(2026, 1, 14, 12), tick=False):
        body = api.get(f"/api/v1/teams/{team.pk}/oncall/").json()
    assert [(e["username"], e["until"]) for e in body["oncall"]] == [("carol", "2026-01-15T00:00:00Z")]


def test_oncall_answer_is_the_team_oncall_function(api, as_role, team_on_call):
    team, _schedule, _ann, _bob = team_on_call
    RotationFactory(
        schedule=ScheduleFactory(team=team), users=[UserFactory(), UserFactory()], hand_off="daily"
    )
    as_role("agents")
    at = utc(2026, 2, 3, 17, 30)
    body = api.get(f"/api/v1/teams/{team.pk}/oncall/", {"at": at.isoformat()}).json()
    assert [entry["id"] for entry in body["oncall"]] == [user.pk for user in team_oncall(team=team, at=at)]
    assert len(body["oncall"]) == 2


def test_an_unencoded_plus_in_the_query_string_is_read_as_plus(api, as_role, team_on_call):
    team = team_on_call[0]
    as_role("agents")
    response = api.get(f"/api/v1/teams/{team.pk}/oncall/?at=2026-01-07T10:00:00+01:00")
    assert response.status_code == 200
    assert response.json()["at"] == "2026-01-07T09:00:00Z"


@pytest.mark.parametrize(
    "at",
    [
        pytest.param("yesterday", id="not-a-date"),
        pytest.param("2026-13-01T00:00:00Z", id="no-such-month"),
        pytest.param("2026-01-07T10:00:00", id="no-offset"),
        # The next hand-off after it lies past the year 9999: it was an OverflowError (500).
        pytest.param("9999-12-31T12:00:00Z", id="year-9999"),
    ],
)
def test_bad_at_is_400_json(api, as_role, team_on_call, at):
    as_role("agents")
    response = api.get(f"/api/v1/teams/{team_on_call[0].pk}/oncall/", {"at": at})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "at" in response.json()["fields"]


def test_unknown_team_is_404_json(api, as_role):
    as_role("agents")
    response = api.get("/api/v1/teams/999999/oncall/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_oncall_needs_a_login(api, team_on_call):
    response = api.get(f"/api/v1/teams/{team_on_call[0].pk}/oncall/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_oncall_queries_do_not_grow(api, as_role, django_assert_max_num_queries):
    team = TeamFactory()
    people = [UserFactory() for _ in range(4)]
    for n in range(5):
        schedule = ScheduleFactory(team=team)
        RotationFactory(schedule=schedule, name="primary", users=people)
        RotationFactory(schedule=schedule, name="secondary", users=people[::-1], hand_off="daily")
        OverrideFactory(schedule=schedule, start=utc(2026, 3, n + 1), end=utc(2026, 3, n + 2))
    as_role("agents")
    # The user's and their groups' permissions (reading needs view_team), the team, its schedules, their
    # rotations, members with users, overrides with users.
    with django_assert_max_num_queries(7):
        response = api.get(f"/api/v1/teams/{team.pk}/oncall/", {"at": "2026-03-02T12:00:00Z"})
    assert response.status_code == 200
    expected = team_oncall(team=team, at=utc(2026, 3, 2, 12))
    assert [entry["id"] for entry in response.json()["oncall"]] == [user.pk for user in expected]
    assert len(expected) >= 3  # the override's person and both rotations' people


# --- schedules and calendars -------------------------------------------------------------------------------


def test_schedules_list_for_agents_with_rotation_order(
    api, as_role, team_on_call, django_assert_max_num_queries
):
    _team, schedule, ann, bob = team_on_call
    RotationFactory(schedule=ScheduleFactory(), users=[bob, ann])
    as_role("agents")
    # The user's and groups' permissions (view_schedule), count, schedules, rotations, members, overrides.
    with django_assert_max_num_queries(7):
        response = api.get("/api/v1/schedules/")
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    assert rows[schedule.pk]["rotations"][0]["users"] == [ann.pk, bob.pk]
    assert api.post("/api/v1/schedules/", {"name": "x", "team": schedule.team_id}).status_code == 403


def test_manager_creates_a_schedule_with_a_rotation(api, as_role):
    team = TeamFactory()
    ann, bob = UserFactory(), UserFactory()
    as_role("managers")
    body = {
        "name": "primary",
        "team": team.pk,
        "time_zone": "Europe/Paris",
        "rotations": [
            {
                "name": "week",
                "hand_off": "weekly",
                "hand_off_time": "09:00",
                "hand_off_weekday": 0,
                "starts_at": "2026-01-05T09:00:00+01:00",
                "users": [bob.pk, ann.pk, bob.pk],
            }
        ],
    }
    response = api.post("/api/v1/schedules/", body, format="json")
    assert response.status_code == 201, response.content
    schedule = Schedule.objects.get(pk=response.json()["id"])
    assert team_oncall(team=team, at=utc(2026, 1, 13)) == [ann]
    assert api.get(f"/api/v1/schedules/{schedule.pk}/").json()["rotations"][0]["users"] == [
        bob.pk,
        ann.pk,
        bob.pk,
    ]
    bad_zone = api.patch(f"/api/v1/schedules/{schedule.pk}/", {"time_zone": "Mars/Olympus"}, format="json")
    assert bad_zone.status_code == 400
    assert "time_zone" in bad_zone.json()["fields"]


def test_manager_creates_and_replaces_calendar_hours(api, as_role):
    as_role("managers")
    body = {
        "name": "Paris office",
        "time_zone": "Europe/Paris",
        "intervals": [
            {"weekday": 0, "start": "09:00", "end": "12:00"},
            {"weekday": 0, "start": "13:00", "end": "18:00"},
        ],
        "holidays": [{"date": "2026-12-25", "name": "Christmas"}],
    }
    response = api.post("/api/v1/calendars/", body, format="json")
    assert response.status_code == 201, response.content
    calendar = BusinessCalendar.objects.get(pk=response.json()["id"])
    assert calendar.intervals.count() == 2
    assert calendar.holidays.get().name == "Christmas"
    changed = api.patch(
        f"/api/v1/calendars/{calendar.pk}/",
        {"intervals": [{"weekday": 1, "start": "22:00", "end": "06:00"}]},
        format="json",
    )
    assert changed.status_code == 200
    assert [(i["weekday"], i["start"], i["end"]) for i in changed.json()["intervals"]] == [
        (1, "22:00:00", "06:00:00")
    ]
    assert calendar.holidays.count() == 1  # not sent, not touched


@pytest.mark.parametrize(
    "interval",
    [
        pytest.param({"weekday": 0, "start": "09:00", "end": "09:00"}, id="empty"),
        pytest.param({"weekday": 7, "start": "09:00", "end": "10:00"}, id="no-such-weekday"),
    ],
)
def test_bad_calendar_interval_is_400(api, as_role, interval):
    as_role("managers")
    response = api.post("/api/v1/calendars/", {"name": "x", "intervals": [interval]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not BusinessCalendar.objects.exists()


def test_calendars_are_read_only_for_agents(api, as_role):
    office_hours(BusinessCalendarFactory(name="office"))
    as_role("agents")
    listed = api.get("/api/v1/calendars/")
    assert listed.status_code == 200
    assert len(listed.json()["results"][0]["intervals"]) == 10
    assert api.post("/api/v1/calendars/", {"name": "x"}, format="json").status_code == 403


# --- admin ---------------------------------------------------------------------------------------------------


def test_admin_lists_show_who_is_on_call_now(admin_client, team_on_call, django_assert_max_num_queries):
    for _ in range(3):
        RotationFactory(schedule=ScheduleFactory(team=TeamFactory()), users=[UserFactory()])
    with time_machine.travel(utc(2026, 1, 13, 12), tick=False):
        schedules = admin_client.get("/admin/escalation/schedule/")
        with django_assert_max_num_queries(
            12
        ):  # session, user, counts, teams and their on-call, whatever the rows
            teams = admin_client.get("/admin/escalation/team/")
    assert schedules.status_code == 200
    assert "bob (until 2026-01-19 08:00)" in schedules.content.decode()
    assert teams.status_code == 200
    assert "bob (until 2026-01-19 08:00)" in teams.content.decode()


@pytest.mark.parametrize(
    "page",
    [
        "/admin/escalation/businesscalendar/",
        "/admin/escalation/businesscalendar/{calendar}/change/",
        "/admin/escalation/schedule/{schedule}/change/",
        "/admin/escalation/rotation/{rotation}/change/",
    ],
)
def test_admin_pages_render(admin_client, page):
    calendar = office_hours(BusinessCalendarFactory())
    rotation = RotationFactory(users=[UserFactory()])
    url = page.format(calendar=calendar.pk, schedule=rotation.schedule_id, rotation=rotation.pk)
    response = admin_client.get(url)
    assert response.status_code == 200
    if page.endswith("businesscalendar/"):
        assert ">40<" in response.content.decode()  # hours per week


@pytest.mark.parametrize(
    "body",
    [
        # A PATCH made the nested rotation's fields optional too: the row then failed NOT NULL (500).
        {"rotations": [{}]},
        {"rotations": [{"name": "x", "hand_off": "daily", "hand_off_time": "09:00"}]},
        # A start in year 1 was stored, then every on-call question about the team overflowed (500).
        {
            "rotations": [
                {
                    "name": "x",
                    "hand_off": "daily",
                    "hand_off_time": "09:00",
                    "starts_at": "0001-01-01T00:00:00Z",
                }
            ]
        },
        {"intervals": [{}]},
        {"holidays": [{}]},
    ],
)
def test_patching_incomplete_nested_rows_is_400(api, as_role, team_on_call, body):
    _, schedule, _, _ = team_on_call
    as_role("managers")
    path = f"/api/v1/schedules/{schedule.pk}/"
    if "rotations" not in body:
        path = f"/api/v1/calendars/{BusinessCalendarFactory().pk}/"
    response = api.patch(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("role", ["reporters", "agents"])
def test_teams_schedules_and_calendars_are_for_agents_and_managers(api, as_role, team_on_call, role):
    """Reporters (anyone who may open an incident) do not read who is in which team, their rotations or
    who is on call; agents do."""
    team, schedule, _, _ = team_on_call
    BusinessCalendarFactory()
    as_role(role)
    expected = 403 if role == "reporters" else 200
    for path in (
        "/api/v1/teams/",
        f"/api/v1/teams/{team.pk}/oncall/",
        "/api/v1/schedules/",
        f"/api/v1/schedules/{schedule.pk}/",
        "/api/v1/calendars/",
    ):
        assert api.get(path).status_code == expected, path
