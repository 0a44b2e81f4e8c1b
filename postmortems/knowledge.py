"""Knowledge from the past: resolved incidents like this one, and how they were resolved.

Candidates are resolved (or closed) incidents sharing the incident's service or category (all resolved
incidents when it has neither), the most recent `CANDIDATES`; they are ranked by sharing both, then by the
text similarity of their titles and descriptions. Text similarity works in every language Vigil ships,
with or without spaces between words: PostgreSQL's trigram similarity (pg_trgm), and on SQLite the same idea
on character bigrams (Dice coefficient). `text_similarity_annotate` is the one place that knows how; the
incident search of the agent's-day work (trigram indexes) can serve it later."""

import re
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat, Left

from incidents.models import Incident, IncidentState

from .models import Postmortem, PostmortemState

CANDIDATES = 2000
LIMIT = 5
MIN_SIMILARITY = 0.05
TEXT_CHARS = 500


def _text(incident: Incident) -> str:
    return f"{incident.title} {incident.description}"[:TEXT_CHARS]


def _bigrams(text: str) -> set[str]:
    """Character bigrams of the lowered text, words padded with a space (as pg_trgm pads trigrams), so that
    Korean, Japanese and Chinese, which have no spaces, compare as well as English."""
    grams: set[str] = set()
    for word in re.findall(r"\w+", text.lower()):
        padded = f" {word} "
        grams.update(padded[i : i + 2] for i in range(len(padded) - 1))
    return grams


def bigram_similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' character bigrams (0 to 1)."""
    first, second = _bigrams(a), _bigrams(b)
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


def text_similarity_annotate(queryset: QuerySet[Incident], text: str) -> QuerySet[Incident]:
    """`similarity` (0 to 1) of each incident's title and description to `text`, on PostgreSQL; elsewhere
    the queryset unchanged (the caller scores in Python with `bigram_similarity`)."""
    if connection.vendor != "postgresql":
        return queryset
    from django.contrib.postgres.search import TrigramSimilarity

    document = Left(
        Concat(F("title"), Value(" "), F("description"), output_field=TextField()),
        TEXT_CHARS,
    )
    return queryset.annotate(similarity=TrigramSimilarity(document, text))


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
    text = _text(incident)
    rows = list(text_similarity_annotate(candidates, text).select_related("service", "category")[:CANDIDATES])
    scored = []
    for row in rows:
        similarity = getattr(row, "similarity", None)
        if similarity is None:
            similarity = bigram_similarity(text, _text(row))
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
            "service": row.service.name if row.service else None,
            "category": row.category.name if row.category else None,
            "resolved_at": row.resolved_at,
            "resolution_code": row.resolution_code,
            "resolution_notes": row.resolution_notes,
            "postmortem": postmortems.get(row.pk),
        }
        for _both, similarity, row in best
    ]
