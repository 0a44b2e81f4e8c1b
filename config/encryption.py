"""Encryption at rest of the secrets Vigil must read back (issue #14): the HMAC secrets of integrations,
webhook subscriptions and contact methods. Keys that only have to be recognised (integration keys, on-call feed
tokens) are stored as digests instead; see docs/security.md.

A stored value is `"fernet:" + <Fernet token>` (AES-128-CBC with HMAC-SHA256, from the `cryptography` library).
The keys live outside the database, in the `VIGIL_FIELD_KEYS` setting: any secret strings, each turned into a
Fernet key with HKDF-SHA256. The first key encrypts, every key decrypts, so keys are rotated by putting a new
one first, restarting, running `manage.py rotate_field_keys`, and dropping the old one (docs/deployment.md).
Without `VIGIL_FIELD_KEYS`, the keys come from `SECRET_KEY` and then `SECRET_KEY_FALLBACKS`, so the embedded
set-up works with nothing configured; production warns about it (`manage.py check --deploy`).

An empty string stays empty: it means "no secret", and is not worth hiding."""

import base64
import functools
from collections.abc import Iterator
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.checks import CheckMessage
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router, transaction

PREFIX = "fernet:"
# Changing the label changes every derived key: a new label needs a new version and a re-encryption.
HKDF_INFO = b"vigil field encryption v1"
SETTING = "VIGIL_FIELD_KEYS"


def field_keys() -> tuple[str, ...]:
    """The secrets the keys are derived from, the encrypting one first."""
    keys = tuple(key for key in getattr(settings, SETTING, None) or () if key)
    if keys:
        return keys
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


def _derive(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    # Keyed on the secrets themselves, so a test that overrides the settings gets its own keys.
    return MultiFernet([_derive(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(field_keys())


def _undecryptable(what: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"{what} cannot be decrypted with any key of {SETTING} (or, when it is empty, SECRET_KEY and "
        "SECRET_KEY_FALLBACKS): the key it was encrypted with is missing from the settings."
    )


def field_encrypt(plaintext: str) -> str:
    """The stored form of a secret: "" stays "" (no secret)."""
    if plaintext == "":
        return ""
    return PREFIX + _current().encrypt(plaintext.encode()).decode("ascii")


def field_decrypt(stored: str, *, what: str = "A stored secret") -> str:
    """The secret of a stored value. A value that is not encrypted, or that no configured key opens, raises
    ImproperlyConfigured: either is a deployment error (a migration not run, a key dropped too early), and
    carrying on would verify signatures against the wrong secret."""
    if stored == "":
        return ""
    if not stored.startswith(PREFIX):
        raise ImproperlyConfigured(
            f"{what} is stored unencrypted: run `manage.py migrate`, whose migrations encrypt it."
        )
    try:
        return _current().decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise _undecryptable(what) from None


def field_reencrypt(stored: str, *, what: str = "A stored secret") -> str:
    """The same secret encrypted with the first key (for rotation)."""
    if stored == "":
        return ""
    return field_encrypt(field_decrypt(stored, what=what))


def encrypted_fields() -> Iterator[tuple[type[models.Model], models.Field]]:
    """Every encrypted field of every installed model."""
    from django.apps import apps

    from .fields import EncryptedTextField

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def field_keys_rotate(*, batch: int = 500) -> dict[str, int]:
    """Re-encrypts every encrypted value with the first key: afterwards the other keys can be dropped. Raw
    reads and writes of the columns, so no model's save(), signals or audit entry run (nothing changes but
    the ciphertext). Answers the number of values re-encrypted, per "app_label.Model.field"."""
    counts: dict[str, int] = {}
    for model, field in encrypted_fields():
        name = f"{model._meta.label}.{field.name}"
        counts[name] = 0
        manager = model._base_manager
        pks = manager.exclude(**{field.name: ""}).values_list("pk", flat=True).order_by("pk")
        for chunk in _chunks(pks.iterator(chunk_size=batch), batch):
            with transaction.atomic():
                counts[name] += _reencrypt_rows(model, field, chunk)
    return counts


def _chunks(values: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _reencrypt_rows(model: type[models.Model], field: models.Field, pks: list[Any]) -> int:
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    pk_column = str(model._meta.pk.column) if model._meta.pk else "id"
    table, column, pk = quote(model._meta.db_table), quote(str(field.column)), quote(pk_column)
    placeholders = ", ".join(["%s"] * len(pks))
    done = 0
    with connection.cursor() as cursor:
        # Locked (where the database can), so a secret replaced meanwhile is not overwritten with the old one.
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        cursor.execute(
            f"SELECT {pk}, {column} FROM {table} WHERE {pk} IN ({placeholders}){lock}",  # noqa: S608
            pks,
        )
        for row_pk, stored in cursor.fetchall():
            if not stored:
                continue
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                [field_reencrypt(stored, what=f"{model._meta.label}.{field.name} of row {row_pk}"), row_pk],
            )
            done += 1
    return done


def column_encrypt(connection: Any, *, table: str, column: str, pk: str = "id", forward: bool = True) -> int:
    """For data migrations: encrypts (forward) or decrypts (backward) every value of one column in place, with
    plain SQL (a historical model would run the field's own conversion). Values already in the wanted form are
    left alone, so running it twice is harmless. Answers the number of rows changed."""
    quote = connection.ops.quote_name
    table, column, pk = quote(table), quote(column), quote(pk)
    changed = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {table}")  # noqa: S608
        for row_pk, stored in cursor.fetchall():
            if not stored or stored.startswith(PREFIX) == forward:
                continue
            value = field_encrypt(stored) if forward else field_decrypt(stored, what=f"{table}.{column}")
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s", [value, row_pk])  # noqa: S608
            changed += 1
    return changed


def column_migration(table: str, column: str) -> tuple[Any, Any]:
    """The forward and backward functions of a RunPython that encrypts one column."""

    def forward(apps: Any, schema_editor: Any) -> None:
        column_encrypt(schema_editor.connection, table=table, column=column, forward=True)

    def backward(apps: Any, schema_editor: Any) -> None:
        column_encrypt(schema_editor.connection, table=table, column=column, forward=False)

    return forward, backward


def field_keys_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Deployment check: production has keys of its own, not ones derived from SECRET_KEY."""
    if any(getattr(settings, SETTING, None) or ()):
        return []
    return [
        CheckWarning(
            f"{SETTING} is not set: the secrets stored in the database are encrypted with a key derived from "
            "SECRET_KEY.",
            hint=f"Set {SETTING} to one or more long random strings (docs/deployment.md), so that the "
            "database key and SECRET_KEY can be rotated and kept apart.",
            id="vigil.W001",
        )
    ]
