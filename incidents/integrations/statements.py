"""The ingestion hot path's statements (one_statement.py): prepared on the server, with their rows planned from
the models, so that a model's new field is written by the statements as by the ORM (`row_plan`).

Django's cursor binds parameters on the client and cannot prepare, and psycopg converts `%(name)s` placeholders
anew on every call for statements as long as these: `prepared` converts each statement once to PostgreSQL's
own `$n` placeholders and runs it on Django's connection (in its transaction, if any)."""

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from functools import cache, lru_cache, partial
from typing import Any

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models

from incidents.sql import param_type, quoted_column

_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")
_NEVER = 2**31


@lru_cache(maxsize=256)
def _native(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """The statement with `$n` placeholders, encoded (psycopg would encode it on every call), and the
    parameter name of each n. `%%` is a literal `%`, as in Django's SQL."""
    names: dict[str, int] = {}

    def number(match: re.Match) -> str:
        if match.group(1) is None:
            return "%"
        return f"${names.setdefault(match.group(1), len(names) + 1)}"

    return _PLACEHOLDER.sub(number, sql).encode(), tuple(names)


def prepared(sql: str, params: dict[str, Any]) -> list[tuple]:
    """Runs `sql` (with `%(name)s` placeholders) as a statement prepared on the server; its rows."""
    native, names = _native(sql)
    # As Django's own cursors do: a connection that went stale since the last request is replaced first, and
    # the driver's errors become Django's, so a lost connection is marked and closed like any other.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        # Django turns psycopg's automatic preparation off, which also turns off `prepare=True`. A threshold no
        # statement reaches keeps it off for every other statement.
        connection.connection.prepare_threshold = _NEVER
    with connection.wrap_database_errors, psycopg.RawCursor(connection.connection) as cursor:
        cursor.execute(native, [params[name] for name in names], prepare=True)
        return cursor.fetchall()


# Defaults that give the same value every time, so a plan computes them once.
_CONSTANT_DEFAULTS = (dict, list, timedelta)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a given value goes to the statement, when not as it is (psycopg adapts strings, numbers and
    datetimes): JSON as its text, a choice as its plain value. Not the field's own preparation, which costs
    more than the rest of the row."""
    if isinstance(field, models.JSONField):
        return partial(json.dumps, cls=field.encoder) if field.encoder else json.dumps
    if field.choices:
        return _plain
    return None


@lru_cache(maxsize=4096)
def _row_names(alias: str, attnames: tuple[str, ...], i: int) -> tuple[str, ...]:
    return tuple(f"{alias}{i}_{attname}" for attname in attnames)


@dataclass(frozen=True)
class RowPlan:
    """How to insert a model's rows: its table and columns, their value expressions, the fields the statement
    gives once (`given`: attname, parameter, adapter) and those each row of its VALUES list gives (`each`),
    and the parameters of every other field (their defaults, computed once)."""

    table: str
    columns: str
    values: str
    alias: str
    given: tuple[tuple[str, str, Callable[[Any], Any] | None], ...]
    each: tuple[models.Field, ...]
    each_adapters: tuple[Callable[[Any], Any] | None, ...]
    defaults: dict[str, Any]

    def insert(self, source: str | None = None) -> str:
        """`INSERT ... SELECT` one row per row of `source` (a CTE's name, or a FROM list: none, no row), or
        a single row without it."""
        from_ = f" FROM {source}" if source else ""
        return f"INSERT INTO {self.table} ({self.columns}) SELECT {self.values}{from_}"

    def params(self, values: Mapping[str, Any], into: dict[str, Any]) -> None:
        """Adds the statement's parameters to `into`: `values` by attname for the given fields, the defaults
        for the rest."""
        into.update(self.defaults)
        for attname, name, adapt in self.given:
            value = values[attname]
            into[name] = adapt(value) if adapt else value

    def rows(self, count: int) -> str:
        """The VALUES list of `count` rows of the `each` fields, for the FROM list of `insert`, typed: a
        prepared statement infers no types."""
        row = ", ".join(f"%({self.alias}{{i}}_{field.attname})s::{param_type(field)}" for field in self.each)
        values = ", ".join(f"({row.format(i=i)})" for i in range(count))
        names = ", ".join(field.attname for field in self.each)
        return f"(VALUES {values}) AS {self.alias}({names})"

    def rows_params(self, rows: Iterable[Mapping[str, Any]], into: dict[str, Any]) -> None:
        """Adds the parameters of `rows(len(rows))` to `into`: each row's values by attname."""
        attnames = tuple(field.attname for field in self.each)
        for i, values in enumerate(rows):
            names = _row_names(self.alias, attnames, i)
            for name, attname, adapt in zip(names, attnames, self.each_adapters, strict=True):
                value = values[attname]
                into[name] = adapt(value) if adapt else value


@cache
def row_plan(
    model: type[models.Model],
    prefix: str,
    sql: tuple[tuple[str, str], ...] = (),
    given: tuple[str, ...] = (),
    each: tuple[str, ...] = (),
) -> RowPlan:
    """The plan of `model`'s rows: every concrete column but the primary key, as a typed parameter named
    `<prefix>_<attname>`, except those `sql` gives as SQL expressions ((attname, expression) pairs; the
    primary key only if it is one of them) and those `each` row of a VALUES list gives (`<prefix>_rows`).
    The fields named in `given` take their value from each statement; every other takes its default, which
    must be the same every time (a model that gains a field with a changing default, or an auto_now one,
    fails here until the hot path gives it); a field whose default the database computes is left to it."""
    expressions = dict(sql)
    alias = f"{prefix}_rows"
    columns, values, fields, per_row, defaults = [], [], [], [], {}
    for field in model._meta.concrete_fields:
        if field.primary_key and field.attname not in expressions:
            continue
        if field.attname not in (*expressions, *given, *each) and field.db_default is not models.NOT_PROVIDED:
            continue
        columns.append(quoted_column(field))
        if field.attname in expressions:
            values.append(expressions[field.attname])
            continue
        if field.attname in each:
            values.append(f"{alias}.{field.attname}")
            per_row.append(field)
            continue
        name = f"{prefix}_{field.attname}"
        values.append(f"%({name})s::{param_type(field)}")
        if field.attname in given:
            fields.append((field.attname, name, _adapter(field)))
            continue
        changing = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        changing = changing or (
            field.has_default() and callable(field.default) and field.default not in _CONSTANT_DEFAULTS
        )
        if changing:
            raise ImproperlyConfigured(f"{model.__name__}.{field.attname} must be given to row_plan()")
        defaults[name] = field.get_db_prep_save(field.get_default(), connection)
    named = {*expressions, *given, *each}
    unknown = named - {field.attname for field in model._meta.concrete_fields}
    if unknown:
        raise ImproperlyConfigured(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    return RowPlan(
        table=connection.ops.quote_name(model._meta.db_table),
        columns=", ".join(columns),
        values=", ".join(values),
        alias=alias,
        given=tuple(fields),
        each=tuple(per_row),
        each_adapters=tuple(_adapter(field) for field in per_row),
        defaults=defaults,
    )
