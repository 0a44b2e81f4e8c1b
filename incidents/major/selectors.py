"""Reads the API, the admin, the pages and the post-incident review share."""

import re
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from ..models import (
    ACTIVE_MAJOR_STATES,
    Cost,
    FundAllocation,
    MajorIncident,
    MajorIncidentState,
    RoleAssignment,
    StatusPageService,
    StatusUpdate,
)
from .common import own_declarations, sees_all_major_incidents

REFERENCE = re.compile(r"^\s*MI-?0*(\d{1,18})\s*$", re.IGNORECASE)
# Titles at least this alike (difflib's ratio, on characters, so it works without spaces between words as in
# Japanese or Chinese) are taken for the same outage when the service does not say so.
SIMILAR_TITLE = 0.6


def major_incident_list(*, user: User | AnonymousUser) -> QuerySet[MajorIncident]:
    """The major incidents a user may see: all for agents and managers, their own declarations for reporters."""
    qs = MajorIncident.objects.select_related("declared_by", "category", "primary_incident").prefetch_related(
        "services",
        Prefetch(
            "role_assignments",
            queryset=RoleAssignment.objects.filter(ended_at__isnull=True, role="commander").select_related(
                "user", "person"
            ),
            to_attr="current_commanders",
        ),
    )
    if not user.is_authenticated:
        return qs.none()
    if sees_all_major_incidents(user):
        return qs
    return qs.filter(own_declarations(user)).distinct()


def major_incident_search(qs: QuerySet[MajorIncident], term: str) -> QuerySet[MajorIncident]:
    """`MI-000012` (or `mi-12`) finds that one; other words must each appear in the title or the summary."""
    term = term.strip()
    if not term:
        return qs
    reference = REFERENCE.match(term)
    if reference:
        return qs.filter(pk=int(reference.group(1)))
    condition = Q()
    for word in term.split():
        condition &= Q(title__icontains=word) | Q(summary__icontains=word)
    return qs.filter(condition)


def matching_open(*, service_id: int | None, title: str, limit: int = 5) -> list[MajorIncident]:
    """Active major incidents that look like the same outage: one on the same service, or with a similar
    title. Active ones are few, so the title comparison runs here rather than in the database."""
    found: list[tuple[float, MajorIncident]] = []
    wanted = title.casefold().strip()
    for candidate in MajorIncident.objects.filter(state__in=ACTIVE_MAJOR_STATES).prefetch_related("services"):
        same_service = service_id is not None and any(s.pk == service_id for s in candidate.services.all())
        likeness = SequenceMatcher(None, wanted, candidate.title.casefold()).ratio() if wanted else 0.0
        if same_service or likeness >= SIMILAR_TITLE:
            found.append((likeness + (1.0 if same_service else 0.0), candidate))
    found.sort(key=lambda pair: (-pair[0], -pair[1].pk))
    return [candidate for _score, candidate in found[:limit]]


def commander_of(major_incident: MajorIncident) -> RoleAssignment | None:
    preloaded = getattr(major_incident, "current_commanders", None)
    if preloaded is not None:
        return preloaded[0] if preloaded else None
    return (
        major_incident.role_assignments.filter(role="commander", ended_at__isnull=True)
        .select_related("user", "person")
        .first()
    )


def review_data(major_incident: MajorIncident) -> dict[str, Any]:
    """What a post-incident review starts from, JSON-ready: milestones and the durations between them, the
    command (who held which role, when), the incidents, the services, the tasks and the updates."""
    milestones = {
        "occurred": major_incident.occurred_at,
        "detected": major_incident.detected_at,
        "declared": major_incident.declared_at,
        "acknowledged": major_incident.acknowledged_at,
        "identified": major_incident.identified_at,
        "mitigated": major_incident.mitigated_at,
        "resolved": major_incident.resolved_at,
    }

    def seconds(start: datetime | None, end: datetime | None) -> int | None:
        return int((end - start).total_seconds()) if start and end else None

    start = major_incident.occurred_at or major_incident.detected_at or major_incident.declared_at
    roles = major_incident.role_assignments.select_related("user", "person").order_by("assigned_at", "id")
    tasks = list(major_incident.tasks.all())
    return {
        "reference": major_incident.reference,
        "title": major_incident.title,
        "severity": major_incident.severity,
        "cause": major_incident.cause,
        "category": major_incident.category_id,
        "milestones": {name: value.isoformat() if value else None for name, value in milestones.items()},
        "durations_seconds": {
            "to_detect": seconds(start, major_incident.detected_at),
            "to_acknowledge": seconds(major_incident.declared_at, major_incident.acknowledged_at),
            "to_mitigate": seconds(start, major_incident.mitigated_at),
            "to_resolve": seconds(start, major_incident.resolved_at),
        },
        "roles": [
            {
                "role": r.role,
                "holder": r.holder_name,
                "user": r.user.get_username() if r.user is not None else None,
                "from": r.assigned_at.isoformat(),
                "until": r.ended_at.isoformat() if r.ended_at else None,
            }
            for r in roles
        ],
        "incidents": list(major_incident.links.values_list("incident_id", flat=True)),
        "primary_incident": major_incident.primary_incident_id,
        "services": list(major_incident.services.values_list("pk", flat=True)),
        "tasks": {
            "total": len(tasks),
            "done": sum(1 for t in tasks if t.state == "done"),
            "late": sum(1 for t in tasks if t.done_at and t.due_at and t.done_at > t.due_at),
        },
        "status_updates": major_incident.status_updates.count(),
        "resolution_summary": major_incident.resolution_summary,
        "no_problem_reason": major_incident.no_problem_reason,
    }


