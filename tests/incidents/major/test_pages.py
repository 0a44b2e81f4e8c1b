"""The public pages without a browser: /declare/ (sign-in, validation, joining an open one, the rate limit) and
/status/ (public updates only, the feed, subscriptions with double opt-in and one-click unsubscribe)."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from escalation.models import Notification
from incidents.major.comms import status_update_publish
from incidents.models import MajorIncident, StatusPageService, StatusSubscription
from tests.incidents.factories import ServiceFactory, UserFactory
from tests.services import redis_url

from .factories import declare

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def form(**changes):
    data = {
        "title": "Nobody can pay",
        "affected": "everyone",
        "ongoing": "yes",
        "contact": "+33 6 00 00 00 00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_anonymous_visitors_are_sent_to_sign_in_and_come_back(client):
    response = client.get("/declare/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/declare/"
    reporter = UserFactory(role="reporters", username="rob")
    reporter.set_password("a long enough password")
    reporter.save()
    signed_in = client.post(
        "/login/?next=/declare/",
        {"username": "rob", "password": "a long enough password", "next": "/declare/"},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/declare/"
    assert client.get("/declare/").status_code == 200


def test_a_reporter_declares_from_the_form(client):
    reporter = UserFactory(role="reporters")
    client.force_login(reporter)
    service = ServiceFactory()
    page = client.get("/declare/")
    assert b'dir="ltr"' in page.content
    assert b"<script" not in page.content
    response = client.post("/declare/", form(service=service.pk))
    assert response.status_code == 302
    major = MajorIncident.objects.get()
    assert response["Location"] == f"/declare/{major.pk}/"
    assert (major.severity, major.declared_by, major.declared_via, major.reporter_contact) == (
        1,
        reporter,
        "form",
        "+33 6 00 00 00 00",
    )
    assert list(major.services.all()) == [service]
    done = client.get(response["Location"])
    assert major.reference in done.content.decode()
    mine = client.get("/declare/mine/").content.decode()
    assert major.reference in mine


def test_field_errors_are_tied_to_their_fields(client):
    client.force_login(UserFactory(role="reporters"))
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/declare/", form(title="", started_at=future))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_title_error"' in html
    title_input = re.search(r'<input[^>]*name="title"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in title_input
    assert 'aria-describedby="id_title_helptext id_title_error"' in title_input
    assert "This is in the future" in html
    assert 'href="#id_title"' in html, "the summary links to the field"
    assert not MajorIncident.objects.exists()


def test_a_second_declaration_of_the_same_outage_offers_to_join(client):
    service = ServiceFactory()
    open_one = declare(by=None, title="Checkout down", services=[service])
    reporter = UserFactory(role="reporters")
    client.force_login(reporter)
    offer = client.post("/declare/", form(title="Card payments fail", service=service.pk))
    assert offer.status_code == 200
    html = offer.content.decode()
    assert open_one.reference in html
    assert f'name="join" value="{open_one.pk}"' in html
    joined = client.post(
        "/declare/", {**form(title="Card payments fail", service=service.pk), "join": open_one.pk}
    )
    assert joined["Location"] == f"/declare/{open_one.pk}/?joined=1"
    assert MajorIncident.objects.count() == 1
    assert open_one.links.count() == 2
    # The reporter sees the one they joined among their declarations.
    assert open_one.reference in client.get("/declare/mine/").content.decode()
    anyway = client.post("/declare/", {**form(title="Card payments fail", service=service.pk), "new": "1"})
    assert anyway.status_code == 302
    assert MajorIncident.objects.count() == 2


def test_someone_without_the_permission_is_told_so(client):
    client.force_login(UserFactory())
    assert client.get("/declare/").status_code == 403
    assert client.post("/declare/", form()).status_code == 403


def _rate_limited(client):
    client.force_login(UserFactory(role="reporters"))
    for n in range(2):
        assert client.post("/declare/", form(title=f"Outage {n} at site {n}", new="1")).status_code == 302
    refused = client.post("/declare/", form(title="A third one", new="1"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 600
    assert "try again in" in refused.content.decode()
    assert MajorIncident.objects.count() == 2


@override_settings(VIGIL_DECLARE_LIMIT=2)
def test_declarations_are_rate_limited_per_person(client):
    _rate_limited(client)


@pytest.mark.redis
def test_the_rate_limit_holds_in_redis(client):
    url = redis_url()
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    with override_settings(CACHES=caches, VIGIL_DECLARE_LIMIT=2):
        from django.core.cache import caches as handler

        handler["default"].clear()
        try:
            _rate_limited(client)
        finally:
            handler["default"].clear()


def test_the_status_page_shows_public_updates_and_not_private_ones(client):
    service = ServiceFactory(name="pay-gw")
    StatusPageService.objects.create(service=service, public_name="Payments")
    StatusPageService.objects.create(service=ServiceFactory(), public_name="Website")
    major = declare(by=None, title="Internal: DB primary crashed", services=[service], severity=1)
    status_update_publish(
        major_incident_id=major.pk, by=None, status="Primary DB OOM-killed by job 42", audiences=["technical"]
    )
    status_update_publish(
        major_incident_id=major.pk,
        by=None,
        status="DB failover under way",
        audiences=["public"],
        public_text="Payments are failing; we are restoring them.",
    )
    hidden = declare(by=None, title="Not public at all", severity=1)
    status_update_publish(major_incident_id=hidden.pk, by=None, status="secret", audiences=["management"])
    page = client.get("/status/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Payments are failing; we are restoring them." in html
    assert "OOM-killed" not in html
    assert "Not public at all" not in html
    assert 'data-state="major_outage"' in html
    assert html.count('data-state="operational"') == 1
    feed = client.get("/status/feed.atom")
    assert feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert "Payments are failing" in body
    assert "OOM-killed" not in body
    assert "secret" not in body


def test_subscriptions_are_confirmed_by_a_signed_link_and_ended_in_one_click(client):
    response = client.post("/status/subscribe/", {"email": "Fan@Example.org"})
    assert response.status_code == 302
    [confirm_mail] = Notification.objects.filter(reason="status.confirm")
    assert confirm_mail.address == "fan@example.org"
    link = re.search(r"http://\S+/status/confirm/(\S+)/", confirm_mail.body)
    assert link
    token = link.group(1)
    assert client.get(f"/status/confirm/{token}x/").status_code == 404
    assert "Confirm" in client.get(f"/status/confirm/{token}/").content.decode(), "GET changes nothing"
    assert StatusSubscription.objects.get().confirmed_at is None
    client.post(f"/status/confirm/{token}/")
    assert StatusSubscription.objects.get().confirmed_at is not None

    major = declare(by=None)
    status_update_publish(major_incident_id=major.pk, by=None, status="We are on it", audiences=["public"])
    [mail] = Notification.objects.filter(reason="status.update")
    assert mail.address == "fan@example.org"
    assert "We are on it" in mail.body
    unsubscribe = re.search(r"http://\S+(/status/unsubscribe/\S+/)", mail.body).group(1)
    from django.test import Client

    one_click = Client(enforce_csrf_checks=True).post(unsubscribe)  # a mail client's RFC 8058 POST
    assert one_click.status_code == 200
    assert not StatusSubscription.objects.exists()


@override_settings(VIGIL_SUBSCRIBE_LIMIT=1)
def test_subscription_requests_are_limited_and_bad_addresses_refused(client):
    assert client.post("/status/subscribe/", {"email": "not an address"}).status_code == 400
    assert client.post("/status/subscribe/", {"email": "a@example.org"}).status_code == 302
    assert client.post("/status/subscribe/", {"email": "b@example.org"}).status_code == 429
