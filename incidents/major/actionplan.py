"""The action plan: tasks of a major incident (or a plain incident's checklist), each with one owner, a
workstream, a priority (safety first, then business need), a due time and a state; overdue tasks remind
their owner, then whoever leads the response, through the engine's reminders. Templates per cause or category
become tasks on declaration.

Other apps create tasks with `task_create(incident=..., ...)` (a plain incident) or
`task_create(major_incident=..., ...)`; docs/major-incidents.md describes the model."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from config.errors import InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from escalation.reminders import ReminderStep, reminder_cancel, reminder_schedule

from ..edits import fields_apply
from ..models import (
    ActionPlanTemplate,
    CommandRole,
    Incident,
    MajorIncident,
    MajorIncidentConfiguration,
    MajorIncidentLogEntry,
    OutsidePerson,
    Task,
    TaskPriority,
)
from .common import check_can_see, check_commandable, log, require

TASK_REMINDER = "due"
# The fields a person may change on a task (the state moves only through its transitions).
TASK_FIELDS = (
    "title",
    "description",
    "owner_user",
    "owner_person",
    "workstream",
    "priority",
    "position",
    "due_at",
)


def task_remind(task: Task) -> None:
    """(Re)schedule or cancel the task's overdue reminder: its owner when it falls due, whoever leads the
    response (`lead`: the commander; a plain incident's assignee, else its team's manager) some minutes later.
    In the caller's transaction."""
    if not task.is_open or task.due_at is None:
        reminder_cancel(subject=task, key=TASK_REMINDER)
        return
    after = timedelta(minutes=MajorIncidentConfiguration.load().task_escalation_minutes)
    reminder_schedule(
        subject=task,
        key=TASK_REMINDER,
        due_at=task.due_at,
        steps=[ReminderStep(timedelta(0), ("owner",)), ReminderStep(after, ("lead",))],
        template="task_due",
        context={"task": task.title, "owner": task.owner_name},
    )


def _log_task(task: Task, *, by: User | None, at: datetime, note: str, data: dict[str, Any]) -> None:
    """Tasks of a major incident are on its log; a plain incident's on its timeline."""
    if task.major_incident is not None:
        log(task.major_incident, kind=MajorIncidentLogEntry.Kind.TASK, by=by, at=at, note=note, data=data)
    elif task.incident is not None:
        from ..models import TimelineEvent

        TimelineEvent.objects.create(
            incident=task.incident,
            kind=TimelineEvent.Kind.CHANGE,
            actor=by,
            created_at=at,
            note=note,
            data=data,
        )


def _lock_parent(*, major_incident_id: int | None, incident_id: int | None, by: User | None) -> Any:
    """Lock the task's major incident or incident for the caller's transaction, after checking visibility."""
    if major_incident_id is not None:
        from .common import lock

        parent = lock(major_incident_id)
        check_can_see(major_incident=parent, by=by)
        check_commandable(parent)
        return parent
    from ..services import _lock
    from ..services import check_can_see as incident_can_see

    incident = _lock(incident_id)  # type: ignore[arg-type]
    incident_can_see(incident=incident, by=by)
    return incident


def _check_owner(owner_user: Any, owner_person: Any, *, required: bool) -> None:
    if owner_user is not None and owner_person is not None:
        raise InvalidInput(
            _("A task has exactly one owner."),
            fields={"owner_person": [_("A task has one owner: a user or an outside person, not both.")]},
        )
    if required and owner_user is None and owner_person is None:
        raise InvalidInput(
            _("A task has exactly one owner."),
            fields={"owner_user": [_("Name the owner: a user or an outside person.")]},
        )


def task_create(
    *,
    by: User | None,
    title: str,
    major_incident: MajorIncident | None = None,
    incident: Incident | None = None,
    owner_user: User | None = None,
    owner_person: OutsidePerson | None = None,
    owner_required: bool = True,
    **fields: Any,
) -> Task:
    """A new task on a major incident or an incident (exactly one), with exactly one owner (a template's task
    may wait for one: `owner_required=False`). Its reminder is scheduled when it has a due time."""
    if (major_incident is None) == (incident is None):
        raise InvalidInput(
            _("A task belongs to a major incident or to an incident."),
            fields={"major_incident": [_("Give a major incident or an incident, not both and not neither.")]},
        )
    unknown = set(fields) - set(TASK_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be set: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    _check_owner(owner_user, owner_person, required=owner_required)
    if not title.strip():
        raise InvalidInput(_("A task needs a title."), fields={"title": [_("This field may not be blank.")]})
    require(by, "incidents.add_task", _("You may not add tasks."))
    with transaction.atomic():
        parent = _lock_parent(
            major_incident_id=major_incident.pk if major_incident else None,
            incident_id=incident.pk if incident else None,
            by=by,
        )
        now = timezone.now()
        if "position" not in fields:
            siblings = Task.objects.filter(
                Q(major_incident=major_incident) if major_incident else Q(incident=incident)
            )
            fields["position"] = siblings.count() + 1
        task = Task.objects.create(
            major_incident=parent if major_incident else None,
            incident=parent if incident else None,
            title=title,
            owner_user=owner_user,
            owner_person=owner_person,
            created_at=now,
            created_by=by,
            **fields,
        )
        _log_task(
            task,
            by=by,
            at=now,
            note=_("Task added: %(title)s (owner: %(owner)s).")
            % {"title": title, "owner": task.owner_name or "-"},
            data={"task": task.pk},
        )
        task_remind(task)
    return task


def _lock_task(task_id: int, by: User | None) -> Task:
    task = Task.objects.filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("Task %(id)s does not exist.") % {"id": task_id})
    _lock_parent(major_incident_id=task.major_incident_id, incident_id=task.incident_id, by=by)
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("major_incident", "incident")
        .get(pk=task_id)
    )