def finance_summary(major_incident: MajorIncident) -> list[dict[str, Any]]:
    """Per currency: allocated, spent, remaining (negative when overspent), and spent per category."""
    allocated = dict(
        FundAllocation.objects.filter(major_incident=major_incident)
        .values_list("currency")
        .annotate(total=Sum("amount"))
    )
    spent: dict[str, Decimal] = {}
    by_category: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for currency, category, total in (
        Cost.objects.filter(major_incident=major_incident)
        .values_list("currency", "category")
        .annotate(total=Sum("amount"))
        .order_by("currency", "category")
    ):
        spent[currency] = spent.get(currency, Decimal(0)) + total
        by_category[currency][category] = total
    rows = []
    for currency in sorted(set(allocated) | set(spent)):
        funds, costs = allocated.get(currency, Decimal(0)), spent.get(currency, Decimal(0))
        rows.append(
            {
                "currency": currency,
                "allocated": funds,
                "spent": costs,
                "remaining": funds - costs,
                "overspent": costs > funds,
                "spent_by_category": by_category.get(currency, {}),
            }
        )
    return rows


# The public state of a service, from the worst active public major incident on it.
SERVICE_STATES = {1: "major_outage", 2: "partial_outage", 3: "degraded"}
RECENT = timedelta(days=7)


def status_page(*, now: datetime | None = None) -> dict[str, Any]:
    """What the public status page shows: each public service's state, and the active (and the last week's
    resolved) major incidents with their public updates. A major incident is public once the communications
    lead has published a public update; nothing else of it is shown."""
    now = now or timezone.now()
    public_updates = StatusUpdate.objects.filter(is_public=True).order_by("-published_at", "-id")
    incidents = list(
        MajorIncident.objects.filter(status_updates__is_public=True)
        .filter(Q(state__in=ACTIVE_MAJOR_STATES) | Q(resolved_at__gte=now - RECENT))
        .exclude(state=MajorIncidentState.CANCELLED)
        .distinct()
        .prefetch_related(
            "services", Prefetch("status_updates", queryset=public_updates, to_attr="public_updates")
        )
        .order_by("-declared_at")
    )
    entries = list(StatusPageService.objects.select_related("service"))
    worst: dict[int, int] = {}
    for major_incident in incidents:
        if not major_incident.is_active:
            continue
        # Mitigated and being watched: degraded at worst, whatever the severity was.
        severity = 3 if major_incident.state == MajorIncidentState.MONITORING else major_incident.severity
        for service in major_incident.services.all():
            worst[service.pk] = min(worst.get(service.pk, 9), severity)
    services = [
        {
            "name": entry.public_name,
            "description": entry.description,
            "state": SERVICE_STATES.get(worst.get(entry.service_id, 0), "operational"),
        }
        for entry in entries
    ]
    public_names = {entry.service_id: entry.public_name for entry in entries}
    return {
        "services": services,
        "active": [m for m in incidents if m.is_active],
        "recent": [m for m in incidents if not m.is_active],
        "public_names": public_names,
    }


def public_updates_feed(limit: int = 50) -> QuerySet[StatusUpdate]:
    """The newest public updates of major incidents that are not cancelled, for the Atom feed."""
    return (
        StatusUpdate.objects.filter(is_public=True)
        .exclude(major_incident__state=MajorIncidentState.CANCELLED)
        .select_related("major_incident")
        .order_by("-published_at", "-id")[:limit]
    )
