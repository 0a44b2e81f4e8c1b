"""Every write to changes: creating and editing one, approval decisions, the lifecycle with its collision check,
and the post-implementation review. Each entry point owns its transaction: it locks the change, checks
permission and conditions, changes the data, writes the log and schedules the engine's reminders in it."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from config.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from config.permissions import permission_check as require  # the services' name for it
from escalation.events import event_emit
from escalation.reminders import ReminderStep, reminder_cancel, reminder_schedule

from ..edits import fields_apply
from ..models import (
    ApprovalDecision,
    Change,
    ChangeApproval,
    ChangeLogEntry,
    ChangeState,
    ChangeType,
    MajorIncident,
    Problem,
    ProblemChangeConfiguration,
    ProblemState,
    Service,
)
from ..models.change import (
    APPROVE_PERMISSION,
    CHANGE_TRANSITION_LABELS,
    IMPLEMENTED_STATES,
    TRANSITION_PERMISSION,
)
from ..problems import services as problems
from .events import ChangeEvent
from .selectors import approval_status, change_collisions, is_manager

APPROVAL_REMINDER = "approval"
REVIEW_REMINDER = "review"

# Fields people may edit while the change is a draft. Once submitted, what was approved stays what is done:
# only the texts that do not change the decision (plans may be completed) are editable until it is finished.
DRAFT_FIELDS = (
    "title",
    "description",
    "change_type",
    "risk_level",
    "services",
    "owner",
    "team",
    "problem",
    "major_incident",
    "planned_start",
    "planned_end",
    "implementation_plan",
    "rollback_plan",
    "test_plan",
)
LATER_FIELDS = (
    "description",
    "implementation_plan",
    "rollback_plan",
    "test_plan",
    "owner",
    "problem",
    "major_incident",
)
# The window may still move until the change starts (scheduling and moving a scheduled one check collisions).
WINDOW_FIELDS = ("planned_start", "planned_end")


class ConditionNotMet(Conflict):
    """The transition exists from this state, but what it needs is missing (a window, a reason, approvals)."""

    code = "condition_not_met"


class ChangeCollision(Conflict):
    """The window overlaps another scheduled change on a shared service, or an active major incident on one."""

    code = "change_collision"


class SelfApproval(PermissionDenied):
    code = "self_approval"


def lock(change_id: int) -> Change:
    change = Change.objects.select_for_update().filter(pk=change_id).first()
    if change is None:
        raise NotFound(_("Change %(id)s does not exist.") % {"id": change_id})
    return change


def check_can_see(*, change: Change, by: User | None) -> None:
    if by is None or by.has_perm("incidents.view_change"):
        return
    raise NotFound(_("Change %(id)s does not exist.") % {"id": change.pk})


# One line of the record's log, in the caller's transaction (the logs' shared `LogEntry.write`).
log = ChangeLogEntry.write


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise InvalidInput(
            _("The window must end after it starts."),
            fields={"planned_end": [_("The window must end after it starts.")]},
        )


def _check_links(by: User | None, problem: Problem | None, major_incident: MajorIncident | None) -> None:
    if problem is not None and by is not None and not by.has_perm("incidents.view_problem"):
        raise InvalidInput(_("No such problem."), fields={"problem": [_("Unknown problem.")]})
    if major_incident is not None and by is not None and not by.has_perm("incidents.view_majorincident"):
        raise InvalidInput(
            _("No such major incident."), fields={"major_incident": [_("Unknown major incident.")]}
        )


def change_create(
    *,
    by: User | None,
    title: str,
    change_type: str = ChangeType.NORMAL,
    risk_level: str = "low",
    services: list[Service] | None = None,
    owner: User | None = None,
    problem: Problem | None = None,
    major_incident: MajorIncident | None = None,
    **fields: Any,
) -> Change:
    """A new change, as a draft; `by` requests it and owns it unless another owner is given."""
    require(by, "incidents.add_change", _("You may not request changes."))
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise InvalidInput(_("These fields cannot be set: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if not title.strip():
        raise InvalidInput(
            _("A change needs a title."), fields={"title": [_("This field may not be blank.")]}
        )
    _check_window(fields.get("planned_start"), fields.get("planned_end"))
    _check_links(by, problem, major_incident)
    now = timezone.now()
    with transaction.atomic():
        change = Change.objects.create(
            title=title,
            change_type=change_type,
            risk_level=risk_level,
            owner=owner or by,
            requested_by=by,
            problem=problem,
            major_incident=major_incident,
            created_at=now,
            **fields,
        )
        change.services.set([s.pk for s in services or []])
        log(change, kind=ChangeLogEntry.Kind.CREATED, by=by, at=now, to_state=change.state)
    return change


def editable_fields(change: Change) -> set[str]:
    """The fields a change in its current state still lets people edit."""
    if change.state == ChangeState.DRAFT:
        return set(DRAFT_FIELDS)
    if change.state in (ChangeState.CLOSED, ChangeState.CANCELLED):
        return set()
    if change.state in (ChangeState.SUBMITTED, ChangeState.APPROVED, ChangeState.SCHEDULED):
        return {*LATER_FIELDS, *WINDOW_FIELDS}
    return set(LATER_FIELDS)


def change_update(
    *, change_id: int, by: User | None, changes: dict[str, Any], confirm: bool = False
) -> Change:
    """Change editable fields: everything while a draft; afterwards the plans and links, and the window until
    the change is implemented. 409 naming the fields that can no longer change. Moving a scheduled change's
    window checks it for collisions again: 409 `change_collision` unless `confirm`."""
    with transaction.atomic():
        change = lock(change_id)
        check_can_see(change=change, by=by)
        require(by, "incidents.change_change", _("You may not change changes."))
        editable = editable_fields(change)
        # Only what would really change counts: a PUT that sends the whole record back is fine.
        frozen = sorted(name for name in set(changes) - editable if _differs(change, name, changes[name]))
        if frozen:
            raise Conflict(
                _("A change in state %(state)s cannot have these fields changed: %(f)s.")
                % {"state": change.get_state_display(), "f": ", ".join(frozen)},
                state=change.state,
                fields={name: [_("Not editable in this state.")] for name in frozen},
            )
        _check_links(by, changes.get("problem"), changes.get("major_incident"))
        diff = fields_apply(change, changes)
        if not diff:
            return change
        _check_window(change.planned_start, change.planned_end)
        if change.state == ChangeState.SCHEDULED and set(WINDOW_FIELDS) & set(diff):
            _reschedule_check(change, by=by, confirm=confirm)
        change.save()
        log(
            change,
            kind=ChangeLogEntry.Kind.CHANGE,
            by=by,
            data={"changes": {k: [str(v) for v in pair] for k, pair in diff.items()}},
        )
    return change


def _reschedule_check(change: Change, *, by: User | None, confirm: bool) -> None:
    """A scheduled change moved to a new window: the same collision check as scheduling."""
    start, end = change.planned_start, change.planned_end
    if start is None or end is None:
        raise ConditionNotMet(
            _("A scheduled change keeps a window: move it instead of removing it."),
            state=change.state,
            fields={"planned_start": [_("This field is required to schedule.")]},
        )
    collisions = change_collisions(change=change, start=start, end=end)
    if collisions and not confirm:
        raise ChangeCollision(
            _("The window collides with %(refs)s on the same services. Confirm to schedule it anyway.")
            % {"refs": ", ".join(c["reference"] for c in collisions)},
            state=change.state,
            collisions=collisions,
        )
    if collisions:
        change.collisions_confirmed = collisions
        log(
            change,
            kind=ChangeLogEntry.Kind.COLLISION,
            by=by,
            note=_("Scheduled over %(refs)s, confirmed.")
            % {"refs": ", ".join(c["reference"] for c in collisions)},
            data={"collisions": collisions},
        )


def _differs(change: Change, name: str, value: Any) -> bool:
    if name == "services":
        return set(change.services.values_list("pk", flat=True)) != {s.pk for s in value}
    return bool(getattr(change, name) != value)


def allowed_transitions(change: Change) -> list[str]:
    """Transitions possible from the current state, in lifecycle order (approve and reject are decisions)."""
    available = {t.name for t in change.get_available_state_transitions()}  # type: ignore[attr-defined]  # django-fsm's mixin, untyped
    if change.state in (ChangeState.SUBMITTED, ChangeState.APPROVED) and not change.is_emergency:
        available.discard("start")
    return [name for name in Change.TRANSITIONS if name in available]


TRANSITION_EVENTS = {
    "submit": ChangeEvent.SUBMITTED,
    "approve": ChangeEvent.APPROVED,
    "reject": ChangeEvent.REJECTED,
    "schedule": ChangeEvent.SCHEDULED,
    "start": ChangeEvent.STARTED,
    "complete": ChangeEvent.IMPLEMENTED,
    "fail": ChangeEvent.FAILED,
    "roll_back": ChangeEvent.ROLLED_BACK,
    "review": ChangeEvent.REVIEWED,
    "close": ChangeEvent.CLOSED,
    "cancel": ChangeEvent.CANCELLED,
}


def _not_allowed(change: Change, name: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("A change in state %(state)s cannot %(name)s.")
        % {"state": change.get_state_display(), "name": CHANGE_TRANSITION_LABELS.get(name, name)},
        state=change.state,
        allowed=allowed_transitions(change),
    )


def _run(
    change: Change, *, name: str, by: User | None, at: datetime, note: str = "", data: dict | None = None
) -> None:
    """The model's transition, the log line and the event (the caller holds the lock and checked the rest)."""
    from_state = change.state
    getattr(change, name)(at=at)
    change.save()
    log(
        change,
        kind=ChangeLogEntry.Kind.TRANSITION,
        by=by,
        at=at,
        from_state=from_state,
        to_state=change.state,
        transition=name,
        note=note,
        data=data,
    )
    if name in TRANSITION_EVENTS:
        event_emit(subject=change, event=TRANSITION_EVENTS[name], at=at, by=by, data={"state": change.state})


