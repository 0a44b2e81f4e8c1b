"""Vigil in each of its languages: the same admin page, API error and notification in English, Korean,
Japanese, Traditional Chinese and Persian; who chooses the language; right to left; dates and zones."""

import zoneinfo
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.template import RequestContext, Template
from django.test import Client, RequestFactory
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext, to_locale
from rest_framework.test import APIClient

from config import translations
from config.authentication import api_token_create
from escalation.models import Notification, StakeholderGroup, UserProfile
from escalation.notify import notify_group, notify_user_now
from escalation.subjects import subject_describe
from incidents.models import IncidentCategory
from incidents.models.incident import state_label, transition_label
from incidents.services import incident_comment, incident_create, incident_transition
from tests.incidents.factories import UserFactory

CODES = [code for code, _ in settings.LANGUAGES]
# The glossary's word for "incident" (docs/languages.md): each page in that language shows it.
INCIDENT_WORD = {"en": "incident", "ko": "장애", "ja": "インシデント", "zh-hant": "事件", "fa": "رخداد"}
TITLE = "Checkout returns 502"  # user-entered text: never translated


class _Texts(HTMLParser):
    """The text a person reads on a page: text nodes and the attributes that are shown or spoken."""

    SHOWN = ("title", "aria-label", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0
        self._page_lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self._page_lang = values.get("lang") or ""
        # Text in another language on purpose (the switch names each language in its own) is not checked.
        foreign = bool(values.get("lang")) and tag != "html" and values.get("lang") != self._page_lang
        if tag in ("script", "style") or foreign:
            self._skip += 1
            self._skipping = [*getattr(self, "_skipping", []), tag]
        self.texts.extend(v for k, v in attrs if k in self.SHOWN and v)
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        skipping = getattr(self, "_skipping", [])
        if skipping and skipping[-1] == tag:
            skipping.pop()
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data)


def _catalogue(code: str) -> dict[str, str]:
    """Our msgids (also capitalised) that this language translates differently, with their translations."""
    from babel.messages.pofile import read_po

    found = {}
    for path in translations.catalogues():
        if path.parent.parent.name != to_locale(code):
            continue
        with path.open("rb") as source:
            for message in read_po(source):
                if message.id and isinstance(message.id, str) and message.string != message.id:
                    found[message.id] = message.string
                    found[capfirst(message.id)] = message.string  # labels start with a capital
    return found


def untranslated(html: str, code: str) -> list[str]:
    """Vigil's strings that the page shows in English although the language translates them: a whole text
    (a label, a button, a cell, with or without its colon), or a sentence of three words or more inside one."""
    if code == "en":
        return []
    catalogue = _catalogue(code)
    parser = _Texts()
    parser.feed(html)
    found = []
    for text in parser.texts:
        plain = " ".join(text.split()).rstrip(":").strip()
        if plain in catalogue:
            found.append(plain)
    page = " ".join(" ".join(parser.texts).split())
    for msgid in catalogue:
        if msgid.count(" ") >= 2 and "%(" not in msgid and msgid in page:
            found.append(msgid)
    return sorted(set(found))


@pytest.fixture
def agent():
    user = UserFactory(role="agents", is_staff=True, username="alice")
    UserProfile.objects.create(user=user)
    return user


def _speak(user, code: str, zone: str = "") -> None:
    UserProfile.objects.filter(user=user).update(language=code, time_zone=zone)
    user.refresh_from_db()  # forgets the profile it holds


@pytest.fixture
def incident(agent):
    category = IncidentCategory.objects.get(code="system-outage")
    incident = incident_create(by=agent, title=TITLE, impact=1, urgency=2, category=category)
    incident_transition(incident_id=incident.pk, name="acknowledge", by=agent)
    incident_comment(incident_id=incident.pk, by=agent, body="Rolled back the deploy")
    incident.refresh_from_db()
    return incident


