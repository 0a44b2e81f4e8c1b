"""Ingestion benchmark (run by hand, not in tests): throughput and latency of the PagerDuty and Alertmanager
endpoints under gunicorn on PostgreSQL, on one dedup key and on fresh keys, side by side in one run with a bare
Django view on the same server that does one `INSERT ... ON CONFLICT` (bench/ingest_urls.py).

    .venv/bin/python bench/ingest.py [--duration 10] [--connections 16] [--rounds 3]

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/vigil_bench, dropped and recreated),
REDIS_URL (default redis://127.0.0.1:6379/4: cache and broker), PORT (default 8102).

For each scenario: closed loops (`--connections` clients posting back to back; `--rounds` rounds over all
scenarios, the median kept) give the maximum rate; then an open loop at half that rate (requests sent on a
fixed schedule, latency counted from the scheduled instant, so a slow server cannot hide its queue) gives the
latency percentiles. The client is one asyncio process with
keep-alive connections, on the same machine: its CPU is taken from the server, for every scenario alike."""

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "incidents" / "fixtures" / "alertmanager-0.25"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/vigil_bench"
GUNICORN = [".venv/bin/gunicorn", "config.wsgi:application", "--workers", "2", "--threads", "4"]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DB)
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
    env.setdefault("CELERY_BROKER_URL", env["REDIS_URL"])
    env.setdefault("PORT", "8102")
    env["DJANGO_SETTINGS_MODULE"] = "bench.ingest_settings"
    # Measure the endpoints, not the limits: no per-address throttle in the way.
    env["THROTTLE_INTEGRATIONS"] = "100000000/minute"
    return env


def prepare_database(env: dict[str, str]) -> None:
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    host = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["dropdb", *host, "--if-exists", name], check=True, env=env)
    subprocess.run(["createdb", *host, name], check=True, env=env)
    subprocess.run([".venv/bin/python", "manage.py", "migrate", "-v0"], check=True, cwd=ROOT, env=env)
    subprocess.run(["redis-cli", "-u", env["REDIS_URL"], "flushdb"], check=True, capture_output=True)


def create_integrations(env: dict[str, str]) -> dict[str, str]:
    """The integrations (no hard cap; no storm folding, so that every fresh key opens its own incident, the
    costliest path; and one with the default storm folding) and the bare view's table. Answers their keys."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from bench.ingest_urls import BARE_TABLE
    from incidents.integrations.services import integration_create

    keys = {}
    for kind in ("pagerduty-events", "alertmanager"):
        _, keys[kind] = integration_create(
            by=None, name=f"bench-{kind}", kind=kind, hard_cap_per_minute=0, storm_rate_per_minute=0
        )
    # The product's defaults (storm folding above 20 new groups a minute), as a storm meets them.
    _, keys["storm"] = integration_create(
        by=None, name="bench-storm", kind="pagerduty-events", hard_cap_per_minute=0
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (k text PRIMARY KEY, n integer NOT NULL)")
    connection.close()
    return keys


def bodies(keys: dict[str, str]) -> dict[str, tuple[str, Any]]:
    """Scenario -> (path, body maker(i) -> bytes), from the real captured payloads."""
    pd = json.loads(next(FIXTURES.glob("02_*pagerduty*.json")).read_text())["body"]
    am = json.loads(next(FIXTURES.glob("07_*webhook*.json")).read_text())["body"]

    def pd_body(key: str, routing_key: str = keys["pagerduty-events"]) -> bytes:
        return json.dumps({**pd, "routing_key": routing_key, "dedup_key": key}).encode()

    def am_body(i: int | None) -> bytes:
        if i is None:
            return json.dumps(am).encode()
        alert = {**am["alerts"][0], "fingerprint": f"{i:016x}"}
        return json.dumps({**am, "groupKey": f"{{}}:{{bench={i}}}", "alerts": [alert]}).encode()

    am_path = f"/api/v1/integrations/{keys['alertmanager']}/alertmanager/"
    return {
        "bare view, one key": ("/bench/bare/", lambda i: pd_body("one")),
        "bare view, fresh keys": ("/bench/bare/", lambda i: pd_body(f"bare-{i}")),
        "PagerDuty, one key": ("/api/v1/events/v2/enqueue", lambda i: pd_body("one")),
        "PagerDuty, fresh keys": ("/api/v1/events/v2/enqueue", lambda i: pd_body(f"pd-{i}")),
        "PagerDuty, fresh keys, storm folding": (
            "/api/v1/events/v2/enqueue",
            lambda i: pd_body(f"storm-{i}", keys["storm"]),
        ),
        "Alertmanager, one group": (am_path, lambda i: am_body(None)),
        "Alertmanager, fresh groups": (am_path, am_body),
    }


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                return await self._post(path, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _post(self, path: str, body: bytes) -> int:
        assert self.reader is not None
        assert self.writer is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return status


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def closed_loop(port: int, path: str, make: Any, seconds: float, clients: int, start: int) -> dict:
    counter = iter(range(start, 10**9))
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        conn = Connection(port)
        while time.perf_counter() < deadline:
            body = make(next(counter))
            began = time.perf_counter()
            status = await conn.post(path, body)
            latencies.append(time.perf_counter() - began)
            errors += not 200 <= status < 300

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    return {"rps": len(latencies) / elapsed, "errors": errors, "count": len(latencies)}


async def open_loop(port: int, path: str, make: Any, seconds: float, rate: float, start: int) -> dict:
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(Connection(port))
    latencies: list[float] = []
    errors = 0
    total = int(seconds * rate)
    t0 = time.perf_counter() + 0.05

    async def one(i: int, due: float) -> None:
        nonlocal errors
        conn = await pool.get()
        try:
            status = await conn.post(path, make(start + i))
        finally:
            pool.put_nowait(conn)
        latencies.append(time.perf_counter() - due)
        errors += not 200 <= status < 300

    tasks = []
    for i in range(total):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    ms = [v * 1000 for v in latencies]
    return {
        "rate": rate,
        "errors": errors,
        "p50": percentile(ms, 0.50),
        "p90": percentile(ms, 0.90),
        "p99": percentile(ms, 0.99),
        "max": max(ms) if ms else float("nan"),
    }


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the process ended
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def cpu_ticks(server_pid: int) -> dict[int, tuple[str, int]]:
    """CPU ticks used so far by each gunicorn worker and each PostgreSQL process, by pid."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == server_pid:
            ticks[int(entry.name)] = ("server", _ticks(int(entry.name)))
        elif name.startswith("postgres"):
            ticks[int(entry.name)] = ("postgres", _ticks(int(entry.name)))
    return ticks


