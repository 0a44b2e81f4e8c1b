"""Delivery benchmarks with real processes: two `celery worker` processes, `celery beat` sweeping every
VIGIL_SWEEP_INTERVAL seconds, Redis as the broker, PostgreSQL, and a webhook receiver (http.server on
127.0.0.1) in this process.

1. throughput: N outbox rows enqueued at once; deliveries per second until the receiver has them all;
2. latency: with 10^5 other timers pending, M `escalation.page` timers fall due over 15 s; the delay from
   each timer's due_at to its webhook reaching the receiver, p50 / p99 / max.

Run by hand, on a database and a Redis database of its own:

    createdb -h 127.0.0.1 -U postgres vigil_bench
    DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=false VIGIL_VAR_DIR=/tmp/vigil_bench LOG_LEVEL=WARNING \\
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/vigil_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python bench/escalation_delivery.py
"""

import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from escalation.models import Channel, ContactMethod, DeliveryAttempt, Notification, Team, Timer  # noqa: E402
from escalation.tasks import notification_deliver_task  # noqa: E402
from tests.escalation.receiver import webhook_receiver  # noqa: E402

THROUGHPUT_ROWS = int(os.environ.get("BENCH_ROWS", "2000"))
LATENCY_TIMERS = int(os.environ.get("BENCH_TIMERS", "300"))
BACKGROUND_PENDING = int(os.environ.get("BENCH_PENDING", "100000"))


def start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit("timed out")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    call_command("migrate", verbosity=0)
    for model in (DeliveryAttempt, Notification, Timer):
        model.objects.all().delete()
    team, _ = Team.objects.get_or_create(name="bench")
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"email": "bench@example.org"}
    )
    type_id = ContentType.objects.get_for_model(Team).pk
    var = Path(settings.VAR_DIR)
    with webhook_receiver() as receiver:
        method, _ = ContactMethod.objects.update_or_create(
            user=user, channel=Channel.WEBHOOK, defaults={"address": receiver.url, "secret": "bench-secret"}
        )
        workers = [
            start(
                [
                    "worker",
                    "-Q",
                    "urgent",
                    "--pool",
                    "solo",
                    "-n",
                    f"bench{i}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "WARNING",
                ],
                var / f"bench-worker{i}.log",
            )
            for i in (1, 2)
        ]
        beat = None
        try:
            time.sleep(4)  # let both workers connect
            # 1. throughput
            now = timezone.now()
            rows = Notification.objects.bulk_create(
                Notification(
                    subject_type_id=type_id,
                    subject_id=team.pk,
                    reason="bench",
                    channel=Channel.WEBHOOK,
                    address=receiver.url,
                    contact_method=method,
                    idempotency_key=f"tp:{i}",
                    payload={"event": "bench", "n": i},
                    created_at=now,
                    next_attempt_at=now,
                    enqueued_at=now,
                )
                for i in range(THROUGHPUT_ROWS)
            )
            started = time.perf_counter()
            for row in rows:
                notification_deliver_task.apply_async(args=[row.pk])
            wait_until(lambda: len(receiver.requests) >= THROUGHPUT_ROWS, 600)
            elapsed = time.perf_counter() - started
            wait_until(lambda: not Notification.objects.filter(reason="bench", state="pending").exists(), 60)
            duplicates = sum(n - 1 for n in receiver.deliveries().values())
            print(
                f"throughput: {THROUGHPUT_ROWS} webhooks in {elapsed:.2f} s = {THROUGHPUT_ROWS / elapsed:.0f}/s "
                f"with 2 worker processes (duplicates: {duplicates})"
            )

            # 2. latency from due_at to the receiver, with BACKGROUND_PENDING timers pending later
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO escalation_timer (subject_type_id, subject_id, kind, due_at, state, data, "
                    "created_at, attempts, last_error) SELECT %s, %s, 'bench.later', now() + interval '1 day' "
                    "+ g * interval '1 second', 'pending', '{}'::jsonb, now(), 0, '' FROM generate_series(1, %s) g",
                    [type_id, team.pk, BACKGROUND_PENDING],
                )
                cursor.execute("ANALYZE escalation_timer")
            receiver.requests.clear()
            first_due = timezone.now() + timedelta(seconds=6)
            due = {}
            timers = []
            for i in range(LATENCY_TIMERS):
                due_at = first_due + timedelta(seconds=15 * i / LATENCY_TIMERS)
                key = f"lat:{i}"
                due[f"{key}:u:{user.pk}:m:{method.pk}"] = due_at.timestamp()
                timers.append(
                    Timer(
                        subject_type_id=type_id,
                        subject_id=team.pk,
                        kind="escalation.page",
                        due_at=due_at,
                        data={
                            "user_id": user.pk,
                            "method_id": method.pk,
                            "reason": "bench",
                            "key": key,
                            "template": "event",
                            "context": {},
                        },
                    )
                )
            Timer.objects.bulk_create(timers)
            beat = start(
                ["beat", "--loglevel", "WARNING", "-s", str(var / "bench-beat-schedule")],
                var / "bench-beat.log",
            )
            wait_until(lambda: len(receiver.requests) >= LATENCY_TIMERS, 120)
            delays = [r.at - due[r.headers["Idempotency-Key"]] for r in receiver.requests]
            print(
                f"latency due_at -> receiver, {LATENCY_TIMERS} timers, {BACKGROUND_PENDING} pending, "
                f"sweep every {settings.VIGIL_SWEEP_INTERVAL} s: p50 {statistics.median(delays):.2f} s, "
                f"p99 {percentile(delays, 0.99):.2f} s, max {max(delays):.2f} s"
            )
        finally:
            for process in [*workers, beat]:
                if process is not None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in [*workers, beat]:
                if process is not None:
                    process.wait(30)


if __name__ == "__main__":
    main()
