"""A private redis-server for the tests that stop and restart it (never the shared one): on its own port, its
data in a temporary directory, with the append-only file the deployment recommends (docs/deployment.md)."""

import shutil
import subprocess
import time
from pathlib import Path

import redis

from tests.services import unavailable

# Ports 8160-8169 are this suite's (HELPERS.md): the reliability tests may run beside other people's servers.
PORT = 8160


class RedisServer:
    def __init__(self, directory: Path, port: int = PORT) -> None:
        self.directory, self.port = directory, port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            unavailable("redis-server (the Debian package redis-server)")
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own arguments
            [
                str(executable),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--maxmemory-policy",
                "noeviction",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return
            except redis.RedisError:
                if self.process.poll() is not None:
                    raise AssertionError((self.directory / "redis.log").read_text()) from None
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        """SIGTERM: Redis writes its append-only file and exits, as in a restart."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        self.process = None
