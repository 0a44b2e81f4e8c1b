"""Metric rollups over a million incidents on PostgreSQL (docs/performance.md, "Metrics").

    .venv/bin/python bench/metrics.py [--incidents 1000000] [--requests 300]

Uses its own database (`--database`, default `vigil_metrics_bench`, dropped and recreated; DATABASE_URL's
server). Incidents are
generated with INSERT ... SELECT generate_series (three years, 50 services, 10 teams, the seed categories,
P1-P4; 95 % acknowledged, 90 % resolved, 2 % cancelled), with an acknowledge and a resolve SLA clock for
P1 and P2 (some breached). Then, with an office-hours reporting calendar (Europe/Paris):
1. a full rollup recompute (`rollups_recompute`: every incident's figures, then every day and group);
2. GET /api/v1/metrics/summary/ over the last year, overall and by priority, through Django's whole stack
   in process (middleware, token authentication, DRF, JSON), against a bare SELECT of the same rollup rows
   (psycopg, rows fetched), interleaved, in the same run;
3. a late edit to one old incident and the incremental refresh it causes."""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database", default="vigil_metrics_bench", help="dropped and recreated")
    args = parser.parse_args()
    name = args.database
    if not name.replace("_", "").isalnum():
        parser.error("--database: letters, digits and underscores only")

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    os.environ.update(
        DATABASE_URL=bench_url,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        VIGIL_VAR_DIR=str(ROOT / "var" / "metrics_bench"),
        VIGIL_REPORTING_CALENDAR="Office hours (bench)",
        ALLOWED_HOSTS="testserver",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate(args.incidents)
    recompute()
    summary_latency(args.requests)
    late_edit()


def generate(count: int) -> None:
    import datetime as dt

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from escalation.models import BusinessCalendar, Team, WorkingInterval
    from incidents.models import Incident, Service

    calendar = BusinessCalendar.objects.create(name="Office hours (bench)", time_zone="Europe/Paris")
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=day, start=start, end=end)
        for day in range(5)
        for start, end in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))
    )
    teams = Team.objects.bulk_create(Team(name=f"team-{n}") for n in range(10))
    Service.objects.bulk_create(Service(name=f"service-{n}", owning_team=teams[n % 10]) for n in range(50))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM incidents_service")
        low_service, _high = cursor.fetchone()
        cursor.execute("SELECT min(id) FROM escalation_team")
        low_team = cursor.fetchone()[0]
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM incidents_incidentcategory")
        categories = cursor.fetchone()[0]
        # Reported over three years up to now; acknowledged 1-120 min later; resolved 10 min to 3 days later.
        cursor.execute(
            """
            INSERT INTO incidents_incident (title, description, state, impact, urgency, priority, source,
                resolution_code, resolution_notes, reported_at, acknowledged_at, resolved_at, cancelled_at,
                time_on_hold, updated_at, engaged_at, service_id, team_id, category_id)
            SELECT 'generated incident ' || g, '', s.state, s.p, s.p, s.p, 'api', '', '',
                s.reported, CASE WHEN s.r < 0.95 THEN s.reported + (1 + (g %% 120)) * interval '1 minute' END,
                CASE WHEN s.state IN ('resolved', 'closed') THEN s.reported + (10 + (g::bigint * 7919 %% 4300)) * interval '1 minute' END,
                CASE WHEN s.state = 'cancelled' THEN s.reported + interval '5 minutes' END,
                interval '0', now(), now(), %s + g %% 50, %s + g %% 10, (%s::bigint[])[1 + g %% %s]
            FROM generate_series(1, %s) AS g,
            LATERAL (SELECT
                now() - (g::float / %s) * interval '1095 days' AS reported,
                1 + (g * 31 %% 4) AS p,
                (g * 7 %% 100) / 100.0 AS r,
                CASE WHEN g %% 50 = 0 THEN 'cancelled' WHEN g * 13 %% 10 = 0 THEN 'in_progress'
                     WHEN g %% 3 = 0 THEN 'closed' ELSE 'resolved' END AS state) AS s
            """,
            [low_service, low_team, categories, len(categories), count, count],
        )
        incident_type = ContentType.objects.get_for_model(Incident).pk
        for kind, column, target in (
            ("acknowledge", "acknowledged_at", "20 minutes"),
            ("resolve", "resolved_at", "8 hours"),
        ):
            cursor.execute(
                f"""
                INSERT INTO escalation_slaclock (subject_type_id, subject_id, kind, snapshot, target, state,
                    started_at, segments, elapsed)
                SELECT %s, id, %s, '{{}}', interval %s,
                    CASE WHEN {column} IS NULL THEN 'running'
                         WHEN {column} - reported_at <= interval %s THEN 'met' ELSE 'breached' END,
                    reported_at, '[]', interval '0'
                FROM incidents_incident WHERE priority <= 2 AND state <> 'cancelled'
                """,  # noqa: S608 (column names are ours)
                [incident_type, kind, target, target],
            )
        # As autovacuum leaves a live table: hint bits set and the visibility map current, so the recompute
        # does not pay for the generation's first reading (it would write every page back).
        cursor.execute("VACUUM ANALYZE incidents_incident")
        cursor.execute("VACUUM ANALYZE escalation_slaclock")
    print(f"generated {count} incidents and their SLA clocks in {time.perf_counter() - started:.1f} s")


