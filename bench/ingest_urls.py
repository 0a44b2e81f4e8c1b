"""The product's URLs plus `POST /bench/bare/`: a bare Django view doing one `INSERT ... ON CONFLICT`, the
yardstick the ingestion endpoints are measured against. Benchmark only, never in config/urls.py."""

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

BARE_TABLE = "bench_bare"


@csrf_exempt
@require_POST
def bare(request: HttpRequest) -> JsonResponse:
    """Parse the JSON body, upsert one row by its dedup key, answer 202: the least any ingestion must do."""
    key = str(json.loads(request.body).get("dedup_key", ""))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_TABLE} (k, n) VALUES (%s, 1) ON CONFLICT (k) DO UPDATE SET n = {BARE_TABLE}.n + 1",  # noqa: S608
            [key],
        )
    return JsonResponse({"status": "success", "dedup_key": key}, status=202)


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("config.urls")),
]
