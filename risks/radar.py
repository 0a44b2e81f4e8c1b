"""The weekly risk radar: a risk index per area from the residual levels of its open risks and the states of
their KRIs, stored per week and compared with the week before; an area above its threshold alerts once a
week; the managers get a digest e-mail.

Index of an area = sum over its open risks of the level's weight (low 1, medium 2, high 4, critical 8)
+ 2 per yellow KRI and 5 per red KRI measuring one of them (each KRI once)."""

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from escalation.events import event_emit
from escalation.notify import notify_user_at_once
from escalation.subjects import subject_describe, subject_people
from incidents.roles import MANAGERS

from .events import RiskEvent
from .models import KRI, Area, KRIState, RadarDigest, RadarSnapshot, Risk, RiskState
from .models.matrix import LEVEL_ORDER, LEVEL_WEIGHTS, RiskLevel

KRI_WEIGHTS = {KRIState.YELLOW: 2, KRIState.RED: 5}


def week_of(at: dt.datetime) -> dt.date:
    day = timezone.localdate(at)
    return day - dt.timedelta(days=day.weekday())


def area_index(area: Area) -> dict[str, Any]:
    risks = list(Risk.objects.filter(area=area).exclude(state=RiskState.CLOSED).values_list("pk", "level"))
    levels = {level.value: 0 for level in LEVEL_ORDER}
    index = 0.0
    for _pk, level in risks:
        if level:
            levels[level] += 1
            index += LEVEL_WEIGHTS[RiskLevel(level)]
    kris = KRI.objects.filter(is_active=True, risks__pk__in=[pk for pk, _level in risks]).distinct()
    states = list(kris.values_list("state", flat=True))
    yellow = states.count(KRIState.YELLOW)
    red = states.count(KRIState.RED)
    index += yellow * KRI_WEIGHTS[KRIState.YELLOW] + red * KRI_WEIGHTS[KRIState.RED]
    return {"index": index, "risk_count": len(risks), "levels": levels, "kri_yellow": yellow, "kri_red": red}


def radar_snapshot(*, at: dt.datetime) -> list[RadarSnapshot]:
    """Compute (or recompute, on demand) this week's snapshot of every area. An area above its threshold
    alerts (`radar.alert`, its owner told) the first time it is found above it in the week."""
    week = week_of(at)
    rows = []
    for area in Area.objects.select_related("owner").order_by("name"):
        with transaction.atomic():
            figures = area_index(area)
            previous = (
                RadarSnapshot.objects.filter(area=area, week_start__lt=week).order_by("-week_start").first()
            )
            snapshot = RadarSnapshot.objects.select_for_update().filter(area=area, week_start=week).first()
            if snapshot is None:
                try:
                    with transaction.atomic():
                        snapshot = RadarSnapshot.objects.create(
                            area=area,
                            week_start=week,
                            threshold=area.radar_threshold,
                            computed_at=at,
                            **figures,
                            previous_index=previous.index if previous else None,
                        )
                except IntegrityError:
                    snapshot = RadarSnapshot.objects.select_for_update().get(area=area, week_start=week)
            for name, value in figures.items():
                setattr(snapshot, name, value)
            snapshot.previous_index = previous.index if previous else None
            snapshot.threshold = area.radar_threshold
            snapshot.computed_at = at
            if snapshot.index > snapshot.threshold and not snapshot.alerted:
                snapshot.alerted = True
                snapshot.save()
                _alert(snapshot, at=at)
            else:
                snapshot.save()
            rows.append(snapshot)
    return rows


def _alert(snapshot: RadarSnapshot, *, at: dt.datetime) -> None:
    data = {"area": snapshot.area.name, "index": snapshot.index, "threshold": snapshot.threshold}
    info = subject_describe(snapshot)
    event_emit(subject=snapshot, event=RiskEvent.RADAR_ALERT, at=at, data=data, info=info)
    for user in subject_people(snapshot, ("area_owner",)):
        notify_user_at_once(
            subject=snapshot,
            info=info,
            user=user,
            channel="",
            reason=RiskEvent.RADAR_ALERT,
            key=f"radar_alert:{snapshot.pk}",
            template="event",
            context={"event": RiskEvent.RADAR_ALERT, "data": data, "at": at},
            at=at,
        )


def weekly_radar(*, now: dt.datetime | None = None) -> int:
    """The beat's weekly run: this week's snapshot unless there is one already, then the digest of it.
    Returns how many digests were written."""
    now = now or timezone.now()
    week = week_of(now)
    if not RadarSnapshot.objects.filter(week_start=week).exists():
        radar_snapshot(at=now)
    return radar_digest_send(now=now)


def radar_digest_send(*, now: dt.datetime) -> int:
    """The week's radar by e-mail to every manager and risk owner, once (the week's `RadarDigest` row is
    unique)."""
    from .selectors import (
        acceptances_expiring,
        biggest_movers,
        kris_trending_to_red,
        radar_latest,
        reviews_overdue,
    )

    week = week_of(now)
    if RadarDigest.objects.filter(week_start=week).exists():
        return 0
    snapshots = radar_latest()
    context = {
        "week": week,
        "areas": [
            {"area": row.area.name, "index": row.index, "change": row.change, "alerted": row.alerted}
            for row in snapshots
        ],
        "movers": [{"area": row.area.name, "change": row.change} for row in biggest_movers()],
        "kris": [
            {"name": kri.name, "state": kri.state, "value": kri.value, "unit": kri.unit}
            for kri in kris_trending_to_red()
        ],
        "acceptances": [
            {"reference": risk.reference, "title": risk.title, "expires_on": risk.acceptance_expires_on}
            for risk in acceptances_expiring()
        ],
        "overdue": [{"reference": risk.reference, "title": risk.title} for risk in reviews_overdue()],
        "data": {"week": week.isoformat()},
    }
    # The managers and every owner of an open risk.
    owners = Risk.objects.exclude(state=RiskState.CLOSED).exclude(owner=None).values("owner")
    managers = (
        get_user_model()
        .objects.filter(Q(groups__name=MANAGERS) | Q(pk__in=owners), is_active=True)
        .distinct()
        .order_by("pk")
    )
    try:
        with transaction.atomic():
            digest = RadarDigest.objects.create(week_start=week)
            info = subject_describe(digest)
            count = 0
            for manager in managers:
                notify_user_at_once(
                    subject=digest,
                    info=info,
                    user=manager,
                    channel="email",
                    reason="radar_digest",
                    key=f"radar_digest:{week.isoformat()}",
                    template="radar_digest",
                    context=context,
                    at=now,
                )
                count += 1
    except IntegrityError:
        return 0
    return count
