"""Incident search at scale (incidents.selectors.incident_search on PostgreSQL with its trigram indexes).

Fills BENCH_INCIDENTS incidents (default 10^6) with mixed-script titles and descriptions (English, Korean,
Japanese, Traditional Chinese, Persian; Japanese and Chinese without spaces), an alert with a CamelCase
alert name on one in ten and a comment on one in ten, then times what the API's list does for a search:
the count (capped like the API's) and the first page of 25, best first. Each kind of term runs BENCH_ROUNDS times (default 50)
after a warm-up; p50 / p99 / max in milliseconds.

Run by hand, on a database of its own (the fill deletes every incident in it):

    createdb -h 127.0.0.1 -U postgres vigil_search_bench
    DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=false VIGIL_VAR_DIR=/tmp/vigil_search_bench \\
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/vigil_search_bench BENCH_INCIDENTS=1000000 \\
        .venv/bin/python bench/search.py

`BENCH_KEEP=1` reuses the rows of a previous run of the same size (no refill).
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from config.pagination import CappedCountPaginator  # noqa: E402
from incidents.models import AlertPayload, Incident, Integration, IntegrationKind  # noqa: E402
from incidents.selectors import incident_search  # noqa: E402

INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "50"))
PAGE = 25

# Fragments per language; a title is three of one language (joined without spaces in ja and zh-Hant).
FRAGMENTS = {
    "en": [
        "Checkout",
        "payment",
        "latency",
        "timeout",
        "disk full",
        "VPN",
        "login",
        "printer",
        "badge",
        "DNS",
    ],
    "ko": [
        "결제가",
        "서버",
        "장애",
        "지연",
        "로그인",
        "실패했습니다",
        "네트워크가",
        "프린터",
        "배지를",
        "분실",
    ],
    "ja": [
        "東京",
        "サーバー",
        "が応答しません",
        "決済",
        "遅延",
        "ログイン",
        "障害",
        "ネットワーク",
        "紛失",
        "印刷",
    ],
    "zh": ["台北", "伺服器", "當機", "付款", "延遲", "登入", "失敗", "網路", "遺失", "印表機"],
    "fa": ["سرور", "پرداخت", "کند", "قطع", "ورود", "خطا", "شبکه", "چاپگر", "کارت", "گم شد"],
}
SEPARATOR = {"en": " ", "ko": " ", "ja": "", "zh": "", "fa": " "}
ALERT_NAMES = ["KubePodCrashLooping", "CheckoutLatencyHigh", "NodeDiskPressure", "TargetDown", "CertExpiring"]


def fill() -> None:
    """Incidents by generate_series (one statement per language), then alerts and comments."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE incidents_incident, incidents_alert, incidents_alertpayload, incidents_timelineevent CASCADE"
        )
        Integration.objects.filter(name="bench-search").delete()
        per_language = INCIDENTS // len(FRAGMENTS)
        for language, words in FRAGMENTS.items():
            sep = SEPARATOR[language]
            cursor.execute(
                """
                INSERT INTO incidents_incident (title, description, state, impact, urgency, priority, source,
                    resolution_code, resolution_notes, reported_at, time_on_hold, updated_at, impact_scope,
                    affected_parties, interim_measure)
                SELECT w[1 + (i * 7) %% 10] || %(sep)s || w[1 + (i * 3 / 10) %% 10] || %(sep)s
                       || w[1 + (i / 100) %% 10] || ' #' || i,
                       w[1 + (i / 1000) %% 10] || %(sep)s || w[1 + (i * 13) %% 10],
                       'resolved', 3, 3, 3, 'api', '', '',
                       now() - (i || ' minutes')::interval, interval '0', now(), '', '', ''
                FROM generate_series(1, %(n)s) AS i, (SELECT %(words)s::text[] AS w) AS f
                """,
                {"sep": sep, "n": per_language, "words": words},
            )
        integration = Integration(name="bench-search", kind=IntegrationKind.ALERTMANAGER)
        integration.set_key("bench-search-key-0123456789")
        integration.save()
        payload = AlertPayload.objects.create(
            integration=integration, format="alertmanager", received_at=timezone.now(), raw_body="{}"
        )
        cursor.execute(
            """
            INSERT INTO incidents_alert (dedup_key, fingerprint, status, severity, summary, labels, labels_text,
                annotations, details, received_at, payload_id, integration_id, incident_id)
            SELECT 'd' || id, 'f' || id, 'firing', 'critical', '', '{}',
                   'alertname=' || (%(names)s::text[])[1 + (id / 10) %% 5] || ' namespace=ns' || (id %% 97),
                   '{}', '{}', now(), %(payload)s, %(integration)s, id
            FROM incidents_incident WHERE id %% 10 = 3
            """,
            {"names": ALERT_NAMES, "payload": payload.pk, "integration": integration.pk},
        )
        cursor.execute(
            """
            INSERT INTO incidents_timelineevent (kind, created_at, from_state, to_state, transition, note,
                is_public, data, incident_id)
            SELECT 'comment', now(), '', '', '', 'ルーターを再起動しました; 고객에게 안내함 ' || id, true, '{}', id
            FROM incidents_incident WHERE id % 10 = 7
            """
        )
        cursor.execute("VACUUM ANALYZE incidents_incident")
        cursor.execute("VACUUM ANALYZE incidents_alert")
        cursor.execute("VACUUM ANALYZE incidents_timelineevent")


def one_search(term: str) -> float:
    """The API's work for `?search=term`: the count (capped at VIGIL_SEARCH_COUNT_MAX, as the API's paginator
    counts: config/pagination.py) and the first page, in milliseconds."""
    started = time.perf_counter()
    found = incident_search(Incident.objects.all(), term)
    CappedCountPaginator(found, PAGE).count  # noqa: B018 (the property runs the count)
    list(found.values_list("pk", flat=True)[:PAGE])
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    call_command("migrate", verbosity=0)
    if not (os.environ.get("BENCH_KEEP") and Incident.objects.count() >= INCIDENTS * 0.99):
        started = time.perf_counter()
        fill()
        print(f"filled {Incident.objects.count()} incidents in {time.perf_counter() - started:.0f} s")
    first = Incident.objects.order_by("id").values_list("id", flat=True).first() or 1
    kinds = {
        "two characters (ja, 東京)": ["東京"],
        "two characters (ko, 서버)": ["서버"],
        "two characters (zh-Hant, 當機)": ["當機"],
        "two characters (en, DN)": ["DN"],
        "reference (INC-...)": [f"INC-{first + i * 977:06d}" for i in range(ROUNDS)],
        "a part of a CamelCase alert name (CrashLoop)": ["CrashLoop"],
        "a longer word (ja, サーバー)": ["サーバー"],
        "two words (ko, 결제가 실패)": ["결제가 실패"],
        "rare word (ko, #12345)": ["#12345"],
    }
    print(f"{'term':48} {'matches':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for label, terms in kinds.items():
        one_search(terms[0])  # warm-up
        timings = [one_search(terms[i % len(terms)]) for i in range(ROUNDS)]
        matches = incident_search(Incident.objects.all(), terms[0]).count()
        print(
            f"{label:48} {matches:>9} {percentile(timings, 0.5):>8.1f} {percentile(timings, 0.99):>8.1f}"
            f" {max(timings):>8.1f}"
        )


if __name__ == "__main__":
    main()
