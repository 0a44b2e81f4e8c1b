"""The managers' weekly digest: last week's figures against the week before, through the engine's outbox.

Once per week whatever runs it: the `WeeklyDigest` row of the week is unique (a second beat, or a retried
task, finds it and sends nothing), and each message's idempotency key names the week."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from escalation.notify import notify_user_at_once
from escalation.subjects import subject_describe
from incidents.metrics import reporting_calendar
from incidents.roles import MANAGERS

from .models import WeeklyDigest
from .selectors import MetricsQuery, action_items_overdue, metrics_summary

DIGEST_REASON = "digest"


def _week_figures(start: dt.date) -> dict:
    calendar = reporting_calendar()
    query = MetricsQuery(
        since=calendar.day_start(start), until=calendar.day_start(start + dt.timedelta(days=7))
    )
    figures = metrics_summary(query)
    return {key: value for key, value in figures.items() if not isinstance(value, dt.datetime | dt.date)}


def weekly_digest_send(*, now: dt.datetime | None = None) -> int:
    """Send the digest of the last whole week (Monday to Sunday, reporting zone) to every manager, unless it
    was sent. Returns how many managers it was written for."""
    now = now or timezone.now()
    calendar = reporting_calendar()
    today = calendar.day(now)
    week_start = today - dt.timedelta(days=today.weekday() + 7)
    if WeeklyDigest.objects.filter(week_start=week_start).exists():
        return 0
    figures = _week_figures(week_start)
    previous = _week_figures(week_start - dt.timedelta(days=7))
    overdue = action_items_overdue(today=today).count()
    managers = (
        get_user_model()
        .objects.filter(groups__name=MANAGERS, is_active=True)
        .select_related("vigil_profile")
        .distinct()
        .order_by("pk")
    )
    try:
        with transaction.atomic():
            digest = WeeklyDigest.objects.create(
                week_start=week_start, figures={"week": figures, "previous": previous, "overdue": overdue}
            )
            info = subject_describe(digest)
            count = 0
            for manager in managers:
                notify_user_at_once(
                    subject=digest,
                    info=info,
                    user=manager,
                    channel="email",
                    reason=DIGEST_REASON,
                    key=f"digest:{week_start.isoformat()}",
                    template="digest",
                    context={
                        "figures": figures,
                        "previous": previous,
                        "overdue": overdue,
                        "first_day": week_start,
                        "last_day": week_start + dt.timedelta(days=6),
                        "data": {"week": week_start.isoformat()},
                    },
                    at=now,
                )
                count += 1
    except IntegrityError:
        return 0  # another scheduler wrote this week's row first: it sends the digest
    return count
