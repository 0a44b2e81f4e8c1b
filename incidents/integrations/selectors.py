"""Reads of the ingestion path."""

import time

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ..models import Integration
from ..models.integration import key_digest
from ..sql import quoted_column

_FIELDS = Integration._meta.concrete_fields
_SQL = (
    f"SELECT {', '.join(quoted_column(f) for f in _FIELDS)} "  # noqa: S608
    f"FROM {connection.ops.quote_name(Integration._meta.db_table)} WHERE key_hash = %s"
)
# Key digest -> (integration, when it was read). Known keys only, so guessed keys cannot fill it.
_cache: dict[str, tuple[Integration, float]] = {}
_CACHE_MAX = 10_000


def integration_by_key(key: str) -> Integration | None:
    """The integration of a key (any state), by the digest's unique index, as this process read it at most
    VIGIL_INTEGRATION_CACHE_SECONDS ago: every ingestion request asks, and the read costs a round trip for a
    row that almost never changes. A change made in this process (a save, a rotated key) is seen at once;
    other processes see it within those seconds.

    A plain cursor and `Model.from_db`: both the ORM's query compilation and a RawQuerySet's column mapping
    cost more than the query itself. Each field's own `from_db_value` still runs, which is what decrypts the
    HMAC secret (config.fields.EncryptedTextField)."""
    digest = key_digest(key)
    ttl = settings.VIGIL_INTEGRATION_CACHE_SECONDS
    cached = _cache.get(digest)
    now = time.monotonic()
    if cached is not None and now - cached[1] < ttl:
        return cached[0]
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [digest])
        row = cursor.fetchone()
    if row is None:
        _cache.pop(digest, None)
        return None
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(_FIELDS, row, strict=True)
    ]
    integration = Integration.from_db(connection.alias, [f.attname for f in _FIELDS], values)
    if ttl > 0:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[digest] = (integration, now)
    return integration


def integration_cache_clear() -> None:
    _cache.clear()


@receiver(post_save, sender=Integration, dispatch_uid="incidents.integration_cache_saved")
@receiver(post_delete, sender=Integration, dispatch_uid="incidents.integration_cache_deleted")
def _forget(sender: type[Integration], instance: Integration, **kwargs: object) -> None:
    """A saved or deleted integration: this process forgets every key it read (the old digest of a rotated
    key among them, which the row no longer carries)."""
    _cache.clear()
