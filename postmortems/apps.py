from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostmortemsConfig(AppConfig):
    """Post-incident reviews, action items and metric rollups. Depends on incidents and escalation."""

    name = "postmortems"
    verbose_name = _("Post-mortems")
