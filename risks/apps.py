from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisksConfig(AppConfig):
    """Risk register, key risk indicators and the weekly radar. Depends on incidents and escalation."""

    name = "risks"
    verbose_name = _("Risks")
