"""PostgreSQL connections terminated under load (pg_terminate_backend, again and again) while the real server
takes alerts and API reads: every answer is a 2xx or a 503 with Retry-After, never a 500, and once the
terminations stop every request succeeds again without a restart. And PostgreSQL restarted: the same."""

import json
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection

from config.authentication import api_token_create
from incidents.models import AlertPayload
from tests.incidents.factories import IntegrationFactory, UserFactory
from tests.services import require_postgres

from .tcp_relay import TcpRelay
from .web_server import free_port, served_database_url, web_server

pytestmark = pytest.mark.django_db(transaction=True)


def assert_no_accepted_alert_lost(answers: list[tuple[str, int, str]]) -> None:
    """Every alert answered 202 is stored. An alert answered 503 may be stored too: when the connection is cut
    between PostgreSQL's commit and its acknowledgement, the web process cannot know the commit happened and
    answers 503; the sender resends it and the dedup key folds it in. Nothing else is stored."""
    alerts = [status for kind, status, _ in answers if kind == "alert"]
    accepted, unknown = alerts.count(202), alerts.count(503)
    assert accepted <= AlertPayload.objects.count() <= accepted + unknown


def test_terminated_connections_give_503s_then_recover():
    require_postgres()
    integration = IntegrationFactory(kind="generic")
    token = api_token_create(user=UserFactory(role="agents"))
    alert_path = f"/api/v1/integrations/{integration.key}/generic/"
    connection.ensure_connection()
    # A request waits at most 2 s for a pooled connection (then 503), so the test does not wait on the default 5.
    with web_server(workers=1, VIGIL_DB_POOL_TIMEOUT=2) as server:
        answers: list[tuple[str, int, str]] = []
        lock = threading.Lock()
        stop = threading.Event()

        def load(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                if i % 2:
                    body = json.dumps({"title": f"Load {n}-{i}", "dedup_key": f"l-{n}-{i}"}).encode()
                    status, headers, _ = server.request(
                        alert_path, data=body, headers={"Content-Type": "application/json"}
                    )
                else:
                    status, headers, _ = server.request(
                        "/api/v1/incidents/", headers={"Authorization": f"Token {token}"}
                    )
                with lock:
                    answers.append(("alert" if i % 2 else "list", status, headers.get("Retry-After", "")))

        clients = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for thread in clients:
            thread.start()
        database = served_database_url().rsplit("/", 1)[1]
        ours = connection.connection.info.backend_pid  # the test's own connection stays
        with psycopg.connect(served_database_url(), autocommit=True) as killer:
            for _ in range(6):
                killer.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid() AND pid <> %s",
                    [database, ours],
                )
                time.sleep(0.5)
        stop.set()
        for thread in clients:
            thread.join(timeout=30)
        statuses = {status for _, status, _ in answers}
        assert statuses <= {200, 202, 503}, sorted(statuses)
        assert all(retry == "5" for _, status, retry in answers if status == 503)
        assert len(answers) >= 4
        # Recovery by itself: ready again soon (a connection killed at the last moment may cost one more 503),
        # then every request succeeds.
        for _ in range(50):
            if server.request("/readyz")[0] == 200:
                break
            time.sleep(0.1)
        after = [
            server.request("/api/v1/incidents/", headers={"Authorization": f"Token {token}"})[0]
            for _ in range(5)
        ]
        assert after == [200] * 5
        assert server.request("/readyz")[0] == 200
    # No alert that was answered 202 is lost: each one's payload is stored before the answer (past the storm
    # threshold they fold into one storm incident, so incidents are not counted).
    assert_no_accepted_alert_lost(answers)


def test_a_postgresql_restart_gives_503s_then_recovers():
    """PostgreSQL restarted, as the server sees it (tcp_relay.py): every connection dropped, then the port
    refusing connections for three seconds, then accepting them again. Answers are 2xx or 503 with
    Retry-After while it is away, every request succeeds again once it is back, and no accepted alert is lost."""
    require_postgres()
    integration = IntegrationFactory(kind="generic")
    token = api_token_create(user=UserFactory(role="agents"))
    alert_path = f"/api/v1/integrations/{integration.key}/generic/"
    served = urlsplit(served_database_url())
    relay = TcpRelay((served.hostname or "127.0.0.1", served.port or 5432), free_port())
    relay.start()
    credentials = served.username or "postgres"
    if served.password:
        credentials += f":{served.password}"
    through_relay = urlunsplit(served._replace(netloc=f"{credentials}@127.0.0.1:{relay.port}"))
    try:
        with web_server(workers=1, VIGIL_DB_POOL_TIMEOUT=2, DATABASE_URL=through_relay) as server:
            answers: list[tuple[str, int, str]] = []
            lock = threading.Lock()
            stop = threading.Event()

            def load(n: int) -> None:
                i = 0
                while not stop.is_set():
                    i += 1
                    if i % 2:
                        body = json.dumps({"title": f"Restart {n}-{i}", "dedup_key": f"r-{n}-{i}"}).encode()
                        status, headers, _ = server.request(
                            alert_path, data=body, headers={"Content-Type": "application/json"}
                        )
                    else:
                        status, headers, _ = server.request(
                            "/api/v1/incidents/", headers={"Authorization": f"Token {token}"}
                        )
                    with lock:
                        answers.append(("alert" if i % 2 else "list", status, headers.get("Retry-After", "")))
                    time.sleep(0.02)

            clients = [threading.Thread(target=load, args=(n,)) for n in range(4)]
            for thread in clients:
                thread.start()
            time.sleep(1)
            relay.stop()  # the restart begins: connections dropped, the port refuses
            # Away for at least three seconds, and until a request has seen it (a loaded machine may take longer
            # to get a request to the database than the outage lasts); a minute without a 503 fails below.
            away = time.monotonic()
            while time.monotonic() - away < 60:
                time.sleep(0.1)
                with lock:
                    seen = any(status == 503 for _, status, _ in answers)
                if seen and time.monotonic() - away >= 3:
                    break
            relay.start()  # PostgreSQL is back
            time.sleep(1)
            stop.set()
            for thread in clients:
                thread.join(timeout=30)
            statuses = {status for _, status, _ in answers}
            assert statuses <= {200, 202, 503}, sorted(statuses)
            assert 503 in statuses, "the restart was not seen"
            assert all(retry == "5" for _, status, retry in answers if status == 503)
            for _ in range(100):
                if server.request("/readyz")[0] == 200:
                    break
                time.sleep(0.1)
            after = [
                server.request("/api/v1/incidents/", headers={"Authorization": f"Token {token}"})[0]
                for _ in range(5)
            ]
            assert after == [200] * 5
    finally:
        relay.stop()
    assert_no_accepted_alert_lost(answers)