def recompute() -> None:
    from django.db import connection

    from postmortems.rollups import rollups_recompute

    parts: dict[str, float] = {"facts": 0.0, "sums": 0.0, "other": 0.0}

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            part = (
                "facts"
                if sql.startswith('INSERT INTO "postmortems_metricfact"')
                else "sums"
                if sql.startswith('INSERT INTO "postmortems_metricrollup"')
                else "other"
            )
            parts[part] += time.perf_counter() - started

    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        result = rollups_recompute()
    elapsed = time.perf_counter() - started
    print(
        f"full recompute: {elapsed:.1f} s ({result['incidents']} incidents, {result['rollups']} rollup rows): "
        f"facts (INSERT ... SELECT of the figures) {parts['facts']:.1f} s, sums per day and group "
        f"{parts['sums']:.1f} s, other statements {parts['other']:.1f} s"
    )


def summary_latency(requests: int) -> None:
    import datetime as dt

    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from config.authentication import api_token_create
    from incidents.metrics import reporting_calendar

    manager = User.objects.create_user("bench-manager")
    manager.groups.add(Group.objects.get(name="managers"))
    token = api_token_create(user=manager)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    calendar = reporting_calendar()
    today = calendar.day(dt.datetime.now(dt.UTC))
    first, last = today - dt.timedelta(days=365), today
    path = f"/api/v1/metrics/summary/?since={first}&until={last}&group_by=priority"
    bare = "SELECT * FROM postmortems_metricrollup WHERE dimension IN ('all', 'priority') AND day >= %s AND day < %s"
    assert client.get(path).status_code == 200
    endpoint, select = [], []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        endpoint.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(bare, [first, last])
            rows = cursor.fetchall()
        select.append(time.perf_counter() - started)
    body = response.json()
    print(
        f"summary over {first}..{last}: {body['incident_count']} incidents, {len(rows)} rollup rows selected bare"
    )

    def p(values: list[float], q: float) -> float:
        return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000

    for name, values in (("summary endpoint", endpoint), ("bare SELECT", select)):
        print(
            f"{name}: p50 {p(values, 0.5):.1f} ms, p99 {p(values, 0.99):.1f} ms, mean {statistics.mean(values) * 1000:.1f} ms"
        )
    print(
        f"endpoint / bare SELECT: p50 {p(endpoint, 0.5) / p(select, 0.5):.2f}x, p99 {p(endpoint, 0.99) / p(select, 0.99):.2f}x"
    )


def late_edit() -> None:
    from django.db.models import Min

    from incidents.models import Incident
    from incidents.services import incident_update
    from postmortems.rollups import rollups_refresh

    oldest = Incident.objects.exclude(state="cancelled").aggregate(first=Min("id"))["first"]
    incident_update(incident_id=oldest, by=None, changes={"title": "edited two years later", "impact": 1})
    started = time.perf_counter()
    refreshed = rollups_refresh()
    print(
        f"late edit of one old incident: refresh of {refreshed} incident in {(time.perf_counter() - started) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
