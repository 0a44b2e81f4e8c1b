"""The escalation engine's data. One module per concept; every model is re-exported here."""

from .team import Team, UserProfile

__all__ = ["Team", "UserProfile"]