def _schedule_approval_reminder(change: Change, *, at: datetime) -> None:
    config = ProblemChangeConfiguration.load()
    after = timedelta(hours=config.approval_reminder_hours)
    reminder_schedule(
        subject=change,
        key=APPROVAL_REMINDER,
        due_at=at + after,
        steps=[ReminderStep(timedelta(0), ("approvers",)), ReminderStep(after, ("approvers_manager",))],
        template="change_approval",
    )


def _schedule_review(change: Change, *, at: datetime) -> None:
    """The post-implementation review: the owner is asked a configurable time after the change was done,
    their manager a day after that (both engine timers)."""
    config = ProblemChangeConfiguration.load()
    due = at + timedelta(days=config.review_after_days)
    change.review_due_at = due
    Change.objects.filter(pk=change.pk).update(review_due_at=due)
    reminder_schedule(
        subject=change,
        key=REVIEW_REMINDER,
        due_at=due,
        steps=[ReminderStep(timedelta(0), ("owner",)), ReminderStep(timedelta(days=1), ("owner_manager",))],
        template="change_review",
    )


def change_transition(
    *,
    change_id: int,
    name: str,
    by: User | None,
    note: str = "",
    reason: str = "",
    confirm: bool = False,
    fixed: bool | None = None,
    side_effects: str = "",
) -> Change:
    """Move a change through its lifecycle: the one path the API, the admin and the tests take.

    `approve` and `reject` are approval decisions (`change_decide`). 409 `transition_not_allowed` with `state`
    and `allowed`; 403 without the permission; 409 `condition_not_met` when what it needs is missing (a window
    to schedule, a reason to fail or cancel, `fixed` to review; a normal or standard change starts only once
    scheduled, else 409 `transition_not_allowed`); 409 `change_collision` with `collisions` when the window
    overlaps, unless `confirm`."""
    if name in ("approve", "reject"):
        decision = ApprovalDecision.APPROVED if name == "approve" else ApprovalDecision.REJECTED
        return change_decide(change_id=change_id, by=by, decision=decision, reason=reason or note)
    if name not in Change.TRANSITIONS:
        raise NotFound(_("There is no transition named %(name)s.") % {"name": name})
    with transaction.atomic():
        change = lock(change_id)
        check_can_see(change=change, by=by)
        if not can_proceed(getattr(change, name), check_conditions=False):
            raise _not_allowed(change, name)
        if by is not None and not by.has_perm(TRANSITION_PERMISSION):
            raise PermissionDenied(_("You may not run changes through their lifecycle."))
        at = timezone.now()
        allowed = allowed_transitions(change)

        def condition(message: str, fields: dict[str, list[str]]) -> ConditionNotMet:
            return ConditionNotMet(message, state=change.state, allowed=allowed, fields=fields)

        if name == "submit":
            _submit(change, by=by, at=at, note=note)
            return change
        if name == "schedule":
            _schedule(change, by=by, at=at, note=note, confirm=confirm, condition=condition)
            return change
        if name == "start" and change.state != ChangeState.SCHEDULED and not change.is_emergency:
            # Only an emergency change starts before it is scheduled: for the others it is not a transition
            # of this state at all (allowed_transitions leaves it out).
            raise _not_allowed(change, name)
        if name in ("fail", "cancel") and not reason.strip():
            raise condition(
                _("Say why: this transition needs a reason."), {"reason": [_("This field is required.")]}
            )
        if name == "review":
            _review(
                change, by=by, at=at, note=note, fixed=fixed, side_effects=side_effects, condition=condition
            )
            return change
        if name == "fail":
            change.failure_reason = reason
        if name == "cancel":
            change.cancel_reason = reason
        data: dict[str, Any] = {}
        if name == "start" and change.state != ChangeState.SCHEDULED:
            data["emergency"] = True
            note = note or _(
                "Emergency change started before it was approved; its approval is recorded after."
            )
        _run(change, name=name, by=by, at=at, note=note or reason, data=data)
        if name in ("complete", "fail", "roll_back"):
            _schedule_review(change, at=at)
        if name in ("cancel", "close"):
            reminder_cancel(subject=change, key=APPROVAL_REMINDER)
            reminder_cancel(subject=change, key=REVIEW_REMINDER)
    return change


