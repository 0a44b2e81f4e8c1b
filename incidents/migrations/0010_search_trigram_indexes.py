"""Incident search in every language (incidents.selectors.incident_search): pg_trgm and its GIN indexes on
what the search reads (title, description, alert labels, comments), on PostgreSQL only.

The indexes are not in the models' Meta: a GIN index with an operator class cannot be created on SQLite, where
the search scans (docs/search.md). Reversing drops the indexes and leaves the extension in place: the
post-mortems' similarity (postmortems/migrations/0002_pg_trgm.py) uses it too."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    # (name, table, column, condition)
    ("incident_title_trgm", "incidents_incident", "title", ""),
    ("incident_description_trgm", "incidents_incident", "description", ""),
    ("alert_labels_text_trgm", "incidents_alert", "labels_text", ""),
    ("timeline_comment_note_trgm", "incidents_timelineevent", "note", "WHERE kind = 'comment'"),
]


class TrigramExtensionKept(TrigramExtension):
    """CREATE EXTENSION pg_trgm on PostgreSQL (nothing elsewhere); reversing keeps it (see above)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column, condition in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops) {condition}"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, *_ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0009_problems_changes")]

    operations = [
        TrigramExtensionKept(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
