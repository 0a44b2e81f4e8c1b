"""Request plumbing: the user's time zone for display, body limits on chunked bodies."""

import io
from datetime import UTC, datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone

from config.middleware import BodySizeLimitMiddleware, UserTimezoneMiddleware
from escalation.models import UserProfile
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db


def _zone_seen(request) -> str:
    seen = {}

    def view(req):
        seen["zone"] = str(timezone.get_current_timezone())
        return

    UserTimezoneMiddleware(view)(request)
    return seen["zone"]


def test_profile_zone_wins_over_cookie(rf: RequestFactory):
    user = UserFactory()
    UserProfile.objects.create(user=user, time_zone="Asia/Tokyo")
    request = rf.get("/admin/")
    request.user = user
    request.COOKIES["vigil_tz"] = "Europe/Paris"
    assert _zone_seen(request) == "Asia/Tokyo"


def test_cookie_zone_and_bad_zone(rf: RequestFactory):
    request = rf.get("/")
    request.user = UserFactory()
    request.COOKIES["vigil_tz"] = "Europe/Paris"
    assert _zone_seen(request) == "Europe/Paris"
    request.COOKIES["vigil_tz"] = "Mars/Olympus_Mons"
    assert _zone_seen(request) == "UTC"


def test_admin_shows_times_in_the_users_zone(client):
    from incidents.services import incident_create

    agent = UserFactory(role="agents", is_staff=True)
    UserProfile.objects.create(user=agent, time_zone="Asia/Tokyo")
    incident = incident_create(
        by=agent, title="x", impact=2, urgency=2, reported_at=datetime(2026, 5, 1, 22, 30, tzinfo=UTC)
    )
    client.force_login(agent)
    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    assert "May 2, 2026, 7:30 a.m." in page  # 22:30 UTC is 07:30 the next day in Tokyo


def test_chunked_body_over_the_limit_is_413(rf: RequestFactory, settings):
    settings.VIGIL_MAX_BODY_BYTES = 100
    request = rf.generic(
        "POST", "/api/v1/incidents/", b"", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked"
    )
    request.META.pop("CONTENT_LENGTH", None)
    request._stream = io.BytesIO(b"x" * 500)  # what a chunked upload without Content-Length delivers
    request._read_started = False
    response = BodySizeLimitMiddleware(lambda r: pytest.fail("the view must not run"))(request)
    assert response.status_code == 413
