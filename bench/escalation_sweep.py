"""Sweep time for 100 due timers while 10^3 ... 10^6 timers are pending (not yet due), on PostgreSQL.

Run by hand (not part of the test suite), on a database of its own, which it migrates and fills:

    createdb -h 127.0.0.1 -U postgres vigil_bench
    DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=false VIGIL_VAR_DIR=/tmp/vigil_bench \\
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/vigil_bench .venv/bin/python bench/escalation_sweep.py

The goal is a flat line: the sweep reads the partial index on due_at WHERE state = 'pending' from its
oldest end, so what is pending later does not matter. Pending rows are inserted with generate_series."""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from escalation.models import Team, Timer  # noqa: E402
from escalation.registry import timer_handler_register  # noqa: E402
from escalation.timers import timer_sweep  # noqa: E402

SIZES = [1_000, 10_000, 100_000, 1_000_000]
DUE = 100
ROUNDS = 7


def _noop(timer: Timer, now) -> None:
    return None


timer_handler_register("bench.noop", _noop)


def fill_pending(total: int, type_id: int, subject_id: int) -> None:
    """Top the pending (future) timers up to `total`, due over the next year."""
    have = Timer.objects.filter(state="pending").count()
    missing = total - have
    if missing <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO escalation_timer (subject_type_id, subject_id, kind, due_at, state, data, created_at, attempts,
                                          last_error)
            SELECT %s, %s, 'bench.later', now() + interval '1 hour' + (g * interval '1 second'), 'pending', '{}'::jsonb,
                   now(), 0, ''
            FROM generate_series(1, %s) AS g
            """,
            [type_id, subject_id, missing],
        )
        cursor.execute("ANALYZE escalation_timer")


def one_round(type_id: int, subject_id: int) -> float:
    past = timezone.now() - timedelta(seconds=30)
    Timer.objects.bulk_create(
        Timer(
            subject_type_id=type_id,
            subject_id=subject_id,
            kind="bench.noop",
            due_at=past + timedelta(milliseconds=i),
        )
        for i in range(DUE)
    )
    started = time.perf_counter()
    fired = timer_sweep(batch_size=100)
    elapsed = time.perf_counter() - started
    assert fired == DUE, fired
    return elapsed


def main() -> None:
    call_command("migrate", verbosity=0)
    Timer.objects.all().delete()
    team, _ = Team.objects.get_or_create(name="bench")
    type_id = ContentType.objects.get_for_model(Team).pk
    print(
        f"{'pending':>10} {'median ms':>10} {'min ms':>8} {'max ms':>8}  (sweep of {DUE} due timers, {ROUNDS} rounds)"
    )
    results = {}
    for size in SIZES:
        fill_pending(size, type_id, team.pk)
        one_round(type_id, team.pk)  # warm-up
        times = [one_round(type_id, team.pk) * 1000 for _ in range(ROUNDS)]
        results[size] = statistics.median(times)
        print(f"{size:>10} {results[size]:>10.1f} {min(times):>8.1f} {max(times):>8.1f}")
    print(f"ratio 10^6 / 10^3: {results[SIZES[-1]] / results[SIZES[0]]:.2f}")
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM escalation_timer WHERE state = 'pending' AND due_at <= now() "
            "ORDER BY due_at, id LIMIT 100 FOR UPDATE SKIP LOCKED"
        )
        print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
