from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    from .roles import roles_sync

    roles_sync(kwargs.get("apps") or apps)


class IncidentsConfig(AppConfig):
    """Services, incidents and their timeline; later alerts, major incidents, problems and changes."""

    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        # Keeps the roles' permissions complete when later migrations add models (see incidents.roles).
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="incidents.sync_roles")
        # Tells the escalation engine how to describe incidents (it never imports this app).
        from escalation.subjects import subject_adapter_register

        from .models import Incident
        from .subjects import IncidentAdapter

        subject_adapter_register(model=Incident, adapter=IncidentAdapter())
        # Connects the signals that keep this process's integration cache true.
        from .integrations import selectors  # noqa: F401
