"""The escalation engine's data. One module per concept; every model is re-exported here."""

from .audit import AuditAction, AuditEntry, AuditVia
from .calendar import BusinessCalendar, Holiday, Weekday, WorkingInterval
from .contact import ContactMethod, NotificationRule
from .oncall import HandOff, OnCallFeed, Override, Rotation, RotationMember, Schedule
from .outbox import Channel, DeliveryAttempt, Notification, NotificationState
from .policy import Escalation, EscalationLevel, EscalationPolicy, EscalationState
from .sla import SLA_CLOCK_OPEN, SlaClock, SlaClockKind, SlaClockState, SlaPolicy
from .stakeholder import Audience, CommunicationRule, ReportingRule, StakeholderGroup
from .team import Team, UserProfile
from .timer import Timer, TimerState
from .webhook import WebhookSubscription

__all__ = [
    "AuditAction",
    "AuditEntry",
    "AuditVia",
    "BusinessCalendar",
    "HandOff",
    "Holiday",
    "OnCallFeed",
    "Override",
    "Rotation",
    "RotationMember",
    "Schedule",
    "Team",
    "UserProfile",
    "Weekday",
    "WorkingInterval",
]
__all__ += [
    "SLA_CLOCK_OPEN",
    "Audience",
    "Channel",
    "CommunicationRule",
    "ContactMethod",
    "DeliveryAttempt",
    "Escalation",
    "EscalationLevel",
    "EscalationPolicy",
    "EscalationState",
    "Notification",
    "NotificationRule",
    "NotificationState",
    "ReportingRule",
    "SlaClock",
    "SlaClockKind",
    "SlaClockState",
    "SlaPolicy",
    "StakeholderGroup",
    "Timer",
    "TimerState",
    "WebhookSubscription",
]
