"""The ingestion hot paths' statements: prepared on the server, with their rows planned from the models.

Django's cursor binds parameters on the client and cannot prepare, and psycopg converts `%(name)s` placeholders
anew on every call for statements as long as these: `prepared` converts each statement once to PostgreSQL's
own `$n` placeholders and runs it on Django's connection (in its transaction, if any)."""

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from functools import cache, lru_cache
from typing import Any

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_NEVER = 2**31


@lru_cache(maxsize=256)
def _native(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """The statement with `$n` placeholders, encoded (psycopg would encode it on every call), and the
    parameter name of each n."""
    names: dict[str, int] = {}

    def number(match: re.Match) -> str:
        return f"${names.setdefault(match.group(1), len(names) + 1)}"

    return _PLACEHOLDER.sub(number, sql).encode(), tuple(names)


def prepared(sql: str, params: dict[str, Any]) -> list[tuple]:
    """Runs `sql` (with `%(name)s` placeholders) as a statement prepared on the server; its rows."""
    native, names = _native(sql)
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        # Django turns psycopg's automatic preparation off, which also turns off `prepare=True`. A threshold no
        # statement reaches keeps it off for every other statement.
        connection.connection.prepare_threshold = _NEVER
    with psycopg.RawCursor(connection.connection) as cursor:
        cursor.execute(native, [params[name] for name in names], prepare=True)
        return cursor.fetchall()


# Defaults that give the same value every time, so a plan computes them once.
_CONSTANT_DEFAULTS = (dict, list, timedelta)


@dataclass(frozen=True)
class RowPlan:
    """How to insert a model's row: its columns, their value expressions, the fields each row gives, and the
    parameters of every other field (their defaults, computed once)."""

    columns: str
    values: str
    given: tuple[tuple[models.Field, str], ...]
    defaults: dict[str, Any]

    def params(self, **values: Any) -> dict[str, Any]:
        """The parameters of one row: `values` by attname for the given fields, the defaults for the rest.

        Given values go as they are (psycopg adapts strings, numbers and datetimes; choices are plain
        strings), JSON as its text: the field's own preparation costs more than the rest of the row."""
        params = dict(self.defaults)
        for field, name in self.given:
            value = values[field.attname]
            if isinstance(field, models.JSONField):
                value = json.dumps(value, cls=field.encoder)
            elif isinstance(value, Enum):
                value = value.value
            params[name] = value
        return params


def _cast(field: models.Field) -> str:
    """The column's type without its length (`varchar(200)` -> `varchar`), for a typed parameter: a prepared
    statement infers no types. A value too long still fails, on assignment to the column."""
    return re.sub(r"\(.*\)", "", field.db_type(connection) or "text")


@cache
def row_plan(
    model: type[models.Model], prefix: str, sql: tuple[tuple[str, str], ...] = (), given: tuple[str, ...] = ()
) -> RowPlan:
    """The plan of `model`'s rows: every concrete column but the primary key, as a typed parameter named
    `<prefix>_<attname>`, except those `sql` gives as SQL expressions ((attname, expression) pairs; the
    primary key only if it is one of them). The fields named in `given` take their value from each row;
    every other takes its default, which must be the same every time (a model that gains a field with a
    changing default, or an auto_now one, fails here until the hot path gives it)."""
    expressions = dict(sql)
    columns, values, fields, defaults = [], [], [], {}
    for field in model._meta.concrete_fields:
        if field.primary_key and field.attname not in expressions:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            values.append(expressions[field.attname])
            continue
        name = f"{prefix}_{field.attname}"
        values.append(f"%({name})s::{_cast(field)}")
        if field.attname in given:
            fields.append((field, name))
            continue
        changing = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        changing = changing or (
            field.has_default() and callable(field.default) and field.default not in _CONSTANT_DEFAULTS
        )
        if changing:
            raise ImproperlyConfigured(f"{model.__name__}.{field.attname} must be given to row_plan()")
        defaults[name] = field.get_db_prep_save(field.get_default(), connection)
    return RowPlan(
        columns=", ".join(columns), values=", ".join(values), given=tuple(fields), defaults=defaults
    )