def _submit(change: Change, *, by: User | None, at: datetime, note: str) -> None:
    if not change.services.exists():
        raise ConditionNotMet(
            _("Name the services the change affects before submitting it."),
            state=change.state,
            allowed=allowed_transitions(change),
            fields={"services": [_("At least one service.")]},
        )
    _run(change, name="submit", by=by, at=at, note=note)
    if change.change_type == ChangeType.STANDARD:
        # A standard change is a pre-approved template: approved at once, and the log says why.
        _run(
            change,
            name="approve",
            by=None,
            at=at,
            note=_("Standard change: pre-approved."),
            data={"standard": True},
        )
        return
    _schedule_approval_reminder(change, at=at)


def _schedule(
    change: Change, *, by: User | None, at: datetime, note: str, confirm: bool, condition: Any
) -> None:
    if not change.has_window():
        raise condition(
            _("Plan the window (start and end) before scheduling."),
            {"planned_start": [_("This field is required to schedule.")]},
        )
    start, end = change.planned_start, change.planned_end
    if start is None or end is None:  # has_window() said otherwise; for the type checker
        return
    collisions = change_collisions(change=change, start=start, end=end)
    if collisions and not confirm:
        raise ChangeCollision(
            _("The window collides with %(refs)s on the same services. Confirm to schedule it anyway.")
            % {"refs": ", ".join(c["reference"] for c in collisions)},
            state=change.state,
            collisions=collisions,
        )
    if collisions:
        change.collisions_confirmed = collisions
        log(
            change,
            kind=ChangeLogEntry.Kind.COLLISION,
            by=by,
            at=at,
            note=_("Scheduled over %(refs)s, confirmed.")
            % {"refs": ", ".join(c["reference"] for c in collisions)},
            data={"collisions": collisions},
        )
    _run(change, name="schedule", by=by, at=at, note=note)


