"""Reads of the ingestion path."""

from django.db import connection

from ..models import Integration
from ..models.integration import key_digest

_FIELDS = Integration._meta.concrete_fields
_SQL = (
    f"SELECT {', '.join(connection.ops.quote_name(f.column) for f in _FIELDS)} "  # noqa: S608
    f"FROM {connection.ops.quote_name(Integration._meta.db_table)} WHERE key_hash = %s"
)


def integration_by_key(key: str) -> Integration | None:
    """The integration of a key (any state), by the digest's unique index.

    A plain cursor and `Model.from_db`: this runs on every ingestion request, and both the ORM's query
    compilation and a RawQuerySet's column mapping cost more than the query itself."""
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [key_digest(key)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(_FIELDS, row, strict=True)
    ]
    return Integration.from_db(connection.alias, [f.attname for f in _FIELDS], values)