def cpu_used(before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]]) -> dict[str, float]:
    """CPU seconds the server and PostgreSQL used between two readings (processes that ended in between,
    such as autovacuum workers, are left out; new ones count from zero)."""
    used = {"server": 0.0, "postgres": 0.0}
    for pid, (part, ticks) in after.items():
        used[part] += ticks - before.get(pid, (part, 0))[1]
    hz = os.sysconf("SC_CLK_TCK")
    return {part: value / hz for part, value in used.items()}


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, PostgreSQL {pg}, "
        f"gunicorn {' '.join(GUNICORN[2:])} (the Procfile's), client and server on the same machine"
    )


async def run(args: argparse.Namespace, port: int, scenarios: dict) -> list[tuple[str, dict, dict]]:
    """Rounds of closed loops, every scenario in each round, so that a change in the machine's load (other
    processes) hits all scenarios alike; the maximum is the median of the rounds. Then the open loops."""
    offset = 0
    peaks: dict[str, list[dict]] = {name: [] for name in scenarios}
    for round_ in range(args.rounds):
        for name, (path, make) in scenarios.items():
            if round_ == 0:
                await closed_loop(port, path, make, 2, args.connections, offset)  # warm-up
                offset += 10**6
            before, client_before = cpu_ticks(args.server_pid), os.times()
            peak = await closed_loop(port, path, make, args.duration, args.connections, offset)
            used, client_after = cpu_used(before, cpu_ticks(args.server_pid)), os.times()
            used["client"] = (
                client_after.user + client_after.system - client_before.user - client_before.system
            )
            done = max(1, round(peak["rps"] * args.duration))
            peak["cpu"] = {part: seconds * 1000 / done for part, seconds in used.items()}
            offset += 10**6
            peaks[name].append(peak)
            cpu = peak["cpu"]
            print(
                f"round {round_ + 1}: {name:40} {peak['rps']:7.0f} req/s, CPU ms a request: server "
                f"{cpu['server']:.2f} PostgreSQL {cpu['postgres']:.2f} client {cpu['client']:.2f}",
                flush=True,
            )
    rows = []
    for name, (path, make) in scenarios.items():
        rates = sorted(p["rps"] for p in peaks[name])
        peak = {
            "rps": statistics.median(rates),
            "low": rates[0],
            "high": rates[-1],
            "errors": sum(p["errors"] for p in peaks[name]),
            "cpu": {
                part: statistics.median(p["cpu"][part] for p in peaks[name])
                for part in ("server", "postgres")
            },
        }
        half = await open_loop(port, path, make, args.duration, peak["rps"] / 2, offset)
        offset += 10**6
        rows.append((name, peak, half))
        print(
            f"{name:40} max {peak['rps']:6.0f} req/s | at {half['rate']:4.0f} req/s: p50 {half['p50']:6.1f} ms "
            f"p99 {half['p99']:6.1f} ms max {half['max']:6.1f} ms",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16, help="clients of the closed loop")
    parser.add_argument("--rounds", type=int, default=3, help="closed-loop rounds (the median is kept)")
    args = parser.parse_args()
    env = environment()
    port = int(env["PORT"])
    prepare_database(env)
    keys = create_integrations(env)
    server = subprocess.Popen([*GUNICORN, "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env)
    args.server_pid = server.pid
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        print(machine(), flush=True)
        rows = asyncio.run(run(args, port, bodies(keys)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    bare = {name.split(", ")[1]: peak["rps"] for name, peak, _ in rows if name.startswith("bare")}
    print(
        "\n| scenario | max req/s (median; range) | vs bare view | p50 at half max (ms) | p99 at half max (ms) "
        "| errors | CPU ms a request: gunicorn + PostgreSQL |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, peak, half in rows:
        keys_kind = "one key" if ("one" in name) else "fresh keys"
        ratio = peak["rps"] / bare[keys_kind] if bare.get(keys_kind) else float("nan")
        print(
            f"| {name} | {peak['rps']:.0f} ({peak['low']:.0f}-{peak['high']:.0f}) | {ratio:.0%} | "
            f"{half['p50']:.1f} | {half['p99']:.1f} | {peak['errors'] + half['errors']} | "
            f"{peak['cpu']['server']:.2f} + {peak['cpu']['postgres']:.2f} |"
        )


if __name__ == "__main__":
    main()
