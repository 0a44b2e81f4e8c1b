"""Heartbeats: a monitor that must check in every N minutes; a missed check-in opens an incident, the next
check-in resolves it.

The watch arms at the first check-in (a monitor being set up is not an outage). The sweep is a periodic
Celery beat task; it claims overdue integrations with `FOR UPDATE SKIP LOCKED` and clears their due time in
the same transaction that opens the incident, and the incident goes through the alert group of the
`vigil:heartbeat` key (one open group per key): running it twice, or on two workers, opens one incident."""

import json
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict

from ..models import Integration, PayloadFormat
from .ingest import IngestResult, alerts_ingest
from .payloads import Action, AlertBatch, AlertEvent
from .rules import open_group

HEARTBEAT_KEY = "vigil:heartbeat"
SWEEP_BATCH = 100


class HeartbeatDisabled(Conflict):
    code = "heartbeat_disabled"


def heartbeat_next_due(integration: Integration) -> datetime | None:
    if not integration.heartbeat_interval_minutes or integration.last_heartbeat_at is None:
        return None
    return integration.last_heartbeat_at + timedelta(minutes=integration.heartbeat_interval_minutes)


def _batch(integration: Integration, action: str, now: datetime) -> AlertBatch:
    minutes = integration.heartbeat_interval_minutes
    summary = (
        _("%(name)s missed its heartbeat (expected every %(minutes)d minutes).")
        if action == Action.FIRING
        else _("%(name)s checked in again.")
    ) % {"name": integration.name, "minutes": minutes}
    last = integration.last_heartbeat_at.isoformat() if integration.last_heartbeat_at else None
    event = AlertEvent(
        action=action,
        fingerprint=HEARTBEAT_KEY,
        summary=summary,
        severity="critical",
        labels={"alertname": "MissedHeartbeat", "integration": integration.name},
        details={"last_check_in": last, "interval_minutes": minutes},
        starts_at=now if action == Action.FIRING else None,
        ends_at=now if action == Action.RESOLVED else None,
    )
    return AlertBatch(
        format=PayloadFormat.HEARTBEAT,
        dedup_key=HEARTBEAT_KEY,
        source_key=HEARTBEAT_KEY,
        events=[event],
        title=summary,
        description=_("Last check-in: %(last)s.") % {"last": last or _("never")},
        severity="critical",
    )


def heartbeat_check_in(
    *,
    integration: Integration,
    raw_body: str = "",
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> datetime:
    """Records a check-in and answers when the next one is due; resolves a missed-heartbeat incident."""
    if not integration.heartbeat_interval_minutes:
        raise HeartbeatDisabled(
            _("Integration %(name)s has no heartbeat interval.") % {"name": integration.name}
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = Integration.objects.select_for_update().get(pk=integration.pk)
        was_missed = open_group(locked.pk, HEARTBEAT_KEY).exists()
        locked.last_heartbeat_at = now
        locked.heartbeat_due_at = heartbeat_next_due(locked)
        locked.save(update_fields=["last_heartbeat_at", "heartbeat_due_at"])
        if was_missed:
            alerts_ingest(
                integration=locked,
                batch=_batch(locked, Action.RESOLVED, now),
                raw_body=raw_body,
                remote_addr=remote_addr,
                now=now,
            )
    return locked.heartbeat_due_at  # type: ignore[return-value]  # set: the interval and the check-in are


def heartbeat_sweep(*, now: datetime | None = None) -> list[IngestResult]:
    """Opens an incident for every enabled integration whose check-in is overdue. Idempotent."""
    now = now or timezone.now()
    results = []
    with transaction.atomic():
        overdue = list(
            Integration.objects.select_for_update(skip_locked=True)
            .filter(Q(heartbeat_due_at__lte=now), enabled=True, heartbeat_interval_minutes__gt=0)
            .order_by("heartbeat_due_at")[:SWEEP_BATCH]
        )
        for integration in overdue:
            # Cleared with the incident: the watch re-arms at the next check-in.
            integration.heartbeat_due_at = None
            integration.save(update_fields=["heartbeat_due_at"])
            raw = json.dumps({"vigil": "heartbeat missed", "due_at": now.isoformat()})
            results.append(
                alerts_ingest(
                    integration=integration,
                    batch=_batch(integration, Action.FIRING, now),
                    raw_body=raw,
                    now=now,
                )
            )
    return results
