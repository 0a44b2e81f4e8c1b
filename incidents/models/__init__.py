"""Incident data: the service catalogue, the incident and its lifecycle, the timeline."""

from .alert import Alert, AlertGroup, AlertPayload, AlertStatus, PayloadFormat
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
from .flag import MajorIncidentFlag
from .incident import Incident, IncidentState, ResolutionCode, Source
from .integration import Integration, IntegrationKind
from .silence import Silence
from .timeline import TimelineEvent

__all__ = [
    "Alert",
    "AlertGroup",
    "AlertPayload",
    "AlertStatus",
    "Criticality",
    "Impact",
    "Incident",
    "IncidentCategory",
    "IncidentState",
    "Integration",
    "IntegrationKind",
    "MajorIncidentFlag",
    "PayloadFormat",
    "Priority",
    "PriorityMatrixCell",
    "ResolutionCode",
    "Service",
    "Silence",
    "Source",
    "TimelineEvent",
    "Urgency",
    "default_priority",
]
