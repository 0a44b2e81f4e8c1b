"""A real Vigil web server for the reliability tests: gunicorn with the shipped configuration
(config/gunicorn_conf.py: the asyncio worker and config/serving.py) on one of this checkout's ports, serving the
test database. Tests that use it commit their rows (`django_db(transaction=True)`) so the server sees them."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# The ports this checkout may use (VIGIL_TEST_PORTS="8150-8159" by default).
PORTS = os.environ.get("VIGIL_TEST_PORTS", "8150-8159")


def free_port() -> int:
    first, last = (int(part) for part in PORTS.split("-"))
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


def served_database_url() -> str:
    """DATABASE_URL with the name of the database pytest-django created for this process."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen

    def request(
        self,
        path: str,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, data=data, headers=headers or {}, method=None)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers.items()), error.read()


@contextmanager
def web_server(workers: int = 1, extra: tuple[str, ...] = (), **environment: Any) -> Iterator[Server]:
    """`extra`: more gunicorn arguments (they override the configuration's, e.g. a WSGI worker)."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": served_database_url(),
        "GUNICORN_ACCESSLOG": "",
        **{name: str(value) for name, value in environment.items()},
    }
    process = subprocess.Popen(  # noqa: S603 (our own server, fixed arguments)
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "config/gunicorn_conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    server = Server(url=f"http://127.0.0.1:{port}", port=port, process=process)
    try:
        for _ in range(150):
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"gunicorn exited: {log.read().decode()[-2000:]}")
            try:
                if server.request("/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not answer /healthz")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
