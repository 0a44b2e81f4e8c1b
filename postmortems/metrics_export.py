"""Prometheus exposition at `/metrics`: django-prometheus's figures of the framework (requests, latency,
database) and Vigil's own gauges, read from the database at each scrape so that any process answers the
same: open incidents by priority, SLA clocks breached, the outbox backlog, timer lag, queue lag, and how
many incidents wait for the metric rollups.

Protected: a bearer token (`VIGIL_METRICS_TOKEN`) or a client address in `VIGIL_METRICS_ALLOWED_NETWORKS`;
with neither configured, nobody (403). README.md says how to configure Prometheus."""

import contextlib
import hmac
import ipaddress
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

logger = logging.getLogger(__name__)


class VigilCollector:
    """Vigil's gauges, computed when Prometheus scrapes (a handful of indexed counts)."""

    NAMES = (
        "vigil_incidents_open",
        "vigil_incidents_open_sla_breached",
        "vigil_sla_breached_clocks",
        "vigil_outbox_pending",
        "vigil_outbox_oldest_pending_seconds",
        "vigil_timers_due",
        "vigil_timer_lag_seconds",
        "vigil_celery_queue_length",
        "vigil_metric_rollups_pending",
    )

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The names, without touching the database (the registry asks when the collector is added)."""
        for name in self.NAMES:
            yield GaugeMetricFamily(name, name)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from escalation.models import (
            Notification,
            NotificationState,
            SlaClock,
            SlaClockState,
            Timer,
            TimerState,
        )
        from incidents.models import Incident
        from incidents.models.incident import OPEN_STATES

        from .rollups import rollups_pending

        now = timezone.now()
        open_incidents = GaugeMetricFamily(
            "vigil_incidents_open",
            "Open incidents (new, acknowledged, in progress, on hold).",
            labels=["priority"],
        )
        counts = dict(
            Incident.objects.filter(state__in=OPEN_STATES)
            .values_list("priority")
            .annotate(n=Count("id"))
            .order_by()
        )
        for priority in (1, 2, 3, 4):
            open_incidents.add_metric([f"P{priority}"], counts.get(priority, 0))
        yield open_incidents

        breached_ids = SlaClock.objects.filter(
            subject_type=ContentType.objects.get_for_model(Incident), state=SlaClockState.BREACHED
        ).values("subject_id")
        in_breach = dict(
            Incident.objects.filter(state__in=OPEN_STATES, pk__in=breached_ids)
            .values_list("priority")
            .annotate(n=Count("id"))
            .order_by()
        )
        breaches = GaugeMetricFamily(
            "vigil_incidents_open_sla_breached",
            "Open incidents with a breached SLA clock.",
            labels=["priority"],
        )
        for priority in (1, 2, 3, 4):
            breaches.add_metric([f"P{priority}"], in_breach.get(priority, 0))
        yield breaches
        clocks = GaugeMetricFamily(
            "vigil_sla_breached_clocks",
            "SLA clocks that ever breached, by kind (all subjects).",
            labels=["kind"],
        )
        totals = dict(
            SlaClock.objects.filter(state=SlaClockState.BREACHED)
            .values_list("kind")
            .annotate(n=Count("id"))
            .order_by()
        )
        for kind in ("acknowledge", "resolve"):
            clocks.add_metric([kind], totals.get(kind, 0))
        yield clocks

        pending = Notification.objects.filter(state=NotificationState.PENDING).aggregate(
            n=Count("id"), oldest=Min("created_at")
        )
        yield GaugeMetricFamily(
            "vigil_outbox_pending", "Notifications waiting to be delivered.", value=pending["n"]
        )
        yield GaugeMetricFamily(
            "vigil_outbox_oldest_pending_seconds",
            "Age of the oldest notification waiting to be delivered (queue lag of the outbox).",
            value=(now - pending["oldest"]).total_seconds() if pending["oldest"] else 0,
        )
        overdue = Timer.objects.filter(state=TimerState.PENDING, due_at__lte=now).aggregate(
            n=Count("id"), oldest=Min("due_at")
        )
        yield GaugeMetricFamily("vigil_timers_due", "Timers due and not fired yet.", value=overdue["n"])
        yield GaugeMetricFamily(
            "vigil_timer_lag_seconds",
            "How late the oldest due timer is (0 when the sweep keeps up).",
            value=(now - overdue["oldest"]).total_seconds() if overdue["oldest"] else 0,
        )
        queues = GaugeMetricFamily(
            "vigil_celery_queue_length",
            "Tasks waiting in each Celery queue (Redis broker only).",
            labels=["queue"],
        )
        for queue, length in _queue_lengths().items():
            queues.add_metric([queue], length)
        yield queues
        yield GaugeMetricFamily(
            "vigil_metric_rollups_pending",
            "Changed incidents waiting for the metric rollups.",
            value=rollups_pending(),
        )


def _queue_lengths() -> dict[str, int]:
    """LLEN of each queue on a Redis broker; nothing for other brokers (their own exporters know)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        return {name: int(client.llen(name)) for name in settings.CELERY_TASK_QUEUES_NAMES}
    except redis.RedisError:
        logger.warning("metrics: the broker's queue lengths could not be read", exc_info=True)
        return {}


_collector = VigilCollector()


def collector_register(registry: CollectorRegistry = REGISTRY) -> None:
    """Add Vigil's gauges to the registry django-prometheus exposes (once per process)."""
    with contextlib.suppress(ValueError):  # registered already (apps set up again in the same process)
        registry.register(_collector)


def _allowed(request: HttpRequest) -> bool:
    token = settings.VIGIL_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.VIGIL_METRICS_ALLOWED_NETWORKS
    )


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics: the Prometheus text exposition, for the token's holder or an allowed network."""
    if not _allowed(request):
        response: Any = JsonResponse(
            {"code": "permission_denied", "detail": "A bearer token or an allowed address is needed."},
            status=403,
        )
        if settings.VIGIL_METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
