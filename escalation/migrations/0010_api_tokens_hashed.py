"""API tokens are kept as digests (config/authentication.py): the tokens stored in clear before are replaced by
their digest, so they keep working and a copy of the database no longer holds them.

Reversing cannot bring the clear tokens back: it deletes the tokens (each person makes a new one), since the
earlier code would take a digest for a token."""

import hashlib

from django.db import migrations


def _digest(key):
    # Frozen here: the migration must give what config.authentication.api_token_digest gave when it was written.
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def hash_tokens(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    for key in list(Token.objects.values_list("key", flat=True)):
        Token.objects.filter(key=key).update(key=_digest(key))


def delete_tokens(apps, schema_editor):
    apps.get_model("authtoken", "Token").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0009_secrets_encrypted"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(hash_tokens, delete_tokens)]
