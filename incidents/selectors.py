"""Reads that the API, the admin and the reports share."""

import re
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Case,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    PositiveSmallIntegerField,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Left

from .models import Alert, Incident, PriorityMatrixCell, TimelineEvent, default_priority
from .search import TRIGRAM, TextSimilarity, id_in, search_words, text_contains
from .sql import value_of

# A reference as people quote it, in full or not: `INC-000123`, `inc-123`, `INC123`, `000123`, `123`.
REFERENCE = re.compile(r"^\s*(?:INC-?)?0*(\d{1,18})\s*$", re.IGNORECASE)


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


# What one search reads at most (the admin's box has no length limit of its own; the API's filter stops at 200).
MAX_TERM = 200
MAX_WORDS = 8


def incident_search(
    queryset: QuerySet[Incident],
    term: str,
    *,
    user: User | AnonymousUser | None = None,
    similar: bool = False,
) -> QuerySet[Incident]:
    """THE incident search: the API's `?search=`, the admin's search box, the post-mortems' similar past
    incidents and the known-error look-up all call it (keep this name and signature; docs/search.md).

    Finds the incidents among `queryset` that contain every word of `term` (split on spaces; a "quoted
    phrase" is one word) as a part of their title, description, alert labels (`name=value`) or comments,
    ignoring case, in any script: a word is matched as a substring, so text without spaces (Japanese,
    Chinese), words with particles (Korean) and a part of a CamelCase alert name are found. A term that is
    a reference (`INC-000123`, `inc-123`, `123`) also finds that incident. Comments count only when `user` may
    see every incident or the comment is public (None: a trusted caller, every comment counts).

    Annotates `search_rank` and orders by it, then by recency (`-reported_at`, `-id`): the reference itself
    first, then matches in the title, then in the description, then in labels or comments, summed over the
    words.

    `similar=True` is the look-up for a whole text (another incident's title and description): no word has
    to be found; `search_rank` is the text similarity (0 to 1) of each incident's title and description to
    `term` (pg_trgm's `similarity`, SQLite: character bigrams), and the order is the same. Filter on
    `search_rank` for a threshold.

    A search reads at most `MAX_WORDS` words of the first `MAX_TERM` characters (a similar look-up the first
    500 characters of both texts). How each word is matched on each database, and the indexes:
    `incidents.search`."""
    term = term.strip()
    if not term:
        return queryset
    if similar:
        document = Left(Concat(F("title"), Value(" "), F("description"), output_field=TextField()), 500)
        return queryset.annotate(search_rank=TextSimilarity(document, term[:500])).order_by(
            "-search_rank", "-reported_at", "-id"
        )
    term = term[:MAX_TERM]
    comments = TimelineEvent.objects.filter(kind=TimelineEvent.Kind.COMMENT)
    if user is not None and not user_sees_all_incidents(user):
        comments = comments.filter(is_public=True)
    words = search_words(term)[:MAX_WORDS]
    reference = REFERENCE.match(term)
    reference_id = int(reference.group(1)) if reference else None
    # The words that choose the rows through the indexes; the others are checked on the rows chosen. A word of
    # three characters or more has trigrams, whose index proposes rows that PostgreSQL checks again with the
    # whole condition: a two-character word's bigram test is too dear for that check, so beside a longer word
    # it is checked on the rows instead (still exact, see `text_contains`).
    longest = max((len(word) for word in words), default=0)
    rank: Expression = Value(0)
    condition = Q()
    for word in words:
        indexed = len(word) >= min(longest, TRIGRAM)
        in_title = text_contains("title", word, indexed=indexed)
        in_description = text_contains("description", word, indexed=indexed)
        own = in_title | in_description
        if reference_id is not None:  # the term is one word then: the reference is one more place to be
            own |= Q(pk=reference_id)
        # The incident's own text is tested on the incident's row, and the incidents whose alerts or comments
        # hold the word come as one id list. For an indexed word, each test is served by its own index
        # (migrations 0010, 0013) and PostgreSQL ORs the bitmaps, so the matching rows are read once, in the
        # table's order, and ranked as they are read (an id list of every match, fetched by primary key, cost
        # a B-tree descent per match: 4x slower for a word in one incident in twelve). For the other words,
        # the id list is a hashed look-up per row.
        elsewhere = (
            Alert.objects.filter(text_contains("labels_text", word), incident__isnull=False)
            .order_by()
            .values("incident_id")
            # UNION ALL: an id twice costs nothing where the list is read, de-duplicating it costs a hash.
            .union(comments.filter(text_contains("note", word)).order_by().values("incident_id"), all=True)
        )
        condition &= own | (id_in(elsewhere) if indexed else Q(pk__in=elsewhere))
        # Ranking reads the rows already chosen: the cheapest test per row, not the indexed one.
        rank = rank + Case(
            When(text_contains("title", word, indexed=False), then=Value(3)),
            When(text_contains("description", word, indexed=False), then=Value(2)),
            default=Value(1),
        )
    if reference_id is not None:
        rank = rank + Case(When(pk=reference_id, then=Value(100)), default=Value(0))
    return (
        queryset.filter(condition)
        .annotate(search_rank=ExpressionWrapper(rank, output_field=IntegerField()))
        .order_by("-search_rank", "-reported_at", "-id")
    )


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