def _review(
    change: Change,
    *,
    by: User | None,
    at: datetime,
    note: str,
    fixed: bool | None,
    side_effects: str,
    condition: Any,
) -> None:
    if fixed is None:
        raise condition(
            _("Say whether the change fixed the problem."),
            {"fixed": [_("This field is required to review.")]},
        )
    change.review_fixed = fixed
    change.review_side_effects = side_effects
    _run(
        change,
        name="review",
        by=by,
        at=at,
        note=note or side_effects,
        data={"fixed": fixed, "side_effects": side_effects},
    )
    reminder_cancel(subject=change, key=REVIEW_REMINDER)
    if fixed and change.problem_id:
        problem = Problem.objects.select_for_update().get(pk=change.problem_id)
        if problem.state in (ProblemState.INVESTIGATING, ProblemState.KNOWN_ERROR):
            problems.problem_transition_locked(
                problem,
                name="resolve",
                by=by,
                note=_("Fixed by change %(ref)s, confirmed by its review.") % {"ref": change.reference},
                data={"change": change.pk},
            )
            log(
                change,
                kind=ChangeLogEntry.Kind.NOTE,
                by=by,
                at=at,
                note=_("Problem %(ref)s resolved.") % {"ref": problem.reference},
                data={"problem": problem.pk},
            )