def task_update(*, task_id: int, by: User | None, changes: dict[str, Any]) -> Task:
    """Change a task's editable fields; it keeps exactly one owner (naming one replaces the other)."""
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    require(by, "incidents.change_task", _("You may not change tasks."))
    with transaction.atomic():
        task = _lock_task(task_id, by)
        if "owner_user" in changes or "owner_person" in changes:
            # Naming one owner replaces the other; naming both is two owners (400).
            owner_user = changes.get("owner_user") if "owner_user" in changes else None
            owner_person = changes.get("owner_person") if "owner_person" in changes else None
            _check_owner(owner_user, owner_person, required=True)
            changes = {**changes, "owner_user": owner_user, "owner_person": owner_person}
        diff = fields_apply(task, changes)
        if not diff:
            return task
        task.save()
        _log_task(
            task,
            by=by,
            at=timezone.now(),
            note=_("Task changed: %(title)s.") % {"title": task.title},
            data={"task": task.pk, "changes": {k: [str(v) for v in pair] for k, pair in diff.items()}},
        )
        task_remind(task)
    return task


def allowed_task_transitions(task: Task) -> list[str]:
    available = {t.name for t in task.get_available_state_transitions()}  # type: ignore[attr-defined]  # django-fsm's mixin, untyped
    return [name for name in Task.TRANSITIONS if name in available]


def task_transition(*, task_id: int, name: str, by: User | None, note: str = "") -> Task:
    """Start, complete, cancel or reopen a task: 409 with the allowed ones when not possible from its state."""
    if name not in Task.TRANSITIONS:
        raise NotFound(_("There is no transition named %(name)s.") % {"name": name})
    with transaction.atomic():
        task = _lock_task(task_id, by)
        method = getattr(task, name)
        if not can_proceed(method):
            raise TransitionNotAllowed(
                _("A task in state %(state)s cannot %(name)s.") % {"state": task.state, "name": name},
                state=task.state,
                allowed=allowed_task_transitions(task),
            )
        if by is not None and not has_transition_perm(method, by):
            raise PermissionDenied(_("You may not change tasks."))
        at = timezone.now()
        from_state = task.state
        method(at=at)
        task.save()
        _log_task(
            task,
            by=by,
            at=at,
            note=note
            or _("Task %(title)s: %(state)s.") % {"title": task.title, "state": task.get_state_display()},
            data={"task": task.pk, "from": from_state, "to": task.state},
        )
        task_remind(task)
    return task


def template_for(major_incident: MajorIncident) -> ActionPlanTemplate | None:
    """The most specific active template: cause and category, category, cause, then one for any."""
    candidates = ActionPlanTemplate.objects.filter(
        Q(cause="") | Q(cause=major_incident.cause),
        Q(category__isnull=True) | Q(category_id=major_incident.category_id),
        is_active=True,
    )

    def rank(template: ActionPlanTemplate) -> tuple[int, int, str]:
        return (0 if template.category_id else 1, 0 if template.cause else 1, template.name)

    ranked = sorted(candidates, key=rank)
    return ranked[0] if ranked else None


def template_instantiate(
    major_incident: MajorIncident, *, template: ActionPlanTemplate, by: User | None, at: datetime
) -> list[Task]:
    """The template's steps as tasks on the major incident (the caller holds its lock): each owned by the
    holder of its step's role (the commander when it names none), or waiting for one."""
    from .command import current_holder

    tasks = []
    offset = major_incident.tasks.count()
    for step in template.steps.order_by("position", "id"):
        role = step.owner_role or CommandRole.COMMANDER
        holder = current_holder(major_incident, role)
        task = Task.objects.create(
            major_incident=major_incident,
            title=step.title,
            description=step.description,
            workstream=step.workstream,
            priority=step.priority or TaskPriority.IMPORTANT,
            position=offset + step.position,
            due_at=at + step.due_after if step.due_after is not None else None,
            owner_user=holder.user if holder else None,
            owner_person=holder.person if holder else None,
            owner_role=role,
            created_at=at,
            created_by=by,
        )
        task_remind(task)
        tasks.append(task)
    log(
        major_incident,
        kind=MajorIncidentLogEntry.Kind.TASK,
        by=by,
        at=at,
        note=_("Action plan from the template %(name)s: %(count)d tasks.")
        % {"name": template.name, "count": len(tasks)},
        data={"template": template.pk, "tasks": [t.pk for t in tasks]},
    )
    return tasks


def template_apply(*, major_incident_id: int, template_id: int, by: User | None) -> list[Task]:
    """Add a template's tasks to a major incident's plan later (when the cause becomes known, say)."""
    from .common import lock

    require(by, "incidents.add_task", _("You may not add tasks."))
    template = ActionPlanTemplate.objects.filter(pk=template_id, is_active=True).first()
    if template is None:
        raise InvalidInput(_("No such template."), fields={"template": [_("Unknown or inactive template.")]})
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        check_commandable(major_incident)
        return template_instantiate(major_incident, template=template, by=by, at=timezone.now())
