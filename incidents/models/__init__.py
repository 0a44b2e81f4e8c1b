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
from .command import (
    ActionPlanStep,
    ActionPlanTemplate,
    CommandRole,
    Objective,
    OutsidePerson,
    RoleAssignment,
    Task,
    TaskPriority,
    TaskState,
    TeamMember,
    Workstream,
)
from .flag import MajorIncidentFlag
from .incident import Incident, IncidentState, ResolutionCode, Source
from .integration import Integration, IntegrationKind
from .major_comms import StatusPageService, StatusSubscription, StatusUpdate
from .major_incident import ACTIVE_STATES as ACTIVE_MAJOR_STATES
from .major_incident import (
    Cause,
    DeclaredVia,
    MajorIncident,
    MajorIncidentConfiguration,
    MajorIncidentLink,
    MajorIncidentLogEntry,
    MajorIncidentState,
    Severity,
)
from .major_logistics import Cost, FundAllocation, ResourceRequest
from .silence import Silence
from .timeline import TimelineEvent

__all__ = [
    "ACTIVE_MAJOR_STATES",
    "ActionPlanStep",
    "ActionPlanTemplate",
    "Alert",
    "AlertGroup",
    "AlertPayload",
    "AlertStatus",
    "Cause",
    "CommandRole",
    "Cost",
    "Criticality",
    "DeclaredVia",
    "FundAllocation",
    "Impact",
    "Incident",
    "IncidentCategory",
    "IncidentState",
    "Integration",
    "IntegrationKind",
    "MajorIncident",
    "MajorIncidentConfiguration",
    "MajorIncidentFlag",
    "MajorIncidentLink",
    "MajorIncidentLogEntry",
    "MajorIncidentState",
    "Objective",
    "OutsidePerson",
    "PayloadFormat",
    "Priority",
    "PriorityMatrixCell",
    "ResolutionCode",
    "ResourceRequest",
    "RoleAssignment",
    "Service",
    "Severity",
    "Silence",
    "Source",
    "StatusPageService",
    "StatusSubscription",
    "StatusUpdate",
    "Task",
    "TaskPriority",
    "TaskState",
    "TeamMember",
    "TimelineEvent",
    "Urgency",
    "Workstream",
    "default_priority",
]
