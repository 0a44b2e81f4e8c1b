"""This app's configuration models, declared to the engine's audit log (escalation.audit) from
`IncidentsConfig.ready()`: the service catalogue, categories, the priority matrix, integrations, the
major-incident configuration, action-plan templates, the status page's services and the problem and
change configuration."""

from escalation.audit import audit_register

from .models import (
    ActionPlanTemplate,
    IncidentCategory,
    Integration,
    MajorIncidentConfiguration,
    PriorityMatrixCell,
    ProblemChangeConfiguration,
    Service,
    StatusPageService,
)


def audited_register() -> None:
    audit_register(Service)
    audit_register(IncidentCategory)
    audit_register(PriorityMatrixCell)
    # The key is stored as a digest and shown once: the log says when it changed, never what it is. Check-ins
    # are the integration's traffic, not its configuration.
    audit_register(
        Integration,
        secret=("key_hash", "hmac_secret"),
        exclude=("last_heartbeat_at", "heartbeat_due_at"),
    )
    audit_register(MajorIncidentConfiguration)
    audit_register(ActionPlanTemplate, children=("steps",))
    audit_register(StatusPageService)
    # Problems and changes: the recurring-incident threshold, approvals each risk level needs, review delays.
    audit_register(ProblemChangeConfiguration)
