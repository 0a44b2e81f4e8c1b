"""Slow and stalled clients against the real server (config/gunicorn_conf.py, config/serving.py): one worker,
dozens of connections that stop in their headers or trickle their body, and a normal client that keeps getting
answers from /healthz and an alert endpoint meanwhile. Chunked bodies are read, and limited while read."""

import contextlib
import json
import socket
import threading
import time

import pytest

from incidents.models import Incident
from tests.incidents.factories import IntegrationFactory
from tests.services import require_postgres

from .web_server import web_server

pytestmark = pytest.mark.django_db(transaction=True)

STALLED = 60


def _stall_in_headers(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def _stall_in_body(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: 100000\r\n\r\n{{".encode()
    )
    return sock


def _closed_by_server(sock: socket.socket) -> bytes:
    """What the server sent before closing (b"" for a plain close); fails the test if it never closes."""
    sock.settimeout(30)
    received = b""
    while True:
        part = sock.recv(4096)
        if not part:
            return received
        received += part


def test_stalled_connections_do_not_stop_healthz_or_the_alert_endpoint():
    require_postgres()
    integration = IntegrationFactory(kind="generic")
    path = f"/api/v1/integrations/{integration.key}/generic/"
    with web_server(workers=1, VIGIL_HEADER_TIMEOUT=3, VIGIL_BODY_TIMEOUT=4) as server:
        stalled = [_stall_in_headers(server.port) for _ in range(STALLED // 2)]
        stalled += [_stall_in_body(server.port, path) for _ in range(STALLED // 2)]
        stop = threading.Event()

        def trickle() -> None:  # body bytes now and then: no single read ever waits long
            while not stop.is_set():
                for sock in stalled[STALLED // 2 :]:
                    with contextlib.suppress(OSError):
                        sock.sendall(b" ")
                stop.wait(0.5)

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        answers = []
        for n in range(10):
            answers.append(server.request("/healthz", timeout=5)[0])
            body = json.dumps({"title": f"Disk full {n}", "dedup_key": f"slow-{n}"}).encode()
            status, _, _content = server.request(
                path, data=body, headers={"Content-Type": "application/json"}, timeout=5
            )
            answers.append(status)
        assert answers == [200, 202] * 10, answers
        # The server ends them itself: a close for the unfinished headers, a 408 for the trickled bodies.
        closed = [_closed_by_server(sock) for sock in stalled]
        stop.set()
        trickler.join()
        assert all(reply == b"" for reply in closed[: STALLED // 2])
        assert all(b" 408 " in reply.split(b"\r\n", 1)[0] for reply in closed[STALLED // 2 :]), closed[-1]
        for sock in stalled:
            sock.close()
    assert Incident.objects.count() == 10


def _chunked(path: str, body: bytes, port: int) -> bytes:
    sock = socket.create_connection(("127.0.0.1", port))
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    sock.sendall(head.encode())
    try:
        for start in range(0, len(body), 7):  # small chunks, a little apart
            piece = body[start : start + 7]
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            time.sleep(0.001)
        sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered (413) and closed before the end: the answer is waiting
    return _closed_by_server(sock)


def test_a_chunked_alert_is_read_and_a_chunked_body_over_the_limit_is_413(settings):
    require_postgres()
    integration = IntegrationFactory(kind="generic")
    path = f"/api/v1/integrations/{integration.key}/generic/"
    with web_server(workers=1, VIGIL_INTEGRATION_MAX_BODY_BYTES=2000) as server:
        reply = _chunked(path, json.dumps({"title": "Chunked", "dedup_key": "c-1"}).encode(), server.port)
        assert reply.startswith(b"HTTP/1.1 202"), reply
        assert Incident.objects.get().title == "Chunked"
        reply = _chunked(path, json.dumps({"title": "x" * 5000}).encode(), server.port)
        assert reply.startswith(b"HTTP/1.1 413"), reply
        assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["code"] == "payload_too_large"
        # A Content-Length over the limit is answered before any of the body is sent.
        status, _, content = server.request(
            path, data=b"x" * 3000, headers={"Content-Type": "application/json"}, timeout=5
        )
        assert status == 413
        assert json.loads(content)["limit_bytes"] == 2000
    assert Incident.objects.count() == 1


def test_a_chunked_alert_is_read_under_a_wsgi_server_too():
    """config/wsgi.py still serves (gunicorn's sync worker here): the body middleware reads the dechunked
    `wsgi.input` to its end, which Django alone would read as empty."""
    require_postgres()
    integration = IntegrationFactory(kind="generic")
    path = f"/api/v1/integrations/{integration.key}/generic/"
    wsgi = ("--worker-class", "sync", "config.wsgi:application")
    with web_server(workers=1, extra=wsgi, VIGIL_INTEGRATION_MAX_BODY_BYTES=2000) as server:
        reply = _chunked(
            path, json.dumps({"title": "Chunked WSGI", "dedup_key": "w-1"}).encode(), server.port
        )
        assert reply.startswith(b"HTTP/1.1 202"), reply
        reply = _chunked(path, json.dumps({"title": "x" * 5000}).encode(), server.port)
        assert reply.startswith(b"HTTP/1.1 413"), reply
    assert Incident.objects.get().title == "Chunked WSGI"