def _html_attributes(html: str) -> str:
    return html[html.index("<html") : html.index(">", html.index("<html")) + 1]


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_the_incident_page_in_each_language(client: Client, agent, incident, code: str) -> None:
    _speak(agent, code)
    client.force_login(agent)
    response = client.get(f"/admin/incidents/incident/{incident.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response["Content-Language"] == code
    assert f'lang="{code}"' in _html_attributes(html)
    assert ('dir="rtl"' in _html_attributes(html)) is (code == "fa")
    assert INCIDENT_WORD[code] in html
    assert TITLE in html
    with translation.override(code):
        # The transition buttons, the timeline's states and the seed's category, in this language.
        expected = [
            capfirst(transition_label("start")),
            state_label("acknowledged"),
            gettext("System outage"),
        ]
    for text in expected:
        assert text in html, text
    assert untranslated(html, code) == []


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_the_incident_list_and_the_admin_index_in_each_language(
    client: Client, agent, incident, code: str
) -> None:
    _speak(agent, code)
    client.force_login(agent)
    for url in ("/admin/", "/admin/incidents/incident/", "/preferences/"):
        html = client.get(url).content.decode()
        assert untranslated(html, code) == [], url


def test_the_check_for_english_left_in_a_page_finds_it() -> None:
    html = (
        '<html lang="ko"><body><label>Title:</label><p>Public replies are shown to the reporter; work notes are'
        ' not. <b>Resolution</b></p><option lang="en">English</option></body></html>'
    )
    assert untranslated(html, "ko") == [
        "Public replies are shown to the reporter; work notes are not.",
        "Resolution",
        "Title",
    ]
    assert untranslated("<p>제목</p>", "ko") == []


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_an_api_error_in_the_language_of_a_token_users_profile(agent, incident, code: str) -> None:
    _speak(agent, code)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=agent)}")
    # The browser asks for another language: the profile wins.
    response = api.post(
        f"/api/v1/incidents/{incident.pk}/close/", HTTP_ACCEPT_LANGUAGE="ja" if code != "ja" else "ko"
    )
    assert response.status_code == 409
    body = response.json()
    with translation.override(code):
        expected = gettext("An incident in state %(state)s cannot %(name)s.") % {
            "state": state_label("acknowledged"),
            "name": transition_label("close"),
        }
    assert body["detail"] == expected
    assert INCIDENT_WORD[code] in body["detail"]
    assert body["state"] == "acknowledged"  # codes stay codes
    assert response["Content-Language"] == code


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_api_errors_follow_the_browser_without_a_profile(code: str) -> None:
    api = APIClient()
    missing = api.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE=code)
    assert missing.status_code == 404
    anonymous = api.get("/api/v1/incidents/", HTTP_ACCEPT_LANGUAGE=code)
    assert anonymous.status_code in (401, 403)
    with translation.override(code):
        assert missing.json()["detail"] == gettext("Not found.")
    if code != "en":
        assert missing.json()["detail"] != "Not found."
        # DRF's own sentence, from DRF's catalogue (zh_Hant's gaps are filled by locale_vendor/).
        assert anonymous.json()["detail"] != "Authentication credentials were not provided."


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_a_notification_in_the_recipients_language(agent, incident, code: str) -> None:
    _speak(agent, code)
    notify_user_now(
        subject=incident,
        info=subject_describe(incident),
        user=agent,
        method=None,
        reason="test",
        key=f"lang-{code}",
        template="page",
        context={"level": 2, "policy": "Platform default", "data": {}},
        at=timezone.now(),
    )
    row = Notification.objects.get(idempotency_key__startswith=f"lang-{code}")
    text = f"{row.title}\n{row.body}"
    assert incident.reference in text
    assert TITLE in text
    assert "Platform default" in text
    if code == "en":
        assert "needs you (level 2)" in row.title
        return
    # No word of the English sentence is left, besides the data in it (reference, title, policy, link).
    with translation.override("en"):
        english = gettext('%(ref)s "%(title)s" has not been acknowledged.')
    for word in ("acknowledged", "paged", "level", "escalation", "policy", "needs", "Priority"):
        assert word not in text.replace("Platform default", ""), word
    assert english not in text


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["ko", "fa"])
def test_notification_labels_and_times_in_the_recipients_language_and_zone(
    agent, incident, code: str
) -> None:
    zone = {"ko": "Asia/Seoul", "fa": "Asia/Tehran"}[code]
    _speak(agent, code, zone)
    due = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
    for template, context in (
        ("event", {"event": "incident.acknowledged", "data": {}}),
        ("sla_warning", {"clock": "resolve", "due_at": due, "data": {}}),
    ):
        notify_user_now(
            subject=incident,
            info=subject_describe(incident),
            user=agent,
            method=None,
            reason=template,
            key=f"labels-{template}",
            template=template,
            context=context,
            at=timezone.now(),
        )
    event = Notification.objects.get(idempotency_key__startswith="labels-event")
    warning = Notification.objects.get(idempotency_key__startswith="labels-sla_warning")
    with translation.override(code), timezone.override(zoneinfo.ZoneInfo(zone)):
        assert gettext("incident acknowledged") in event.body
        assert state_label("acknowledged") in event.body
        assert gettext("time to resolve") in warning.body
        assert formats.date_format(timezone.localtime(due), "DATETIME_FORMAT") in warning.body
    assert "incident.acknowledged" not in event.body
    assert "acknowledged)" not in event.body


@pytest.mark.django_db
def test_a_groups_members_hear_in_their_language_and_its_plain_addresses_in_the_default(
    agent, incident
) -> None:
    _speak(agent, "ja")
    group = StakeholderGroup.objects.create(
        name="Management", audience="management", addresses="boss@example.org"
    )
    group.users.add(agent)
    with translation.override("ko"):  # the language of whoever caused the message does not leak into it
        notify_group(
            subject=incident,
            info=subject_describe(incident),
            group=group,
            channel="",
            reason="report",
            key="group",
            template="report",
            context={"rule": "P1 to management", "within_minutes": 15, "data": {}},
            at=timezone.now(),
        )
    member = Notification.objects.get(recipient=agent)
    plain = Notification.objects.get(address="boss@example.org")
    with translation.override("ja"):
        assert (
            gettext("[Vigil] For your information: %(ref)s %(title)s")
            % {
                "ref": incident.reference,
                "title": TITLE,
            }
            == member.title
        )
    assert plain.title == f"[Vigil] For your information: {incident.reference} {TITLE}"


