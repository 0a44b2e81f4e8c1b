"""The ingestion hot paths' statements: prepared on the server, with their rows built from model instances.

Django's cursor binds parameters on the client and cannot prepare, and psycopg converts `%(name)s` placeholders
anew on every call for statements as long as these: `prepared` converts each statement once to PostgreSQL's
own `$n` placeholders and runs it on Django's connection (in its transaction, if any)."""

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import psycopg
from django.db import connection, models

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@lru_cache(maxsize=256)
def _native(sql: str) -> tuple[str, tuple[str, ...]]:
    """The statement with `$n` placeholders, and the parameter name of each n."""
    names: dict[str, int] = {}

    def number(match: re.Match) -> str:
        return f"${names.setdefault(match.group(1), len(names) + 1)}"

    return _PLACEHOLDER.sub(number, sql), tuple(names)


def prepared(sql: str, params: dict[str, Any]) -> list[tuple]:
    """Runs `sql` (with `%(name)s` placeholders) as a statement prepared on the server; its rows."""
    native, names = _native(sql)
    connection.ensure_connection()
    with psycopg.RawCursor(connection.connection) as cursor:
        cursor.execute(native, [params[name] for name in names], prepare=True)
        return cursor.fetchall()


@dataclass(frozen=True)
class RowPlan:
    """How to insert a model's row: its columns, their value expressions, and the fields given as parameters."""

    columns: str
    values: str
    fields: tuple[tuple[models.Field, str], ...]

    def params(self, obj: models.Model) -> dict[str, Any]:
        """The parameters of `obj`'s row, as the ORM's INSERT would send them (defaults, auto_now)."""
        return {
            name: field.get_db_prep_save(field.pre_save(obj, True), connection) for field, name in self.fields
        }


def _cast(field: models.Field) -> str:
    """The column's type without its length (`varchar(200)` -> `varchar`), for a typed parameter: a prepared
    statement infers no types. A value too long still fails, on assignment to the column."""
    return re.sub(r"\(.*\)", "", field.db_type(connection) or "text")


@cache
def row_plan(model: type[models.Model], prefix: str, sql: tuple[tuple[str, str], ...] = ()) -> RowPlan:
    """The plan of `model`'s rows: every concrete column but the primary key, as a typed parameter named
    `<prefix>_<attname>`, except those `sql` gives as SQL expressions ((attname, expression) pairs; the
    primary key only if it is one of them)."""
    expressions = dict(sql)
    columns, values, fields = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.attname not in expressions:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            values.append(expressions[field.attname])
            continue
        name = f"{prefix}_{field.attname}"
        fields.append((field, name))
        values.append(f"%({name})s::{_cast(field)}")
    return RowPlan(columns=", ".join(columns), values=", ".join(values), fields=tuple(fields))
