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
    # The category's own checklists and those of its parents (a checklist for "security" covers "lost ID card").
    category_ids: list[int] = []
    category = subject.category
    while category is not None and category.pk not in category_ids:
        category_ids.append(category.pk)
        category = category.parent
    checklists = (
        ResponseChecklist.objects.filter(is_active=True, category_id__in=category_ids)
        .order_by("pk")
        .prefetch_related("items")
    )
    for checklist in checklists:
        for item in checklist.items.all():
            task_create(
                by=None,
                incident=subject,
                title=item.title,
                description=item.description,
                owner_required=False,
            )
