"""Rules stated once, on the model (`clean()`): the admin's forms refuse what the API refuses, in the same
words, and both accept what is valid."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from escalation.models import BusinessCalendar, ContactMethod, Rotation, StakeholderGroup
from tests.escalation.factories import ScheduleFactory

pytestmark = pytest.mark.django_db


def admin_add(client: Client, model: str, data: dict[str, Any], inlines: dict[str, list[dict]] | None = None):
    """Post the admin's add form of `model`, with the rows of each inline formset (keyed by its prefix)."""
    body = dict(data)
    for prefix, rows in (inlines or {}).items():
        body |= {
            f"{prefix}-TOTAL_FORMS": len(rows),
            f"{prefix}-INITIAL_FORMS": 0,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
        for index, row in enumerate(rows):
            body |= {f"{prefix}-{index}-{name}": value for name, value in row.items()}
    return client.post(reverse(f"admin:escalation_{model}_add"), body)


def refused_in_admin(response, messages: list[str]) -> None:
    """The form came back (no redirect) showing each message."""
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    for message in messages:
        assert message in page, message


@pytest.mark.parametrize(
    ("channel", "bad", "good"),
    [
        ("email", "not an address", "ops@example.org"),
        ("apprise", "pigeon://coo", "json://127.0.0.1:9/hook"),
        ("webhook", "not a url", "https://crm.example.org/hook"),
    ],
)
def test_contact_addresses_admin_refuses_what_the_api_refuses(admin_client, api, as_role, channel, bad, good):
    me = as_role("managers")
    refused = api.post("/api/v1/contact-methods/", {"channel": channel, "address": bad}, format="json")
    assert refused.status_code == 400, refused.content
    messages = refused.json()["fields"]["address"]
    form = {"user": me.pk, "channel": channel, "is_active": "on"}
    refused_in_admin(admin_add(admin_client, "contactmethod", {**form, "address": bad}), messages)
    assert not ContactMethod.objects.exists()

    assert (
        api.post("/api/v1/contact-methods/", {"channel": channel, "address": good}, format="json").status_code
        == 201
    )
    assert admin_add(admin_client, "contactmethod", {**form, "address": good}).status_code == 302
    assert ContactMethod.objects.filter(address=good).count() == 2


def test_changing_only_the_channel_checks_the_stored_address_against_it(api, as_role):
    as_role("managers")
    created = api.post(
        "/api/v1/contact-methods/", {"channel": "email", "address": "a@example.org"}, format="json"
    )
    moved = api.patch(
        f"/api/v1/contact-methods/{created.json()['id']}/", {"channel": "webhook"}, format="json"
    )
    assert moved.status_code == 400
    assert moved.json()["fields"]["address"] == ["Enter a valid URL."]


def test_stakeholder_addresses_admin_refuses_what_the_api_refuses(admin_client, api, as_role):
    as_role("managers")
    group = {"name": "Board", "audience": "management"}
    bad = "ceo@example.org\nnot-an-address@\nops-team"
    refused = api.post("/api/v1/stakeholder-groups/", {**group, "addresses": bad}, format="json")
    assert refused.status_code == 400, refused.content
    messages = refused.json()["fields"]["addresses"]
    assert messages == [
        "Line 2: Enter a valid email address.",
        "Line 3: Apprise does not understand this URL.",
    ]
    refused_in_admin(admin_add(admin_client, "stakeholdergroup", {**group, "addresses": bad}), messages)
    assert not StakeholderGroup.objects.exists()

    good = "ceo@example.org\n\njson://127.0.0.1:9/hook"
    assert (
        api.post("/api/v1/stakeholder-groups/", {**group, "addresses": good}, format="json").status_code
        == 201
    )
    assert (
        admin_add(
            admin_client, "stakeholdergroup", {**group, "name": "Board 2", "addresses": good}
        ).status_code
        == 302
    )


def test_an_empty_working_interval_admin_refuses_what_the_api_refuses(admin_client, api, as_role):
    as_role("managers")
    empty = {"weekday": 0, "start": "09:00", "end": "09:00"}
    refused = api.post("/api/v1/calendars/", {"name": "Office", "intervals": [empty]}, format="json")
    assert refused.status_code == 400, refused.content
    messages = refused.json()["fields"]["intervals"]["0"]["end"]
    assert messages == ["Start and end are equal: write 00:00-00:00 for a whole day."]
    calendar = {"name": "Office", "time_zone": "UTC"}
    refused_in_admin(
        admin_add(admin_client, "businesscalendar", calendar, {"intervals": [empty], "holidays": []}),
        messages,
    )
    assert not BusinessCalendar.objects.exists()

    whole_day = {"weekday": 0, "start": "00:00", "end": "00:00"}
    assert (
        api.post("/api/v1/calendars/", {"name": "API", "intervals": [whole_day]}, format="json").status_code
        == 201
    )
    added = admin_add(admin_client, "businesscalendar", calendar, {"intervals": [whole_day], "holidays": []})
    assert added.status_code == 302
    assert BusinessCalendar.objects.get(name="Office").intervals.count() == 1


def test_a_rotation_start_out_of_range_admin_refuses_what_the_api_refuses(admin_client, api, as_role):
    """A start near the year 1 or 9999 made every on-call question about the team overflow (a 500)."""
    schedule = ScheduleFactory()
    as_role("managers")
    rotation = {"name": "primary", "hand_off": "daily", "hand_off_time": "09:00"}
    refused = api.patch(
        f"/api/v1/schedules/{schedule.pk}/",
        {"rotations": [{**rotation, "starts_at": "9500-01-05T08:00:00Z"}]},
        format="json",
    )
    assert refused.status_code == 400, refused.content
    messages = refused.json()["fields"]["rotations"]["0"]["starts_at"]
    assert messages == ["Give a start between the years 1970 and 9000."]
    form = {**rotation, "schedule": schedule.pk, "hand_off_weekday": 0, "starts_at_1": "08:00:00"}
    refused_in_admin(
        admin_add(admin_client, "rotation", {**form, "starts_at_0": "9500-01-05"}, {"members": []}), messages
    )
    assert not Rotation.objects.exists()

    assert (
        admin_add(
            admin_client, "rotation", {**form, "starts_at_0": "2026-01-05"}, {"members": []}
        ).status_code
        == 302
    )
    assert Rotation.objects.get().starts_at.year == 2026
