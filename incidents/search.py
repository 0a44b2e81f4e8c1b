"""The text matching behind incident search (`incidents.selectors.incident_search`), in every language.

Two questions, asked the same way on PostgreSQL and SQLite:
- does a text contain a word, ignoring case? (`text_contains`): on PostgreSQL `ILIKE '%word%'`, which the
  pg_trgm GIN indexes of migration 0010 serve for words of three characters or more; a two-character word
  has no trigram, so it is looked up among the text's bigrams (`vigil_bigrams`, GIN indexes of migration
  0013); a one-character word is matched with `strpos` over the rows (a scan: see docs/search.md);
  on SQLite `vigil_contains`, a Python function registered on each connection that compares the
  case-folded texts (SQLite's LIKE folds ASCII only: `É` would not find `é`);
- how alike are two texts, from 0 to 1? (`TextSimilarity`): pg_trgm's `similarity()` on PostgreSQL; on SQLite
  the same idea on character bigrams (`bigram_similarity`, a function registered on every SQLite connection),
  so that Korean, Japanese and Chinese, which have no spaces, compare as well as English.

A "part of a word" is what people type: `결제` finds `결제가`, `サーバー` finds `サーバーが応答しません`, `Checkout`
finds the alert `alertname=CheckoutLatencyHigh`."""

import re
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, F, FloatField, Func, Q, QuerySet, Value
from django.db.models.functions import Lower, StrIndex
from django.db.models.lookups import GreaterThan, Lookup
from django.db.models.sql.compiler import SQLCompiler

# pg_trgm's trigrams: a word shorter than this has none; a two-character word is found by its bigram instead.
TRIGRAM = 3
BIGRAM = 2

_WORD_OR_PHRASE = re.compile(r'"([^"]+)"|(\S+)')


def search_words(term: str) -> list[str]:
    """The words of a search, each to be found somewhere: split on spaces, a "quoted phrase" kept whole."""
    words = []
    for phrase, word in _WORD_OR_PHRASE.findall(term):
        text = (phrase or word).strip()
        if text:
            words.append(text)
    return words


def like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ILikeContains(Lookup):
    """`lhs ILIKE '%word%'` (PostgreSQL): the form a pg_trgm GIN index on `lhs` answers."""

    lookup_name = "vigil_ilike_contains"
    prepare_rhs = False
    operator = "ILIKE"

    def get_db_prep_lookup(self, value: Any, connection: BaseDatabaseWrapper) -> tuple[str, tuple[str]]:
        return "%s", (f"%{like_escape(str(value))}%",)

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} {self.operator} {rhs}", (*lhs_params, *rhs_params)


class LikeContains(ILikeContains):
    """`lhs LIKE '%word%'`: the same index answers it (pg_trgm's trigrams are lowered either way), and for a
    word without case (Korean, Japanese, Chinese, Persian, digits) it means the same as ILIKE while the check
    of each row the index proposes costs a fraction: ILIKE lowers every text it reads."""

    lookup_name = "vigil_like_contains"
    operator = "LIKE"


class FoldedContains(Func):
    """`text` contains `word` ignoring case in every script (SQLite: `vigil_contains`, registered on each
    connection; SQLite's own LIKE folds ASCII only)."""

    function = "vigil_contains"
    output_field = BooleanField()

    def __init__(self, expression: Expression | F | str, word: str) -> None:
        super().__init__(expression, Value(word))


def folded_contains(text: str | None, word: str | None) -> bool:
    if text is None or word is None:
        return False
    return word.casefold() in text.casefold()


class BigramsContain(Lookup):
    """`vigil_bigrams(lhs) @> ARRAY[lower(word)]` (PostgreSQL): the form the bigram GIN indexes of migration
    0013 answer, exact for a two-character word."""

    lookup_name = "vigil_bigrams_contain"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: BaseDatabaseWrapper) -> tuple[str, tuple[str]]:
        return "%s", (str(value),)

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"vigil_bigrams({lhs}) @> ARRAY[lower({rhs})]", (*lhs_params, *rhs_params)


class EqualsAny(Lookup):
    """`lhs = ANY(ARRAY(subquery))` (PostgreSQL): the subquery runs once and its ids are then fetched by the
    primary key, where `lhs IN (subquery)` lets the planner join it against a scan of the whole table."""

    lookup_name = "vigil_equals_any"

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def id_in(ids: QuerySet) -> Q:
    """`pk` is one of the single-column queryset `ids` (see `EqualsAny`); `pk__in` off PostgreSQL."""
    if connection.vendor != "postgresql":
        return Q(pk__in=ids)
    from django.contrib.postgres.expressions import ArraySubquery

    return Q(EqualsAny(F("pk"), ArraySubquery(ids)))


def text_contains(field: str, word: str, *, indexed: bool = True) -> Q:
    """`field` contains `word`, ignoring case, on the current database (see the module's docstring).

    `indexed`: the form an index answers, for choosing rows; False: the form cheapest to evaluate on a row
    already chosen (ranking), which differs for a two-character word on PostgreSQL."""
    if connection.vendor == "sqlite":
        return Q(FoldedContains(F(field), word))
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__icontains": word})
    if indexed and len(word) == BIGRAM and len(word.lower()) == BIGRAM and not word.isspace():
        return Q(BigramsContain(F(field), word))
    if len(word) < TRIGRAM:
        # A scan: cheaper without lowering every row when the word has no case (Korean, Japanese, Chinese,
        # Persian, digits), where lowering changes nothing.
        if word.lower() == word.upper():
            return Q(GreaterThan(StrIndex(F(field), Value(word)), 0))
        return Q(GreaterThan(StrIndex(Lower(F(field)), Lower(Value(word))), 0))
    if word.lower() == word.upper():
        return Q(LikeContains(F(field), word))
    return Q(ILikeContains(F(field), word))


def _bigrams(text: str) -> set[str]:
    """Character bigrams of the lowered text, words padded with a space (as pg_trgm pads trigrams)."""
    grams: set[str] = set()
    for word in re.findall(r"\w+", text.lower()):
        padded = f" {word} "
        grams.update(padded[i : i + 2] for i in range(len(padded) - 1))
    return grams


def bigram_similarity(a: str | None, b: str | None) -> float:
    """Dice coefficient of the two texts' character bigrams (0 to 1)."""
    first, second = _bigrams(a or ""), _bigrams(b or "")
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


class TextSimilarity(Func):
    """How alike two texts are, from 0 to 1: pg_trgm's `similarity()` on PostgreSQL, `bigram_similarity` on
    SQLite (registered on each connection by `sqlite_functions_register`)."""

    function = "similarity"
    output_field = FloatField()

    def __init__(self, expression: Expression | str, text: str) -> None:
        super().__init__(expression, Value(text))

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="vigil_similarity", **extra)


def sqlite_functions_register(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver (IncidentsConfig.ready): SQLite learns `vigil_similarity` and
    `vigil_contains`."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("vigil_similarity", 2, bigram_similarity, deterministic=True)
        connection.connection.create_function("vigil_contains", 2, folded_contains, deterministic=True)
