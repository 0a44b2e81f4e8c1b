"""Every migration of Vigil's apps can be undone: migrating them all back to zero and forward again works on
the database the suite runs on, data migrations included."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

APPS = ("risks", "postmortems", "incidents", "escalation")


@pytest.mark.django_db(transaction=True)
def test_every_migration_reverses_and_reapplies() -> None:
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    ours = sorted(node for node in leaves if node[0] in APPS)
    for app in APPS:  # the apps that depend on others first
        call_command("migrate", app, "zero", verbosity=0)
    applied = MigrationExecutor(connection).loader.applied_migrations
    assert not [node for node in applied if node[0] in APPS]
    call_command("migrate", verbosity=0)
    applied = MigrationExecutor(connection).loader.applied_migrations
    assert all(node in applied for node in ours)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM incidents_prioritymatrixcell")
        assert cursor.fetchone()[0] == 16  # the reference data came back with its migration
