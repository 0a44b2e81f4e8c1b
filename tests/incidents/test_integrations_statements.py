"""The hot path's statements plan their rows from the models (incidents/integrations/statements.py), so that a
field a model gains is written by the statements as by the ORM: with its default, or loudly refused when its
default changes from row to row. Before, a new field with a default broke every repeated alert on PostgreSQL
(the hand-written INSERT left its NOT NULL column empty) while the suite stayed green on SQLite."""

import re
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.test.utils import isolate_apps

from escalation.models import Timer
from incidents.integrations import one_statement
from incidents.integrations.statements import row_plan
from incidents.models import Alert, AlertGroup, AlertPayload, Incident, TimelineEvent

pytestmark = pytest.mark.django_db

WRITTEN = [AlertGroup, Incident, TimelineEvent, Timer, AlertPayload, Alert]


def _inserted_columns(sql: str, model: type[models.Model]) -> set[str]:
    table = re.escape(connection.ops.quote_name(model._meta.db_table))
    found = re.search(rf"INSERT INTO {table} \(([^)]*)\)", sql)
    assert found, f"the statement writes no {model.__name__}"
    return {column.strip().strip('"') for column in found.group(1).split(",")}


@pytest.mark.parametrize("model", WRITTEN, ids=lambda model: model.__name__)
def test_the_statement_writes_every_column_of_each_model(model: type[models.Model]) -> None:
    """Every concrete column of every model the statement inserts (its primary key too when the statement gives
    it): one new field, and this fails unless the statement writes it."""
    sql = one_statement._statement(3, repeat=True, opening=True, storm_rate=20)
    columns = {field.column for field in model._meta.concrete_fields if not field.primary_key}
    if model is Incident:
        columns.add("id")  # taken from the sequence by the group first
    assert _inserted_columns(sql, model) == columns


@isolate_apps("incidents")
def test_a_new_field_takes_its_default() -> None:
    class Probe(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=20)
        colour = models.CharField(max_length=10, default="blue")
        tags = models.JSONField(default=dict)
        seen = models.PositiveIntegerField(default=0)

        class Meta:
            app_label = "incidents"

    plan = row_plan(Probe, "probe", given=("name",))
    params: dict = {}
    plan.params({"name": "x"}, params)
    tags = params.pop("probe_tags")  # as the ORM would save it, a value of the database driver's
    assert getattr(tags, "obj", tags) in ({}, "{}")
    assert params == {"probe_name": "x", "probe_colour": "blue", "probe_seen": 0}
    assert plan.columns == '"name", "colour", "tags", "seen"'


@isolate_apps("incidents")
@pytest.mark.parametrize(
    "field",
    [models.UUIDField(default=uuid.uuid4), models.DateTimeField(auto_now=True)],
    ids=["changing default", "auto_now"],
)
def test_a_new_field_whose_default_changes_is_refused_loudly(field: models.Field) -> None:
    class Probe(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=20)
        token = field

        class Meta:
            app_label = "incidents"

    with pytest.raises(ImproperlyConfigured, match=r"Probe\.token must be given"):
        row_plan(Probe, "probe", given=("name",))
    params: dict = {}
    row_plan(Probe, "probe", given=("name", "token")).params({"name": "x", "token": "t"}, params)
    assert params["probe_token"] == "t"


@isolate_apps("incidents")
def test_a_default_the_database_computes_is_left_to_it() -> None:
    class Probe(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=20)
        stamp = models.DateTimeField(db_default=models.functions.Now())

        class Meta:
            app_label = "incidents"

    plan = row_plan(Probe, "probe", given=("name",))
    assert "stamp" not in plan.columns
    params: dict = {}
    plan.params({"name": "x"}, params)
    assert params == {"probe_name": "x"}


def test_a_column_the_model_does_not_have_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="no column"):
        row_plan(AlertPayload, "payload", given=("integration_id", "sender"))
