"""SQL generated from the ORM's own definitions, for the few places that must say a rule in SQL text.

A rule (which alert group is open, when a storm starts, which priority the matrix gives) is written once, as a
query set or an expression. Code that runs through the ORM evaluates it with values; ingestion's prepared
statements (`incidents.integrations.one_statement`) compile the same definition with `Param` placeholders
instead of values, so that the SQL they run cannot drift from what the ORM runs."""

import re
from typing import Any

from django.db import connection, models
from django.db.models import Expression, QuerySet
from django.db.models.expressions import BaseExpression
from django.db.models.fields.reverse_related import ForeignObjectRel
from django.db.models.sql import Query

_POSITIONAL = re.compile(r"%%|%s")


def param_type(field: models.Field) -> str:
    """The column's type without its length (`varchar(200)` -> `varchar`), for a typed parameter: a prepared
    statement infers no types. A cast to `varchar(n)` would truncate a value too long; without the length, the
    value still fails on assignment to the column, as the ORM's INSERT would."""
    return re.sub(r"\(.*\)", "", field.db_type(connection) or "text")


class Param(Expression):
    """A named placeholder, `%(name)s`, where a definition takes a value: typed on PostgreSQL (the prepared
    statements infer no types), plain elsewhere."""

    def __init__(self, name: str, output_field: models.Field) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        return f"%({self.name})s", ()

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        return f"%({self.name})s::{param_type(self.output_field)}", ()


def _named_only(sql: str, params: Any) -> str:
    """The SQL with the compiler's own positional parameters written in: they can only be the constants a
    definition holds (a limit, EXISTS's `SELECT 1`), and the statement's parameters are all named."""
    values = iter(params)

    def literal(match: re.Match) -> str:
        if match.group() == "%%":
            return "%%"
        value = next(values)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"only whole numbers may be written into generated SQL, not {value!r}")
        return str(int(value))

    sql = _POSITIONAL.sub(literal, sql)
    if next(values, None) is not None:  # pragma: no cover - a compiler bug
        raise ValueError("more parameters than placeholders")
    return sql


def concrete_field(model: type[models.Model], name: str) -> "models.Field[Any, Any]":
    """A model's field that has a column (by name or attname), not the reverse side of a relation."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is the reverse side of a relation")
    return field


def quoted_column(field: "models.Field[Any, Any] | ForeignObjectRel") -> str:
    """A concrete field's column, quoted for the database (a relation's reverse side has none)."""
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"{field} is not a concrete field with a column")
    return connection.ops.quote_name(field.column)


def sql_of(expression: BaseExpression) -> str:
    """The SQL of an expression (`Exists(...)`, `Subquery(...)`, ...), with `Param` placeholders for its values."""
    query = Query(None)
    sql, params = query.get_compiler(connection=connection).compile(expression.resolve_expression(query))
    return _named_only(sql, params)


def select_of(queryset: QuerySet) -> str:
    """The SELECT statement of a query set, with `Param` placeholders for its values. A query set that locks
    (`select_for_update`) must be compiled inside a transaction, as it must run in one."""
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    return _named_only(sql, params)


def where_of(queryset: QuerySet) -> str:
    """The WHERE condition of a query set, its columns qualified by their table's own name: for a statement
    that names the table without an alias (an UPDATE, an INSERT's conflict target)."""
    query = queryset.query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(query.where)
    return _named_only(sql, params)


def value_of(expression: Expression) -> Any:
    """The value of an expression, computed by the database: one query."""
    query = Query(None)
    sql, params = query.get_compiler(connection=connection).compile(expression.resolve_expression(query))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return cursor.fetchone()[0]
