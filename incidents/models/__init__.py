"""Incident data: the service catalogue, the incident and its lifecycle, the timeline."""

from .catalog import (
    Criticality,
    Impact,
    IncidentCategory,
    Priority,
    PriorityMatrixCell,
    Service,
    Urgency,
    default_priority,
)
from .incident import Incident, IncidentState, ResolutionCode, Source
from .timeline import TimelineEvent

__all__ = [
    "Criticality",
    "Impact",
    "Incident",
    "IncidentCategory",
    "IncidentState",
    "Priority",
    "PriorityMatrixCell",
    "ResolutionCode",
    "Service",
    "Source",
    "TimelineEvent",
    "Urgency",
    "default_priority",
]
