"""`vigil_bigrams(text)` (migration 0013) in linear time: it took `substr(text, i, 2)` for every position, and
PostgreSQL finds the i-th character of UTF-8 text by walking from its start, so a 90 000-character
description took minutes to index (its INSERT held the request that long). The same bigrams now come from
the text's characters paired with the next one (`lead`), one pass. The result is the same array for every
text (tests/incidents/test_search.py compares both definitions), so the indexes built with the old one stay
valid and are not rebuilt.

PostgreSQL only, like 0013. Reversing puts the first definition back."""

from django.db import migrations

LINEAR = r"""
CREATE OR REPLACE FUNCTION vigil_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}'::text[])
    FROM (
        SELECT c || lead(c) OVER (ORDER BY n) AS g
        FROM unnest(string_to_array(lower(t), NULL)) WITH ORDINALITY AS chars(c, n)
    ) AS pairs
    WHERE g !~ '\s'
$$
"""

# Migration 0013's definition, as it was.
QUADRATIC = r"""
CREATE OR REPLACE FUNCTION vigil_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}'::text[])
    FROM (SELECT lower(t) AS l) AS s,
         LATERAL (SELECT substr(s.l, i, 2) AS g FROM generate_series(1, length(s.l) - 1) AS i) AS grams
    WHERE g !~ '\s'
$$
"""


def linear(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LINEAR)


def quadratic(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(QUADRATIC)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0014_secrets_encrypted")]

    operations = [migrations.RunPython(linear, quadratic)]
