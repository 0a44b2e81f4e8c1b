from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _incident_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    from .rollups import rollup_mark

    rollup_mark(incident_ids=[instance.pk])


def _incident_event(*, subject: Any, **kwargs: Any) -> None:
    from incidents.models import Incident

    from .rollups import rollup_mark

    if isinstance(subject, Incident):
        rollup_mark(incident_ids=[subject.pk])


class PostmortemsConfig(AppConfig):
    """Post-incident reviews, action items, metric rollups and the managers' reports. Depends on incidents
    and escalation."""

    name = "postmortems"
    verbose_name = _("Post-mortems and reports")

    def ready(self) -> None:
        from escalation.registry import event_listener_register, subject_type_register
        from incidents.models import Incident

        from .events import events_register
        from .metrics_export import collector_register
        from .services import on_record_resolved
        from .subjects import ActionItemSubject, PostmortemSubject, WeeklyDigestSubject

        subject_type_register(PostmortemSubject())
        subject_type_register(ActionItemSubject())
        subject_type_register(WeeklyDigestSubject())
        events_register()
        # A resolved major incident opens its post-mortem in the same transaction (issue #9 emits it).
        event_listener_register("major_incident.resolved", on_record_resolved)
        # Rollups: every change to an incident marks it for the next refresh, in the changing transaction.
        # Saves through the ORM (people's reports, transitions, edits) and deletes are seen here; an incident
        # an alert opened in one statement is seen when it engages (incident.created); an SLA clock that
        # breaches changes no incident row, so its event is heard too. Only a row is written: the refresh
        # task does the work after commit (docs/reports.md).
        post_save.connect(_incident_changed, sender=Incident, dispatch_uid="postmortems.rollup_mark_save")
        post_delete.connect(_incident_changed, sender=Incident, dispatch_uid="postmortems.rollup_mark_delete")
        for event in ("incident.created", "sla.breached"):
            event_listener_register(event, _incident_event)
        collector_register()
