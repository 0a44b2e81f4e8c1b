"""A person's private on-call calendar (iCalendar, RFC 5545): their shifts on every schedule, from a week ago
to `VIGIL_ONCALL_FEED_DAYS` ahead, for any calendar application that subscribes to a URL. The URL's secret is
made and revoked by `escalation.services.oncall_feed_create` / `oncall_feed_revoke`."""

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .models import OnCallFeed
from .oncall import user_oncall_segments


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    return settings.VIGIL_BASE_URL.rstrip("/") + reverse("oncall_feed", args=[token])


def feed_owner(token: str) -> User | None:
    """The active person whose feed this secret opens, or None."""
    feed = (
        OnCallFeed.objects.select_related("user")
        .filter(token_hash=feed_token_hash(token), user__is_active=True)
        .first()
    )
    return feed.user if feed is not None else None


def oncall_calendar(*, user: User, now: dt.datetime) -> bytes:
    """The person's shifts as an iCalendar document, in their language."""
    start = now - dt.timedelta(days=7)
    end = now + dt.timedelta(days=settings.VIGIL_ONCALL_FEED_DAYS)
    profile = getattr(user, "vigil_profile", None)
    language = (profile.language if profile is not None else "") or settings.LANGUAGE_CODE
    calendar = Calendar()
    calendar.add("prodid", "-//Vigil//on-call//EN")
    calendar.add("version", "2.0")
    with translation.override(language):
        calendar.add("x-wr-calname", _("On call: %(user)s") % {"user": user.get_username()})
        for segment in user_oncall_segments(user=user, start=start, end=end):
            event = Event()
            # Stable across reads: the same shift keeps its id, so calendar applications update it in place.
            why = (
                f"o{segment.override.pk}"
                if segment.override
                else f"r{segment.rotation.pk if segment.rotation else 0}"
            )
            event.add("uid", f"oncall-{segment.schedule.pk}-{why}-{int(segment.start.timestamp())}@vigil")
            event.add("dtstamp", now)
            event.add("dtstart", segment.start)
            event.add("dtend", segment.end)
            event.add("summary", _("On call: %(schedule)s") % {"schedule": segment.schedule.name})
            if segment.override is not None:
                description = _("Override") + (
                    f": {segment.override.reason}" if segment.override.reason else ""
                )
            else:
                description = _("Rotation %(name)s") % {
                    "name": segment.rotation.name if segment.rotation else ""
                }
            event.add("description", description)
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
    return calendar.to_ical()
