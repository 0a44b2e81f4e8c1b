"""Reads shared by the API, the admin and the radar page."""

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import KRI, Area, KRIState, PrecursorState, PrecursorWarning, RadarSnapshot, Risk, RiskState
from .models.matrix import LEVEL_ORDER, RiskLevel, RiskMatrix, matrix_default


def risk_list(*, user: User | AnonymousUser) -> QuerySet[Risk]:
    """The risks a person may see: every one with `risks.view_risk`, else those they own or reported."""
    risks = Risk.objects.select_related("area", "owner", "matrix")
    if user.has_perm("risks.view_risk"):
        return risks
    if not user.is_authenticated:
        return risks.none()
    return risks.filter(Q(owner=user) | Q(reported_by=user))


def kri_list(*, user: User | AnonymousUser) -> QuerySet[KRI]:
    kris = KRI.objects.prefetch_related("risks")
    if user.has_perm("risks.view_kri"):
        return kris
    if not user.is_authenticated:
        return kris.none()
    return kris.filter(Q(owner=user) | Q(risks__owner=user)).distinct()


def heat_map(*, matrix: RiskMatrix | None = None, area: Area | None = None) -> dict[str, Any]:
    """The matrix as rows (likelihood, most likely first) of cells with their level, colour and the count of
    open risks on it (residual cell, else inherent)."""
    matrix = matrix or matrix_default()
    risks = Risk.objects.filter(matrix=matrix).exclude(state=RiskState.CLOSED)
    if area is not None:
        risks = risks.filter(area=area)
    counts: dict[tuple[int, int], int] = {}
    for risk in risks.only(
        "residual_likelihood", "residual_impact", "inherent_likelihood", "inherent_impact"
    ):
        cell = risk.current_cell()
        if cell:
            counts[cell] = counts.get(cell, 0) + 1
    rows = []
    for likelihood in range(matrix.size, 0, -1):
        cells = []
        for impact in range(1, matrix.size + 1):
            level = matrix.level(likelihood, impact)
            cells.append(
                {
                    "likelihood": likelihood,
                    "impact": impact,
                    "level": level,
                    "label": RiskLevel(level).label,
                    "colour": matrix.colour(level),
                    "count": counts.get((likelihood, impact), 0),
                }
            )
        rows.append(
            {"likelihood": likelihood, "label": matrix.likelihood_labels[likelihood - 1], "cells": cells}
        )
    return {"matrix": matrix, "rows": rows, "impact_labels": matrix.impact_labels}


def radar_weeks(*, weeks: int = 2) -> list[dt.date]:
    return list(
        RadarSnapshot.objects.order_by("-week_start").values_list("week_start", flat=True).distinct()[:weeks]
    )


def radar_latest() -> list[RadarSnapshot]:
    """The latest week's snapshots, each with its change against the previous week."""
    weeks = radar_weeks(weeks=1)
    if not weeks:
        return []
    return list(RadarSnapshot.objects.filter(week_start=weeks[0]).select_related("area").order_by("-index"))


def biggest_movers(*, limit: int = 5) -> list[RadarSnapshot]:
    rows = [row for row in radar_latest() if row.change is not None and row.change != 0]
    return sorted(rows, key=lambda row: -abs(row.change or 0))[:limit]


def kris_trending_to_red(*, limit: int = 10) -> list[KRI]:
    """Yellow KRIs, and green ones whose value has covered more than half the way to the red threshold,
    nearest to red first."""
    found = []
    for kri in KRI.objects.filter(is_active=True).exclude(state=KRIState.RED).exclude(value=None):
        span = kri.red - kri.yellow
        value = kri.value if kri.value is not None else kri.yellow
        distance = (kri.red - value) / span if span else 0
        if kri.state == KRIState.YELLOW or distance < 1.5:
            found.append((distance, kri))
    return [kri for _distance, kri in sorted(found, key=lambda pair: pair[0])[:limit]]


def acceptances_expiring(*, days: int = 30) -> QuerySet[Risk]:
    today = timezone.localdate()
    return (
        Risk.objects.exclude(state=RiskState.CLOSED)
        .filter(
            acceptance_expires_on__isnull=False, acceptance_expires_on__lte=today + dt.timedelta(days=days)
        )
        .select_related("area", "owner")
        .order_by("acceptance_expires_on")
    )


def reviews_overdue() -> QuerySet[Risk]:
    return (
        Risk.objects.exclude(state=RiskState.CLOSED)
        .filter(next_review_at__lt=timezone.now())
        .select_related("area", "owner")
        .order_by("next_review_at")
    )


def level_counts() -> dict[str, int]:
    rows = Risk.objects.exclude(state=RiskState.CLOSED).values("level").annotate(n=Count("id"))
    found = {row["level"]: row["n"] for row in rows}
    return {level.value: found.get(level.value, 0) for level in LEVEL_ORDER}


def precursors_open() -> list[PrecursorWarning]:
    """Open precursor warnings, newest first, with the incidents behind each (oldest first) fetched at once."""
    from django.db.models import Prefetch

    from incidents.models import Incident

    return list(
        PrecursorWarning.objects.filter(state=PrecursorState.OPEN)
        .select_related("rule", "risk")
        .prefetch_related(
            Prefetch("incidents", queryset=Incident.objects.select_related("service").order_by("reported_at"))
        )
        .order_by("-created_at")
    )
