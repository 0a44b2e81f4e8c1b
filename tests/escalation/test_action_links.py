"""Acting from the message: the signed acknowledge and resolve links every page carries (escalation/actions.py),
performed through the incident's own services."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import signing
from django.test import Client

from escalation.actions import ACTION_SALT, action_token
from escalation.models import Channel, Escalation, EscalationState, Notification
from incidents.models import Incident, TimelineEvent
from incidents.services import incident_create, incident_transition
from tests.escalation.factories import (
    ContactMethodFactory,
    EscalationLevelFactory,
    EscalationPolicyFactory,
    NotificationRuleFactory,
    SlaPolicyFactory,
)
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
LINK = re.compile(r"(http://\S+/act/[^/\s]+/)")


@pytest.fixture
def oncall():
    """An agent paged at once for P1 incidents."""
    agent = UserFactory(role="agents", username="night-owl")
    policy = EscalationPolicyFactory(name="Night")
    EscalationLevelFactory(policy=policy, position=1, delay=timedelta(0), users=[agent])
    SlaPolicyFactory(priority=1, escalation_policy=policy)
    return agent


def p1(by=None) -> Incident:
    return incident_create(by=by, title="Payments down", impact=1, urgency=1)


def links_of(notification: Notification) -> dict[str, str]:
    """The links in a page's text, by the action their token names."""
    found = {}
    for url in LINK.findall(notification.body):
        token = url.rstrip("/").rsplit("/", 1)[1]
        found[signing.loads(token, salt=ACTION_SALT)[3]] = url
    return found


def path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_page_carries_signed_links_to_acknowledge_and_to_resolve(oncall):
    incident = p1()
    [page] = Notification.objects.filter(recipient=oncall, reason="page")
    links = links_of(page)
    assert set(links) == {"acknowledge", "resolve"}
    label, subject_id, user_id, _action, _expires = signing.loads(
        links["acknowledge"].rstrip("/").rsplit("/", 1)[1], salt=ACTION_SALT
    )
    assert (label, subject_id, user_id) == ("incidents.incident", incident.pk, oncall.pk)
    # A webhook receiver gets them by name in the payload.
    assert page.payload["data"]["actions"] == links


def test_an_apprise_and_a_webhook_page_carry_them_too(oncall):
    chat = ContactMethodFactory(user=oncall, channel=Channel.APPRISE, address="json://127.0.0.1:9/chat")
    hook = ContactMethodFactory(user=oncall, channel=Channel.WEBHOOK, address="http://127.0.0.1:9/hook")
    NotificationRuleFactory(contact_method=chat)
    NotificationRuleFactory(contact_method=hook)
    p1()
    rows = {n.channel: n for n in Notification.objects.filter(recipient=oncall, reason="page")}
    assert set(rows) == {Channel.APPRISE, Channel.WEBHOOK}
    assert set(links_of(rows[Channel.APPRISE])) == {"acknowledge", "resolve"}
    assert set(rows[Channel.WEBHOOK].payload["data"]["actions"]) == {"acknowledge", "resolve"}


def test_opening_the_link_changes_nothing_and_the_button_acknowledges(oncall):
    incident = p1()
    url = links_of(Notification.objects.get(recipient=oncall, reason="page"))["acknowledge"]
    client = Client()
    page = client.get(path(url))
    assert page.status_code == 200
    assert b'data-action="acknowledge"' in page.content
    assert incident.reference.encode() in page.content
    incident.refresh_from_db()
    assert incident.state == "new", "a GET (a mail scanner) changes nothing"
    assert Escalation.objects.get().acknowledged_by is None

    done = client.post(path(url))
    assert done.status_code == 200
    assert b'role="status"' in done.content
    incident.refresh_from_db()
    assert incident.state == "acknowledged"
    # The same service as the admin's button: the transition line names the paged person.
    line = TimelineEvent.objects.get(incident=incident, transition="acknowledge")
    assert line.actor == oncall
    assert Escalation.objects.get().acknowledged_by == oncall


def test_a_link_used_again_after_it_took_effect_answers_409_with_the_state(oncall):
    incident = p1()
    url = links_of(Notification.objects.get(recipient=oncall, reason="page"))["acknowledge"]
    client = Client()
    assert client.post(path(url)).status_code == 200
    again = client.post(path(url))
    assert again.status_code == 409
    assert b'role="alert"' in again.content
    as_json = client.post(path(url), HTTP_ACCEPT="application/json")
    assert as_json.status_code == 409
    assert as_json.json()["state"] == "acknowledged"
    assert as_json.json()["code"] == "transition_not_allowed"
    assert Incident.objects.get(pk=incident.pk).state == "acknowledged"


