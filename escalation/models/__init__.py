"""The escalation engine's data. One module per concept; every model is re-exported here."""

from .calendar import BusinessCalendar, Holiday, Weekday, WorkingInterval
from .oncall import HandOff, Override, Rotation, RotationMember, Schedule
from .team import Team, UserProfile

__all__ = [
    "BusinessCalendar",
    "HandOff",
    "Holiday",
    "Override",
    "Rotation",
    "RotationMember",
    "Schedule",
    "Team",
    "UserProfile",
    "Weekday",
    "WorkingInterval",
]
