"""The engine's configuration models, and Django's groups and users (the groups are Vigil's roles), declared
to the audit log (escalation.audit). Called from `EscalationConfig.ready()`."""

from django.contrib.auth.models import Group, User

from .audit import audit_register
from .models import (
    BusinessCalendar,
    CommunicationRule,
    ContactMethod,
    EscalationPolicy,
    NotificationRule,
    ReportingRule,
    Rotation,
    Schedule,
    SlaPolicy,
    StakeholderGroup,
    Team,
    WebhookSubscription,
)


def audited_register() -> None:
    audit_register(Team)
    audit_register(BusinessCalendar, children=("intervals", "holidays"))
    audit_register(Schedule, children=("rotations",))
    audit_register(Rotation, children=("members",))
    audit_register(SlaPolicy)
    audit_register(EscalationPolicy, children=("levels",))
    audit_register(StakeholderGroup)
    audit_register(CommunicationRule)
    audit_register(ReportingRule)
    audit_register(WebhookSubscription, secret=("secret",))
    audit_register(ContactMethod, secret=("secret",))
    audit_register(NotificationRule)
    # Roles: who is in which group, and what each group may do.
    audit_register(Group)
    audit_register(User, secret=("password",), exclude=("last_login",))
