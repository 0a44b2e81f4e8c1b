"""KRI readings benchmark (run by hand, not in tests): 10^6 readings pushed in batches over
`POST /api/v1/kris/<id>/readings/` (integration key, PostgreSQL, gunicorn), against the ingestion benchmark's
bare Django view (one `INSERT ... ON CONFLICT` per request, bench/ingest_urls.py) on the same server.

    .venv/bin/python bench/kri_readings.py [--readings 1000000] [--batch 1000] [--connections 8] [--duration 10]

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/vigil_risks_bench, dropped and
recreated), REDIS_URL (default redis://127.0.0.1:6379/2), PORT (default 8120).

First the bare view in a closed loop for `--duration` seconds (its requests a second: the yardstick), then the
readings in batches of `--batch`, `--connections` clients back to back until `--readings` are stored. Printed:
readings a second, batch requests a second and their ratio to the bare view's requests a second, the p50/p99
latency of a batch, and the count stored (it must equal `--readings`: a batch is all or nothing)."""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import GUNICORN, Connection, closed_loop, machine, percentile  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/vigil_risks_bench"


class KeyedConnection(Connection):
    """The ingestion benchmark's keep-alive connection, with the integration key header."""

    def __init__(self, port: int, key: str) -> None:
        super().__init__(port)
        self.key = key

    async def _post(self, path: str, body: bytes) -> int:
        assert self.reader is not None
        assert self.writer is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Vigil-Integration-Key: {self.key}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DB)
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/2")
    env.setdefault("CELERY_BROKER_URL", env["REDIS_URL"])
    env.setdefault("PORT", "8120")
    env["DJANGO_SETTINGS_MODULE"] = "bench.ingest_settings"
    env["THROTTLE_INTEGRATIONS"] = "100000000/minute"
    env["VIGIL_MAX_BODY_BYTES"] = str(8 * 1024 * 1024)
    return env


def prepare(env: dict[str, str]) -> tuple[int, str]:
    """A fresh database with one integration and one KRI (never red: no notifications in the way)."""
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    host = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["dropdb", *host, "--if-exists", name], check=True, env=env)
    subprocess.run(["createdb", *host, name], check=True, env=env)
    subprocess.run([".venv/bin/python", "manage.py", "migrate", "-v0"], check=True, cwd=ROOT, env=env)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from bench.ingest_urls import BARE_TABLE
    from incidents.integrations.services import integration_create
    from risks.models import KRI

    _, key = integration_create(by=None, name="bench-kri", kind="generic", hard_cap_per_minute=0)
    kri = KRI.objects.create(name="bench", yellow=1e12, red=2e12)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (k text PRIMARY KEY, n integer NOT NULL)")
    connection.close()
    return kri.pk, key


async def push_all(port: int, key: str, kri_id: int, total: int, batch: int, clients: int) -> dict:
    path = f"/api/v1/kris/{kri_id}/readings/"
    batches = iter(range(0, total, batch))
    latencies: list[float] = []
    errors = 0

    async def client() -> None:
        nonlocal errors
        conn = KeyedConnection(port, key)
        for start in batches:
            size = min(batch, total - start)
            body = json.dumps([{"value": (start + i) % 100} for i in range(size)]).encode()
            began = time.perf_counter()
            status = await conn.post(path, body)
            latencies.append(time.perf_counter() - began)
            errors += status != 201

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    return {
        "seconds": elapsed,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "readings_per_second": total / elapsed,
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of the bare view's loop")
    args = parser.parse_args()
    env = environment()
    port = int(env["PORT"])
    kri_id, key = prepare(env)
    server = subprocess.Popen([*GUNICORN, "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        print(machine(), flush=True)
        bare = asyncio.run(
            closed_loop(
                port,
                "/bench/bare/",
                lambda i: json.dumps({"dedup_key": f"k{i}"}).encode(),
                args.duration,
                args.connections,
                0,
            )
        )
        result = asyncio.run(push_all(port, key, kri_id, args.readings, args.batch, args.connections))
    finally:
        server.terminate()
        server.wait(timeout=30)
    from risks.models import KRIReading

    stored = KRIReading.objects.filter(kri_id=kri_id).count()
    print(
        "\n| readings | batch | connections | seconds | readings/s | batches/s | vs bare view (req/s) "
        "| p50 batch (ms) | p99 batch (ms) | errors | stored |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {args.readings} | {args.batch} | {args.connections} | {result['seconds']:.1f} | "
        f"{result['readings_per_second']:.0f} | {result['rps']:.1f} | {result['rps'] / bare['rps']:.1%} "
        f"(bare {bare['rps']:.0f}) | {result['p50']:.1f} | {result['p99']:.1f} | {result['errors']} | {stored} |"
    )


if __name__ == "__main__":
    main()
