"""The escalation app's admin pages, one module per concept; each module mirrors its model module in
`escalation/models/` (the admin of `models/oncall.py` is `admin/oncall.py`). Django's autodiscovery imports
this package, which imports every module so that each registers its pages."""

from . import audit, calendar, contact, oncall, outbox, policy, sla, stakeholder, team, timer, tokens, webhook

__all__ = [
    "audit",
    "calendar",
    "contact",
    "oncall",
    "outbox",
    "policy",
    "sla",
    "stakeholder",
    "team",
    "timer",
    "tokens",
    "webhook",
]
