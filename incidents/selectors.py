"""Reads that the API, the admin and the reports share."""

import re
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Expression, PositiveSmallIntegerField, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Incident, PriorityMatrixCell, TimelineEvent, default_priority
from .sql import value_of

REFERENCE = re.compile(r"^\s*INC-?0*(\d{1,18})\s*$", re.IGNORECASE)


def priority_expression(impact: Any, urgency: Any, default: Any) -> Expression:
    """The priority the editable matrix gives an impact and urgency; `default` (`default_priority` of them)
    when a manager removed that cell. Values or expressions: `priority_for` evaluates it, ingestion's opening
    statement writes it as SQL (incidents/sql.py)."""
    # One cell at most (a unique constraint): no order needed.
    cell = PriorityMatrixCell.objects.filter(impact=impact, urgency=urgency).order_by().values("priority")[:1]
    return Coalesce(Subquery(cell), default, output_field=PositiveSmallIntegerField())


def priority_for(*, impact: int, urgency: int) -> int:
    """The priority the editable matrix gives; the ITIL default when a manager removed that cell."""
    return value_of(priority_expression(impact, urgency, Value(default_priority(impact, urgency))))


def user_sees_all_incidents(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.has_perm("incidents.view_incident"))


def incident_list(*, user: User | AnonymousUser) -> QuerySet[Incident]:
    """The incidents a user may see: all of them for agents and managers, their own for reporters."""
    qs = Incident.objects.select_related("service", "category", "team", "assignee", "reporter")
    if not user.is_authenticated:
        return qs.none()
    if user_sees_all_incidents(user):
        return qs
    return qs.filter(reporter=user)


def incident_search(qs: QuerySet[Incident], term: str) -> QuerySet[Incident]:
    """Search by reference (`INC-000123`), or the words of title, description and alert labels.

    On PostgreSQL it is full-text search (`websearch_to_tsquery`, so quotes and `-word` work); elsewhere every
    word must appear in the title, the description or an alert's labels."""
    term = term.strip()
    if not term:
        return qs
    reference = REFERENCE.match(term)
    if reference:
        return qs.filter(pk=int(reference.group(1)))
    # Alert labels (`name=value` words) too: an incident is found by the labels of the alerts it holds. The
    # join yields one row per alert, hence distinct(); alias() keeps the vector out of the SELECT DISTINCT.
    text_fields = ["title", "description", "alerts__labels_text"]
    if connection.vendor == "postgresql":
        vector = SearchVector(*text_fields, config="simple")
        return (
            qs.alias(search=vector)
            .filter(search=SearchQuery(term, config="simple", search_type="websearch"))
            .distinct()
        )
    condition = Q()
    for word in term.split():
        any_field = Q()
        for field in text_fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return qs.filter(condition).distinct()


def incident_timeline(*, incident: Incident, user: User | AnonymousUser) -> QuerySet[TimelineEvent]:
    """The incident's history; a reporter who cannot see all incidents sees only the public part of it: not
    the work notes, nor the engine's lines (who was paged, how, the stakeholders' addresses)."""
    qs = TimelineEvent.objects.filter(incident=incident).select_related("actor")
    if not user_sees_all_incidents(user):
        internal = [
            TimelineEvent.Kind.COMMENT,
            TimelineEvent.Kind.ESCALATION,
            TimelineEvent.Kind.NOTIFICATION,
        ]
        qs = qs.filter(Q(is_public=True) | ~Q(kind__in=internal))
    return qs
