"""What opening an incident writes beside the incident itself, stated once for `services.incident_create` and
ingestion's opening statement (`incidents.integrations.one_statement`): the "created" line of its timeline,
and the timer that engages an incident opened by an alert (`services.incident_engage`)."""

from datetime import datetime
from typing import Any

from .models import IncidentState, TimelineEvent

# The timer that engages an incident opened by an alert (see services.incident_engage).
ENGAGE_TIMER = "incident.engage"


def created_line(
    *,
    priority: int,
    source: str,
    at: datetime,
    actor_id: int | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fields (by attname) of a new incident's "created" line: who reported it (nobody for Vigil itself),
    its priority and source, and what opened it (`note`, `data`)."""
    return {
        "kind": TimelineEvent.Kind.CREATED,
        "actor_id": actor_id,
        "created_at": at,
        "to_state": IncidentState.NEW,
        "note": note,
        "data": {"priority": priority, "source": source, **(data or {})},
    }


def engage_timer(*, reported_at: datetime) -> dict[str, Any]:
    """The fields of the timer that engages an incident opened by an alert: due when the alert arrived, so
    that the sweep engages it at its next run (and clocks count from the alert either way)."""
    return {"kind": ENGAGE_TIMER, "due_at": reported_at}
