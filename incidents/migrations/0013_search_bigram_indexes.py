"""Incident search of one- and two-character words on PostgreSQL (incidents.search): pg_trgm has no trigram
for a two-character word (`東京`, `서버`, `當機`), so this indexes the texts' bigrams: `vigil_bigrams(text)` is
the array of the lowered text's two-character substrings without white space, and a GIN index on it per
searched column answers `vigil_bigrams(col) @> ARRAY[lower(word)]`, which is exactly "contains the word"
for a two-character word.

PostgreSQL only, like the trigram indexes (0010). Reversing drops the indexes and the function."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION vigil_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}'::text[])
    FROM (SELECT lower(t) AS l) AS s,
         LATERAL (SELECT substr(s.l, i, 2) AS g FROM generate_series(1, length(s.l) - 1) AS i) AS grams
    WHERE g !~ '\s'
$$
"""

INDEXES = [
    # (name, table, column, condition)
    ("incident_title_bigrams", "incidents_incident", "title", ""),
    ("incident_description_bigrams", "incidents_incident", "description", ""),
    ("alert_labels_text_bigrams", "incidents_alert", "labels_text", ""),
    ("timeline_comment_note_bigrams", "incidents_timelineevent", "note", "WHERE kind = 'comment'"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for name, table, column, condition in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (vigil_bigrams({column})) {condition}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, *_ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS vigil_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0012_category_scope_and_definition")]

    operations = [migrations.RunPython(create, drop)]