@pytest.mark.django_db
def test_the_profile_language_beats_the_switch_and_the_browser(client: Client, agent) -> None:
    _speak(agent, "ja")
    client.force_login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa"
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ko")
    assert 'lang="ja"' in _html_attributes(response.content.decode())


@pytest.mark.django_db
def test_without_a_profile_language_the_switch_beats_the_browser(client: Client, agent) -> None:
    assert client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="ko")["Content-Language"] == "ko"
    assert client.get("/admin/login/")["Content-Language"] == "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa"
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="ko")
    assert 'dir="rtl"' in _html_attributes(response.content.decode())
    client.force_login(agent)  # a profile without a language: the same order
    assert client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ko")["Content-Language"] == "fa"


@pytest.mark.django_db
def test_the_switch_sets_the_cookie_and_a_signed_in_users_profile(client: Client, agent) -> None:
    response = client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/admin/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hant"
    assert client.get("/admin/login/")["Content-Language"] == "zh-hant"

    client.force_login(agent)
    html = client.get("/admin/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert 'value="fa" lang="fa"' in html
    client.post("/i18n/setlang/", {"language": "ko", "next": "/admin/"})
    assert UserProfile.objects.get(user=agent).language == "ko"
    client.cookies.clear()
    client.force_login(agent)
    assert client.get("/admin/")["Content-Language"] == "ko"
    # A language Vigil does not have changes nothing.
    client.post("/i18n/setlang/", {"language": "fr", "next": "/admin/"})
    assert UserProfile.objects.get(user=agent).language == "ko"


@pytest.mark.django_db
def test_a_person_sets_their_own_language_and_time_zone(client: Client, agent) -> None:
    client.force_login(agent)
    page = client.get("/preferences/")
    assert page.status_code == 200
    assert 'name="time_zone"' in page.content.decode()
    bad = client.post("/preferences/", {"language": "ko", "time_zone": "Mars/Olympus"})
    assert bad.status_code == 200
    assert UserProfile.objects.get(user=agent).language == ""
    saved = client.post("/preferences/", {"language": "fa", "time_zone": "Asia/Tehran"}, follow=True)
    profile = UserProfile.objects.get(user=agent)
    assert (profile.language, profile.time_zone) == ("fa", "Asia/Tehran")
    html = saved.content.decode()
    assert 'dir="rtl"' in _html_attributes(html)
    with translation.override("fa"):
        assert gettext("Your preferences were saved.") in html


@pytest.mark.django_db
def test_a_person_without_a_profile_gets_one_from_the_preferences_page(client: Client) -> None:
    user = UserFactory(is_staff=True)
    client.force_login(user)
    client.post("/preferences/", {"language": "ja", "time_zone": ""})
    assert UserProfile.objects.get(user=user).language == "ja"


@pytest.mark.django_db
def test_dates_in_the_locales_format_and_the_users_zone(client: Client, agent, incident) -> None:
    reported = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    type(incident).objects.filter(pk=incident.pk).update(reported_at=reported)
    _speak(agent, "fa", "Asia/Tehran")
    client.force_login(agent)
    html = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    with translation.override("fa"), timezone.override(zoneinfo.ZoneInfo("Asia/Tehran")):
        shown = formats.date_format(timezone.localtime(reported), "DATETIME_FORMAT")
    assert "15:30" in shown
    assert "مارس" in shown
    assert shown in html


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_the_public_base_template(code: str) -> None:
    request = RequestFactory().get("/status/")
    template = Template('{% extends "vigil/public_base.html" %}{% block content %}<p>x</p>{% endblock %}')
    with translation.override(code):
        html = template.render(RequestContext(request, {}))
    assert f'lang="{code}"' in html
    assert ('dir="rtl"' in html) is (code == "fa")
    assert ('dir="ltr"' in html) is (code != "fa")
    assert 'action="/i18n/setlang/"' in html
    assert 'name="next" type="hidden" value="/status/"' in html
    assert "<script" not in html
    assert " style=" not in html
    assert untranslated(html, code) == []


@pytest.mark.django_db
def test_seeded_category_names_are_translated_and_typed_ones_kept() -> None:
    outage = IncidentCategory.objects.get(code="system-outage")
    security = IncidentCategory.objects.get(code="lost-id-card")
    with translation.override("ja"):
        assert str(outage) == f"{gettext('Business operation')} / {gettext('System outage')}"
        assert str(outage) != "Business operation / System outage"
        outage.name = "Panne du système"
        assert str(outage).endswith(" / Panne du système")
        assert security.display_name == gettext("Lost ID card")


def test_the_seed_names_are_those_the_migration_loads() -> None:
    import importlib

    from incidents.models.catalog import SEED_CATEGORY_NAMES

    migration = importlib.import_module("incidents.migrations.0002_reference_data")
    assert {code: name for code, name, *_ in migration.CATEGORIES} == SEED_CATEGORY_NAMES
