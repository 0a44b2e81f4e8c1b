"""Knowledge from the past: resolved incidents like this one, and how they were resolved.

Candidates are resolved (or closed) incidents sharing the incident's service or category (all resolved
incidents when it has neither), the most recent `CANDIDATES`; they are ranked by sharing both, then by the
text similarity of their titles and descriptions. Text similarity works in every language Vigil ships,
with or without spaces between words: PostgreSQL's trigram similarity (pg_trgm), and on SQLite the same idea
on character bigrams (Dice coefficient). The incident search (`incidents.selectors.incident_search`,
`similar=True`) is the one place that knows how."""

from typing import Any

from django.db.models import Q

from incidents.models import Incident, IncidentState
from incidents.selectors import incident_search

from .models import Postmortem, PostmortemState

CANDIDATES = 2000
LIMIT = 5
MIN_SIMILARITY = 0.05
TEXT_CHARS = 500


def _text(incident: Incident) -> str:
    return f"{incident.title} {incident.description}"[:TEXT_CHARS]


def similar_incidents(*, incident: Incident, limit: int = LIMIT) -> list[dict[str, Any]]:
    """Up to `limit` resolved incidents most like `incident`, best first, each with its resolution and
    the reference of its published post-mortem."""
    shared = Q()
    if incident.service_id:
        shared |= Q(service_id=incident.service_id)
    if incident.category_id:
        shared |= Q(category_id=incident.category_id)
    candidates = (
        Incident.objects.filter(state__in=[IncidentState.RESOLVED, IncidentState.CLOSED])
        .filter(shared)
        .exclude(pk=incident.pk)
        .order_by("-resolved_at", "-id")
    )
    # The most recent candidates, then ranked by the incident search's text similarity (one entry point).
    recent = candidates.values("pk")[:CANDIDATES]
    ranked = incident_search(
        Incident.objects.filter(pk__in=recent), _text(incident), similar=True
    ).select_related("service", "category")
    scored = []
    for row in ranked:
        similarity = getattr(row, "search_rank", None) or 0.0
        both = bool(incident.service_id and incident.category_id) and (
            row.service_id == incident.service_id and row.category_id == incident.category_id
        )
        if similarity < MIN_SIMILARITY and not both:
            continue
        scored.append((both, similarity, row))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    best = scored[:limit]
    postmortems = {
        pm.subject_id: pm.reference
        for pm in Postmortem.objects.filter(
            subject_type__app_label="incidents",
            subject_type__model="incident",
            subject_id__in=[row.pk for _both, _sim, row in best],
            state=PostmortemState.PUBLISHED,
        )
    }
    return [
        {
            "id": row.pk,
            "reference": row.reference,
            "title": row.title,
            "similarity": round(similarity, 3),
            "same_service": bool(incident.service_id) and row.service_id == incident.service_id,
            "same_category": bool(incident.category_id) and row.category_id == incident.category_id,
            "service": row.service.name if row.service is not None else None,
            "category": row.category.name if row.category is not None else None,
            "resolved_at": row.resolved_at,
            "resolution_code": row.resolution_code,
            "resolution_notes": row.resolution_notes,
            "postmortem": postmortems.get(row.pk),
        }
        for _both, similarity, row in best
    ]
