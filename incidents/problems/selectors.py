"""Reads of problems that the API, the admin and other apps share: the list, the known errors an agent searches
from an incident, and the recurring incidents that have no problem yet."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from ..models import (
    ACTIVE_PROBLEM_STATES,
    Incident,
    Problem,
    ProblemChangeConfiguration,
    ProblemIncident,
    ProblemState,
)
from ..selectors import incident_search


def sees_problems(user: User | AnonymousUser | None) -> bool:
    return bool(user is None or (user.is_authenticated and user.has_perm("incidents.view_problem")))


def problem_list(*, user: User | AnonymousUser) -> QuerySet[Problem]:
    """The problems a user may see: all of them for agents and managers, none for the others."""
    qs = Problem.objects.select_related("owner", "team", "category").prefetch_related("services")
    return qs if sees_problems(user) else qs.none()


def problem_search(qs: QuerySet[Problem], term: str) -> QuerySet[Problem]:
    """Problems by reference (`PRB-000042`), by their own words (title, symptoms, root cause, workaround), or
    by the words of the incidents linked to them.

    The incidents' words go through the incident search's own entry point (`incidents.selectors.
    incident_search`), so that whatever that search understands (full text today, trigrams in every language
    tomorrow) finds the known error of a similar incident too. The problem's own words are matched word by
    word as substrings, which works for text written without spaces."""
    term = term.strip()
    if not term:
        return qs
    if term.upper().startswith("PRB-"):
        digits = term[4:].lstrip("0")
        if digits.isdigit():
            return qs.filter(pk=int(digits))
    own = Q()
    for word in term.split():
        any_field = Q()
        for field in ("title", "symptoms", "root_cause", "workaround"):
            any_field |= Q(**{f"{field}__icontains": word})
        own &= any_field
    matching_incidents = incident_search(Incident.objects.all(), term).values("pk")
    via_incidents = Exists(
        ProblemIncident.objects.filter(problem=OuterRef("pk"), incident__in=matching_incidents)
    )
    return qs.filter(own | Q(via_incidents))


def known_error_search(
    *,
    user: User | AnonymousUser,
    incident: Incident | None = None,
    service_id: int | None = None,
    category_id: int | None = None,
    text: str = "",
) -> QuerySet[Problem]:
    """ "Is there a workaround for this?": known errors by service, category and text, the most urgent first.

    From an incident, its service and category are the defaults and its title the text when none is given;
    known errors already linked to the incident come too."""
    qs = problem_list(user=user).filter(state=ProblemState.KNOWN_ERROR)
    if incident is not None:
        service_id = service_id or incident.service_id
        category_id = category_id or incident.category_id
    if service_id:
        qs = qs.filter(Q(services=service_id) | Q(services__isnull=True))
    if category_id:
        qs = qs.filter(Q(category_id=category_id) | Q(category__isnull=True))
    if text.strip():
        qs = problem_search(qs, text)
    return qs.distinct().order_by("priority", "-known_error_at", "-id")


def recurring_incidents(
    *, now: datetime | None = None, window_days: int | None = None, min_incidents: int | None = None
) -> list[dict[str, Any]]:
    """Services and categories with at least `min_incidents` incidents reported in the last `window_days`
    (the configuration's by default) that no problem explains: none of those incidents is linked to a
    problem, and no active problem covers that service and category. Most incidents first."""
    config = ProblemChangeConfiguration.load()
    now = now or timezone.now()
    window_days = window_days if window_days is not None else config.recurring_window_days
    min_incidents = min_incidents if min_incidents is not None else config.recurring_min_incidents
    since = now - timedelta(days=window_days)
    qs = (
        Incident.objects.filter(reported_at__gte=since, reported_at__lte=now, problem_links__isnull=True)
        .exclude(state="cancelled")
        .values("service_id", "category_id", "service__name", "category__name")
        .annotate(count=Count("pk"), first=Min("reported_at"), last=Max("reported_at"))
        .filter(count__gte=max(min_incidents, 1))
        .order_by("-count", "service__name", "category__name")
    )
    rows = []
    for row in qs:
        covered = (
            row["service_id"] is not None
            and row["category_id"] is not None
            and Problem.objects.filter(
                state__in=ACTIVE_PROBLEM_STATES, services=row["service_id"], category_id=row["category_id"]
            ).exists()
        )
        if covered:
            continue
        ids = Incident.objects.filter(
            reported_at__gte=since,
            reported_at__lte=now,
            problem_links__isnull=True,
            service_id=row["service_id"],
            category_id=row["category_id"],
        ).exclude(state="cancelled")
        rows.append(
            {
                "service_id": row["service_id"],
                "service": row["service__name"] or "",
                "category_id": row["category_id"],
                "category": row["category__name"] or "",
                "count": row["count"],
                "first": row["first"],
                "last": row["last"],
                "incident_ids": sorted(ids.values_list("pk", flat=True)),
            }
        )
    return rows
