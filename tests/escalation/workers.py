"""Real Celery workers for the tests: one in a thread of the test process (`celery.contrib.testing`), or a
`celery worker` subprocess that a test can kill -9. Both use Redis (REDIS_URL) as the broker."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from celery.contrib.testing.worker import start_worker
from django.db import connection
from kombu import pools as kombu_pools

from config.celery_app import app

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def broker(url: str) -> Iterator[None]:
    """Point the Celery app (which publishes from this process) at `url`, then back."""
    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"socket_connect_timeout": 1, "socket_timeout": 3, "max_retries": 1}
    _reset_pools()
    try:
        yield
    finally:
        _reset_pools()
        app.conf.broker_url, app.conf.broker_transport_options = saved


def _reset_pools() -> None:
    """Drop the connection and producer pools, so the next publish connects to the broker now configured."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()  # kombu's registry keeps producer pools per broker URL, closed ones included


def redis_flush(url: str) -> None:
    redis.Redis.from_url(url).flushdb()


@contextmanager
def thread_worker(url: str) -> Iterator[None]:
    """A worker consuming the urgent queue in a thread of this process."""
    with (
        broker(url),
        start_worker(app, queues=["urgent"], perform_ping_check=False, shutdown_timeout=60, loglevel="INFO"),
    ):
        _reset_pools()  # starting a worker closes the app's pools: publish from fresh ones
        yield


def wait_for(predicate: Callable[[], bool], *, timeout: float = 90.0, what: str = "condition") -> None:
    """Poll real processes until `predicate` holds (this waits on other processes, not on the clock).

    The deadline is generous because a loaded 2-core CI machine can be slow to schedule a worker; a passing
    test returns as soon as the predicate holds, so only a test that would fail anyway waits it out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class WorkerProcess:
    """`celery -A config worker` on the test database, in its own process group."""

    def __init__(self, url: str, log: Path) -> None:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "TEST_CELERY_BROKER_URL": url,
        }
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "urgent",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # Importing Django and Celery alone takes seconds on a loaded machine; a worker that dies fails at once.
        wait_for(
            lambda: b"ready." in log.read_bytes() or self.process.poll() is not None,
            timeout=180,
            what="the worker to start",
        )
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited with {self.process.returncode}:\n{log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no ack, exactly like a crashed machine."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(60)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