def test_the_resolve_link_of_an_incident_resolved_meanwhile_is_too_late(oncall):
    incident = p1()
    links = links_of(Notification.objects.get(recipient=oncall, reason="page"))
    incident_transition(incident_id=incident.pk, name="resolve", by=oncall)
    client = Client()
    shown = client.get(path(links["resolve"]))
    assert shown.status_code == 409, "the page says it is too late before anyone presses anything"
    assert b"data-action=" not in shown.content
    response = client.post(path(links["resolve"]), HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert response.json()["state"] == "resolved"


def test_the_resolve_link_resolves(oncall):
    incident = p1()
    url = links_of(Notification.objects.get(recipient=oncall, reason="page"))["resolve"]
    assert Client().post(path(url)).status_code == 200
    incident.refresh_from_db()
    assert incident.state == "resolved"
    assert Escalation.objects.get().state == EscalationState.STOPPED


def test_an_expired_link_answers_410_and_changes_nothing(oncall):
    with time_machine.travel(T0, tick=False) as clock:
        incident = p1()
        url = links_of(Notification.objects.get(recipient=oncall, reason="page"))["acknowledge"]
        clock.move_to(T0 + timedelta(hours=24))
        client = Client()
        assert client.get(path(url)).status_code == 410
        assert client.post(path(url)).status_code == 410
        assert client.post(path(url), HTTP_ACCEPT="application/json").json()["code"] == "link_expired"
    incident.refresh_from_db()
    assert incident.state == "new"


def test_a_link_is_bound_to_its_person_and_its_incident(oncall):
    other = UserFactory(role="agents", username="colleague")
    incident, second = p1(), p1()
    url = links_of(Notification.objects.filter(recipient=oncall, reason="page").first())["acknowledge"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    payload = signing.loads(token, salt=ACTION_SALT)
    client = Client()
    # Another person or another incident in the same signed envelope: the signature no longer matches.
    body, signature = token.rsplit(":", 1)
    for altered in ([payload[0], payload[1], other.pk, *payload[3:]], [payload[0], second.pk, *payload[2:]]):
        forged = signing.dumps(altered, salt="not-our-salt", compress=True)
        assert client.post(f"/act/{forged}/").status_code == 404
    assert client.post(f"/act/{body}:{signature[::-1]}/").status_code == 404
    # Opened in a colleague's signed-in browser (a forwarded link): it acts for nobody.
    client.force_login(other)
    refused = client.post(path(url))
    assert refused.status_code == 403
    assert Incident.objects.get(pk=incident.pk).state == "new"
    assert Incident.objects.get(pk=second.pk).state == "new"


def test_a_link_of_a_person_who_left_or_lost_the_right_does_nothing(oncall):
    incident = p1()
    reporter = UserFactory(role="reporters")
    token = action_token(
        subject=incident, user=reporter, action="acknowledge", expires_at=T0.replace(year=2099)
    )
    assert Client().post(f"/act/{token}/").status_code in (403, 404)
    oncall.is_active = False
    oncall.save()
    url = links_of(Notification.objects.get(recipient=oncall, reason="page"))["acknowledge"]
    assert Client().post(path(url)).status_code == 403
    assert Incident.objects.get(pk=incident.pk).state == "new"


@pytest.mark.parametrize("code", ["en", "ko", "ja", "zh-hant", "fa"])
def test_the_confirmation_page_speaks_the_persons_language(oncall, code):
    p1()
    url = links_of(Notification.objects.get(recipient=oncall, reason="page"))["acknowledge"]
    page = Client().get(path(url), HTTP_ACCEPT_LANGUAGE=code)
    assert page.status_code == 200
    assert f'lang="{code}"'.encode() in page.content
    assert (b'dir="rtl"' in page.content) == (code == "fa")
    assert b"<script" not in page.content


def test_the_page_of_a_reopened_incident_is_answered_from_its_link(oncall):
    incident = p1()
    incident_transition(incident_id=incident.pk, name="resolve", by=oncall)
    incident_transition(incident_id=incident.pk, name="reopen", by=oncall)
    newest = Notification.objects.filter(recipient=oncall, reason="page").order_by("-pk").first()
    url = links_of(newest)["acknowledge"]
    client = Client()
    assert client.get(path(url)).status_code == 200, "paged again: the link is offered"
    assert client.post(path(url)).status_code == 200
    incident.refresh_from_db()
    assert incident.state == "in_progress"
    latest = Escalation.objects.order_by("-started_at", "-pk").first()
    assert (latest.state, latest.acknowledged_by) == (EscalationState.ACKNOWLEDGED, oncall)
    assert client.post(path(url)).status_code == 409, "nobody is paging any more"


def test_the_commanders_page_of_a_major_incident_is_acknowledged_from_its_link():
    from django.utils import timezone

    from incidents.models import MajorIncident
    from tests.incidents.major.factories import commander_on_call, declare

    world = commander_on_call(since=timezone.now() - timedelta(hours=1))
    major = declare(by=UserFactory(role="agents"))
    [page] = Notification.objects.filter(recipient=world["commander"], reason="page")
    links = links_of(page)
    assert set(links) == {"acknowledge"}, "resolving a major incident has conditions: no link for it"
    client = Client()
    assert client.get(path(links["acknowledge"])).status_code == 200
    assert client.post(path(links["acknowledge"])).status_code == 200
    assert MajorIncident.objects.get(pk=major.pk).acknowledged_at is not None
    again = client.post(path(links["acknowledge"]), HTTP_ACCEPT="application/json")
    assert again.status_code == 409
    assert again.json()["state"] == major.state
