"""Response checklists: a new incident of a category gets the checklist's items as tasks (the major
incidents' action plan, `incidents.major.actionplan.task_create`), in the transaction that created it."""

from typing import Any

from django.db import models

from .models import ResponseChecklist


def on_incident_created(
    *, subject: models.Model, event: str, at: Any, by: Any, data: dict, info: Any
) -> None:
    """Listener (registered for `incident.created`). Tasks wait for an owner (`owner_required=False`); Vigil
    creates them, so no permission is checked."""
    from incidents.major.actionplan import task_create
    from incidents.models import Incident

    if not isinstance(subject, Incident) or subject.category_id is None:
        return
    checklists = ResponseChecklist.objects.filter(
        is_active=True, category_id=subject.category_id
    ).prefetch_related("items")
    for checklist in checklists:
        for item in checklist.items.all():
            task_create(
                by=None,
                incident=subject,
                title=item.title,
                description=item.description,
                owner_required=False,
            )
