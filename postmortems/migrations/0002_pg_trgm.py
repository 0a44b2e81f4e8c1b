"""Trigram similarity for similar past incidents (postmortems.knowledge): PostgreSQL's pg_trgm extension.

Nothing on other databases (SQLite compares character bigrams in Python). Reversing leaves the extension in
place: other apps' indexes (incident search) may use it."""

from django.db import migrations


def create_extension(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0001_metrics_and_postmortems")]

    operations = [migrations.RunPython(create_extension, migrations.RunPython.noop)]
