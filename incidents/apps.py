from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    from .roles import roles_sync

    roles_sync(kwargs.get("apps") or apps)


def _major_incident_has_problem(major_incident: Any) -> bool:
    return bool(major_incident.problems.exists())


class IncidentsConfig(AppConfig):
    """Services, incidents and their timeline, alerts, major incidents, problems and changes."""

    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        # Keeps the roles' permissions complete when later migrations add models (see incidents.roles).
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="incidents.sync_roles")
        # Incident search's text similarity on SQLite (incidents.search.TextSimilarity).
        from django.db.backends.signals import connection_created

        from .search import sqlite_functions_register

        connection_created.connect(sqlite_functions_register, dispatch_uid="incidents.sqlite_functions")
        # What the escalation engine needs of this app (it never imports it): how to see an incident, the
        # events incidents emit, and what the incident.engage timer does.
        from escalation.registry import subject_type_register, timer_handler_register

        from .creation import ENGAGE_TIMER
        from .events import events_register
        from .major.subjects import MajorIncidentSubject, TaskSubject
        from .services import on_engage_timer
        from .subjects import IncidentSubject

        subject_type_register(IncidentSubject())
        # Major incidents (incidents/major/): paged, reminded and told about through the engine too.
        subject_type_register(MajorIncidentSubject())
        subject_type_register(TaskSubject())
        events_register()
        timer_handler_register(ENGAGE_TIMER, on_engage_timer)
        # Problems and changes (incidents/problems/, incidents/changes/): approval and review reminders are the
        # engine's reminders (escalation.reminders), so they need no timer handler of their own.
        from .changes.events import change_events_register
        from .changes.subjects import ChangeSubject
        from .major.conditions import root_cause_check_register
        from .problems.events import problem_events_register
        from .problems.subjects import ProblemSubject

        subject_type_register(ProblemSubject())
        subject_type_register(ChangeSubject())
        problem_events_register()
        change_events_register()
        # Resolving a major incident needs its root cause recorded: a linked problem does.
        root_cause_check_register(_major_incident_has_problem)
        # Which incidents, declarations and people each user may name (config.permissions).
        from .audited import audited_register
        from .visibility import visibility_register

        visibility_register()
        # Configuration changes go to the engine's audit log (escalation.audit).
        audited_register()
        # Connects the signals that keep this process's integration cache true.
        # And its cached reporting calendar (incidents.metrics): any change to a calendar drops it.
        from django.core.signals import setting_changed
        from django.db.models.signals import post_delete, post_save

        from escalation.models import BusinessCalendar, Holiday, WorkingInterval

        from .integrations import selectors  # noqa: F401
        from .metrics import reporting_calendar_forget

        for model in (BusinessCalendar, WorkingInterval, Holiday):
            for signal in (post_save, post_delete):
                signal.connect(
                    reporting_calendar_forget,
                    sender=model,
                    dispatch_uid=f"incidents.reporting_calendar_{signal is post_save}_{model.__name__}",
                )
        setting_changed.connect(
            reporting_calendar_forget, dispatch_uid="incidents.reporting_calendar_setting"
        )
