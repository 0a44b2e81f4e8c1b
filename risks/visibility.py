"""Which of this app's rows a user may name (config.permissions), and this app's configuration declared to
the engine's audit log (escalation.audit). Called from `RisksConfig.ready()`."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from config.permissions import visible_register
from escalation.audit import audit_register

from .models import KRI, Area, PrecursorRule, RiskMatrix


def visible_areas(user: User) -> QuerySet[Area]:
    # Anyone may report a risk (POST /api/v1/risks/report/) and so pick its area: the areas are a catalogue.
    return Area.objects.all()


def risks_register() -> None:
    visible_register(Area, visible_areas)
    # Matrices, key risk indicators (their thresholds) and precursor rules are configuration.
    audit_register(RiskMatrix)
    audit_register(KRI, exclude=("state", "state_since", "value", "evaluated_at", "red_acknowledged_at"))
    audit_register(PrecursorRule)