def _may_decide_after(change: Change) -> bool:
    """An emergency change carried out before its approval: the decision is recorded after the fact."""
    return (
        change.is_emergency
        and change.approved_at is None
        and change.rejected_at is None
        and change.state in (ChangeState.IMPLEMENTING, *IMPLEMENTED_STATES, ChangeState.REVIEWED)
    )


def change_decide(*, change_id: int, by: User | None, decision: str, reason: str = "") -> Change:
    """One approver's decision on the current round. Nobody decides on a change they own or requested (403
    `self_approval`); a rejection needs a reason (400); each approver decides once per round (409). The change
    is approved when the approvals its risk level requires are in (`approval_rule_for`), and rejected by the
    first rejection. An emergency change already carried out is decided after the fact: the decision is
    recorded as such and its state does not move."""
    if decision not in ApprovalDecision.values:
        raise InvalidInput(_("Unknown decision."), fields={"decision": [_("approved or rejected.")]})
    if decision == ApprovalDecision.REJECTED and not reason.strip():
        raise InvalidInput(
            _("A rejection needs a reason."), fields={"reason": [_("Say why it is rejected.")]}
        )
    with transaction.atomic():
        change = lock(change_id)
        check_can_see(change=change, by=by)
        name = "approve" if decision == ApprovalDecision.APPROVED else "reject"
        after = _may_decide_after(change)
        if change.state != ChangeState.SUBMITTED and not after:
            raise _not_allowed(change, name)
        if by is None:
            raise PermissionDenied(_("An approval needs a person."))
        require(by, APPROVE_PERMISSION, _("You may not approve or reject changes."))
        if by.pk in (change.owner_id, change.requested_by_id):
            raise SelfApproval(_("Nobody approves or rejects their own change."))
        if change.approvals.filter(approval_round=change.approval_round, approver=by).exists():
            raise Conflict(_("You have already decided on this change."), state=change.state)
        at = timezone.now()
        approval = ChangeApproval.objects.create(
            change=change,
            approval_round=change.approval_round,
            approver=by,
            as_manager=is_manager(by),
            decision=decision,
            reason=reason,
            decided_at=at,
            after_the_fact=after,
        )
        log(
            change,
            kind=ChangeLogEntry.Kind.DECISION,
            by=by,
            at=at,
            note=reason,
            data={
                "decision": decision,
                "as_manager": approval.as_manager,
                "round": change.approval_round,
                "after_the_fact": after,
            },
        )
        if decision == ApprovalDecision.REJECTED:
            change.rejection_reason = reason
            if after:
                change.rejected_at = at
                change.save()
                event_emit(
                    subject=change, event=ChangeEvent.REJECTED, at=at, by=by, data={"after_the_fact": True}
                )
            else:
                _run(change, name="reject", by=by, at=at, note=reason)
            reminder_cancel(subject=change, key=APPROVAL_REMINDER)
            return change
        if approval_status(change)["met"]:
            if after:
                change.approved_at = at
                change.approved_after = True
                change.save()
                log(
                    change,
                    kind=ChangeLogEntry.Kind.NOTE,
                    by=by,
                    at=at,
                    note=_("Emergency change approved after it was carried out."),
                    data={"after_the_fact": True},
                )
                event_emit(
                    subject=change, event=ChangeEvent.APPROVED, at=at, by=by, data={"after_the_fact": True}
                )
            else:
                _run(change, name="approve", by=by, at=at)
            reminder_cancel(subject=change, key=APPROVAL_REMINDER)
    return change


__all__ = [
    "ChangeCollision",
    "allowed_transitions",
    "change_create",
    "change_decide",
    "change_transition",
    "change_update",
]
