"""Everything on one incident, for its admin page and its API detail: the SLA clocks with the time left or
overdue, the escalation (policy, level, who was paged when and how, who acknowledged), the alerts behind it
(labels, fingerprints, firing or resolved) and the notifications sent about it to each audience. Reads only."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from escalation.overview import subject_clocks, subject_escalations, subject_notifications

from .models import Alert, AlertGroup, Incident

ALERTS_SHOWN = 50


def incident_alerts(incident: Incident, *, limit: int = ALERTS_SHOWN) -> dict[str, Any]:
    """The alert groups that opened or joined the incident, each fingerprint firing or resolved, and its latest
    alerts (newest first, at most `limit`; `count` says how many there are)."""
    groups = [
        {
            "integration": group.integration.name,
            "dedup_key": group.dedup_key,
            "is_open": group.is_open,
            "alert_count": group.alert_count,
            "opened_at": group.opened_at,
            "last_alert_at": group.last_alert_at,
            "closed_at": group.closed_at,
            "fingerprints": [
                {"fingerprint": fingerprint, "firing": bool(state.get("firing"))}
                for fingerprint, state in sorted(group.fingerprints.items())
            ],
        }
        for group in AlertGroup.objects.filter(incident=incident)
        .select_related("integration")
        .order_by("-opened_at", "-pk")
    ]
    alerts = Alert.objects.filter(incident=incident).order_by("-received_at", "-pk")
    return {
        "count": alerts.count(),
        "groups": groups,
        "latest": [
            {
                "fingerprint": alert.fingerprint,
                "status": alert.status,
                "status_label": str(alert.get_status_display()),
                "severity": alert.severity,
                "summary": alert.summary,
                "labels": alert.labels,
                "starts_at": alert.starts_at,
                "ends_at": alert.ends_at,
                "received_at": alert.received_at,
            }
            for alert in alerts[:limit]
        ],
    }


def incident_overview(incident: Incident, *, now: datetime | None = None) -> dict[str, Any]:
    """The four sections of an incident's page, for people who may see its internals (agents, managers)."""
    now = now or timezone.now()
    return {
        "sla_clocks": subject_clocks(incident, now=now, subject_open=incident.is_open),
        "escalations": subject_escalations(incident),
        "alerts": incident_alerts(incident),
        "notifications": subject_notifications(incident),
    }
