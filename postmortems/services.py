"""Every write to post-mortems and action items. Each entry point owns its transaction: it locks the row,
checks permission and state, changes the data and schedules the side effects (events, reminders) in that
same transaction, as `incidents.services` does for incidents."""

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from config.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from escalation.events import event_emit
from escalation.reminders import ReminderStep, reminder_cancel, reminder_schedule
from incidents.metrics import milestone_durations, reporting_calendar

from .events import PostmortemEvent
from .links import link_target
from .models import (
    ActionItem,
    ActionItemState,
    LinkPurpose,
    Postmortem,
    PostmortemLink,
    PostmortemReviewer,
    PostmortemState,
)
from .records import RECORDS, record_load, record_of

# Sections people write; the state, the reviewed record and the dates change only through the services.
EDITABLE_FIELDS = (
    "title",
    "owner",
    "summary",
    "impact",
    "timeline",
    "root_cause",
    "contributing_factors",
    "what_went_well",
    "what_went_wrong",
    "lessons_learned",
    "response_speed_notes",
    "task_performance",
    "degree_of_control",
    "commander_assessment",
    "action_plan_efficiency",
    "future_risks",
)
ACTION_ITEM_FIELDS = ("title", "description", "owner", "due_date", "priority")

# Overdue action items: the owner the morning after the due date, their manager three days later.
OVERDUE_KEY = "overdue"
OVERDUE_STEPS = (
    ReminderStep(dt.timedelta(0), ("owner",)),
    ReminderStep(dt.timedelta(days=3), ("owner_manager", "postmortem_owner")),
)


class PostmortemNotReady(Conflict):
    """Publishing was asked for, but reviewers have not all approved or action items lack owners or dates."""

    code = "postmortem_not_ready"


def _check(by: User | None, permission: str, message: str) -> None:
    if by is not None and not by.has_perm(permission):
        raise PermissionDenied(message)


def _lock(postmortem_id: int) -> Postmortem:
    try:
        return Postmortem.objects.select_for_update().get(pk=postmortem_id)
    except Postmortem.DoesNotExist:
        raise NotFound(_("Post-mortem %(id)s does not exist.") % {"id": postmortem_id}) from None


def response_speed(record: models.Model) -> dict[str, Any]:
    """The incident-command review's response speed, from the record's milestones (incidents.metrics):
    `<measure>_seconds` and `<measure>_business_seconds` for detect, ack, mitigate and resolve where
    recorded, and the milestones themselves."""
    reader = record_of(record)
    milestones = reader.milestones(record) if reader is not None else {}
    calendar = reporting_calendar()
    instants = [value for value in milestones.values() if value is not None]
    speed: dict[str, Any] = {
        "milestones": {name: value.isoformat() if value else None for name, value in milestones.items()},
        "calendar": calendar.name,
    }
    if instants:
        speed.update(milestone_durations(milestones, ruler=calendar.ruler(min(instants), max(instants))))
    return speed


def postmortem_open(
    *, record: models.Model, by: User | None, owner: User | None = None
) -> tuple[Postmortem, bool]:
    """Open the post-mortem of a record (an incident, a major incident), or return the one it has: (row,
    created). Its timeline and response speed are filled from the record. Runs in the caller's transaction
    when there is one (the `major_incident.resolved` listener), else in its own."""
    reader = record_of(record)
    if reader is None:
        raise InvalidInput(
            _("Post-mortems review %(kinds)s only.") % {"kinds": ", ".join(RECORDS)},
            fields={"incident": [_("Not a record a post-mortem can review.")]},
        )
    _check(by, "postmortems.add_postmortem", _("You may not open post-mortems."))
    record_type = ContentType.objects.get_for_model(record)
    with transaction.atomic():
        existing = Postmortem.objects.filter(subject_type=record_type, subject_id=record.pk).first()
        if existing is not None:
            return existing, False
        now = timezone.now()
        postmortem = Postmortem.objects.create(
            subject_type=record_type,
            subject_id=record.pk,
            title=_("Post-mortem: %(reference)s %(title)s")
            % {"reference": reader.reference(record), "title": reader.title(record)},
            owner=owner or reader.commander(record) or by,
            timeline=reader.timeline(record),
            response_speed=response_speed(record),
            created_at=now,
        )
        _root_cause_from_problems(postmortem, problems=reader.problems(record))
        event_emit(subject=postmortem, event=PostmortemEvent.OPENED, at=now, by=by)
    return postmortem, True


def _root_cause_from_problems(postmortem: Postmortem, *, problems: list[Any]) -> None:
    """The post-mortem's root cause is the linked problem's: each problem of the record is linked as the root
    cause, and what their root cause says is the first draft of the section."""
    if not problems:
        return
    problem_type = ContentType.objects.get_for_model(type(problems[0]))
    for problem in problems:
        PostmortemLink.objects.get_or_create(
            postmortem=postmortem,
            action_item=None,
            target_type=problem_type,
            target_id=problem.pk,
            purpose=LinkPurpose.ROOT_CAUSE,
        )
    known = [
        f"{problem.reference}: {problem.root_cause}" for problem in problems if problem.root_cause.strip()
    ]
    if known and not postmortem.root_cause.strip():
        postmortem.root_cause = "\n\n".join(known)
        postmortem.save(update_fields=["root_cause"])


def on_record_resolved(*, subject: models.Model, event: str, at: Any, by: Any, data: dict, info: Any) -> None:
    """Listener (registered for `major_incident.resolved`): a resolved major incident gets its post-mortem
    at once, in the resolving transaction. Vigil opens it (no permission check); its owner is the
    commander."""
    if record_of(subject) is not None:
        postmortem_open(record=subject, by=None)


def postmortem_update(*, postmortem_id: int, by: User | None, changes: dict[str, Any]) -> Postmortem:
    """Edit the sections. Only a draft changes: one in review goes back to draft first (`revise`), a
    published one is the record of what was agreed."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    _check(by, "postmortems.change_postmortem", _("You may not change post-mortems."))
    with transaction.atomic():
        postmortem = _lock(postmortem_id)
        if postmortem.state != PostmortemState.DRAFT:
            raise Conflict(
                _("Only a draft can be edited; this post-mortem is %(state)s.") % {"state": postmortem.state},
                state=postmortem.state,
            )
        if "timeline" in changes:
            changes["timeline"] = _timeline_clean(changes["timeline"])
        for field, value in changes.items():
            setattr(postmortem, field, value)
        postmortem.save()
    return postmortem


def _timeline_clean(entries: Any) -> list[dict[str, Any]]:
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise InvalidInput(
            _("The timeline is a list of entries."), fields={"timeline": [_("A list of {at, text} objects.")]}
        )
    cleaned = []
    for index, entry in enumerate(entries):
        text = str(entry.get("text", "")).strip()
        at = entry.get("at")
        try:
            instant = dt.datetime.fromisoformat(str(at)) if at else None
        except ValueError:
            instant = None
        if not text or instant is None or instant.tzinfo is None:
            raise InvalidInput(
                _("Timeline entry %(n)s needs an aware ISO 8601 `at` and a `text`.") % {"n": index + 1},
                fields={"timeline": [_("Entry %(n)s is incomplete.") % {"n": index + 1}]},
            )
        cleaned.append({**entry, "at": instant.isoformat(), "text": text})
    return sorted(cleaned, key=lambda entry: entry["at"])


def postmortem_refresh_from_record(*, postmortem_id: int, by: User | None) -> Postmortem:
    """Rebuild the timeline and the response speed from the record (a draft only): edits to them are lost."""
    _check(by, "postmortems.change_postmortem", _("You may not change post-mortems."))
    with transaction.atomic():
        postmortem = _lock(postmortem_id)
        if postmortem.state != PostmortemState.DRAFT:
            raise Conflict(_("Only a draft can be rebuilt."), state=postmortem.state)
        record = record_load(type_id=postmortem.subject_type_id, object_id=postmortem.subject_id)
        if record is None:
            raise NotFound(_("The reviewed record no longer exists."))
        reader = record_of(record)
        postmortem.timeline = reader.timeline(record) if reader else []
        postmortem.response_speed = response_speed(record)
        postmortem.save()
    return postmortem


def allowed_transitions(postmortem: Postmortem) -> list[str]:
    available = {t.name for t in postmortem.get_available_state_transitions()}  # type: ignore[attr-defined]  # django-fsm's mixin, untyped
    return [name for name in Postmortem.TRANSITIONS if name in available]


def publish_blockers(postmortem: Postmortem) -> list[dict[str, Any]]:
    """What stops a post-mortem in review from being published: reviewers who have not approved (at least
    one reviewer must), and action items still open without an owner or a due date."""
    blockers: list[dict[str, Any]] = []
    reviewers = list(postmortem.reviewers.select_related("reviewer"))
    if not reviewers:
        blockers.append({"code": "no_reviewer", "detail": _("Nobody has been asked to review it.")})
    pending = [row.reviewer.get_username() for row in reviewers if row.approved_at is None]
    if pending:
        blockers.append(
            {
                "code": "approval_pending",
                "detail": _("Waiting for the approval of %(names)s.") % {"names": ", ".join(pending)},
                "reviewers": pending,
            }
        )
    incomplete = [
        item.reference
        for item in postmortem.action_items.exclude(state=ActionItemState.CANCELLED).order_by("id")
        if item.owner_id is None or item.due_date is None
    ]
    if incomplete:
        blockers.append(
            {
                "code": "action_item_incomplete",
                "detail": _("These action items need an owner and a due date: %(items)s.")
                % {"items": ", ".join(incomplete)},
                "action_items": incomplete,
            }
        )
    return blockers


def postmortem_transition(*, postmortem_id: int, name: str, by: User | None, note: str = "") -> Postmortem:
    """submit (draft -> in review), revise (in review -> draft, approvals cleared), publish (in review ->
    published, once every reviewer approved and every action item has an owner and a due date; the
    communication plan's audiences hear `postmortem.published`). 409 with the state and what is allowed,
    and for publish what is missing; 403 without permission."""
    if name not in Postmortem.TRANSITIONS:
        raise NotFound(_("There is no transition named %(name)s.") % {"name": name})
    with transaction.atomic():
        postmortem = _lock(postmortem_id)
        method = getattr(postmortem, name)
        if not can_proceed(method):
            raise TransitionNotAllowed(
                _("A post-mortem in state %(state)s cannot %(name)s.")
                % {"state": postmortem.state, "name": name},
                state=postmortem.state,
                allowed=allowed_transitions(postmortem),
            )
        if by is not None and not has_transition_perm(method, by):
            raise PermissionDenied(_("You may not %(name)s post-mortems.") % {"name": name})
        if name == "publish":
            blockers = publish_blockers(postmortem)
            if blockers:
                raise PostmortemNotReady(
                    _("The post-mortem cannot be published yet: %(what)s")
                    % {"what": " ".join(blocker["detail"] for blocker in blockers)},
                    state=postmortem.state,
                    allowed=allowed_transitions(postmortem),
                    blockers=blockers,
                )
        at = timezone.now()
        if name == "publish":
            method(at=at, by=by)
        else:
            method(at=at)
        postmortem.save()
        if name == "revise":
            postmortem.reviewers.update(approved_at=None)
        if name == "submit":
            event_emit(subject=postmortem, event=PostmortemEvent.SUBMITTED, at=at, by=by, data={"note": note})
        if name == "publish":
            event_emit(subject=postmortem, event=PostmortemEvent.PUBLISHED, at=at, by=by, data={"note": note})
    return postmortem


def postmortem_reviewer_add(*, postmortem_id: int, reviewer: User, by: User | None) -> PostmortemReviewer:
    _check(by, "postmortems.change_postmortem", _("You may not change post-mortems."))
    with transaction.atomic():
        postmortem = _lock(postmortem_id)
        if postmortem.state == PostmortemState.PUBLISHED:
            raise Conflict(_("A published post-mortem takes no more reviewers."), state=postmortem.state)
        row, _created = PostmortemReviewer.objects.get_or_create(postmortem=postmortem, reviewer=reviewer)
    return row


def postmortem_reviewer_remove(*, postmortem_id: int, reviewer_id: int, by: User | None) -> None:
    _check(by, "postmortems.change_postmortem", _("You may not change post-mortems."))
    with transaction.atomic():
        postmortem = _lock(postmortem_id)
        if postmortem.state == PostmortemState.PUBLISHED:
            raise Conflict(_("The reviewers of a published post-mortem stay."), state=postmortem.state)
        deleted, _details = PostmortemReviewer.objects.filter(
            postmortem=postmortem, reviewer_id=reviewer_id
        ).delete()
        if not deleted:
            raise NotFound(_("This person is not a reviewer of it."))


def postmortem_approve(*, postmortem_id: int, by: User, comment: str = "") -> PostmortemReviewer:
    """A reviewer approves the post-mortem in review (again: their comment is replaced)."""
    with transaction.atomic():
        postmortem = _lock(postmortem_id)
        row = PostmortemReviewer.objects.filter(postmortem=postmortem, reviewer=by).first()
        if row is None:
            raise PermissionDenied(_("Only its reviewers approve a post-mortem."))
        if postmortem.state != PostmortemState.IN_REVIEW:
            raise Conflict(
                _("Only a post-mortem in review can be approved; this one is %(state)s.")
                % {"state": postmortem.state},
                state=postmortem.state,
            )
        row.approved_at = timezone.now()
        row.comment = comment
        row.save(update_fields=["approved_at", "comment"])
    return row


# --- action items -----------------------------------------------------------------------------------------


def _item_lock(item_id: int) -> ActionItem:
    try:
        return ActionItem.objects.select_for_update().select_related("postmortem").get(pk=item_id)
    except ActionItem.DoesNotExist:
        raise NotFound(_("Action item %(id)s does not exist.") % {"id": item_id}) from None


def overdue_at(due_date: dt.date) -> dt.datetime:
    """When an action item due on `due_date` is overdue: the start of the next day in the reporting zone."""
    calendar = reporting_calendar()
    return calendar.day_start(due_date + dt.timedelta(days=1))


def _reminders(item: ActionItem) -> None:
    """An open item with an owner and a due date is reminded of when overdue; otherwise nothing is pending."""
    if item.is_open and item.owner_id and item.due_date:
        reminder_schedule(
            subject=item,
            key=OVERDUE_KEY,
            due_at=overdue_at(item.due_date),
            steps=OVERDUE_STEPS,
            template="action_item_overdue",
            context={"due_date": item.due_date.isoformat()},
        )
    else:
        reminder_cancel(subject=item, key=OVERDUE_KEY)


def _item_validate(values: dict[str, Any]) -> None:
    priority = values.get("priority")
    if priority is not None and not 1 <= int(priority) <= 4:
        raise InvalidInput(_("Priority is 1 to 4."), fields={"priority": [_("Between 1 and 4.")]})


def action_item_create(*, postmortem_id: int, by: User | None, title: str, **values: Any) -> ActionItem:
    unknown = set(values) - set(ACTION_ITEM_FIELDS)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    _check(by, "postmortems.add_actionitem", _("You may not add action items."))
    _item_validate(values)
    with transaction.atomic():
        postmortem = _lock(postmortem_id)
        if postmortem.state == PostmortemState.PUBLISHED:
            raise Conflict(_("A published post-mortem takes no new action items."), state=postmortem.state)
        item = ActionItem.objects.create(
            postmortem=postmortem, title=title, created_at=timezone.now(), **values
        )
        _reminders(item)
    return item


def action_item_update(*, item_id: int, by: User | None, changes: dict[str, Any]) -> ActionItem:
    """Change an item's fields; a new owner or due date moves its reminder."""
    unknown = set(changes) - set(ACTION_ITEM_FIELDS)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    _check(by, "postmortems.change_actionitem", _("You may not change action items."))
    _item_validate(changes)
    with transaction.atomic():
        item = _item_lock(item_id)
        for field, value in changes.items():
            setattr(item, field, value)
        item.save()
        _reminders(item)
    return item


def action_item_transition(*, item_id: int, name: str, by: User | None) -> ActionItem:
    """start, complete, cancel, reopen; a closed item's reminder stops, a reopened one's starts again."""
    if name not in ActionItem.TRANSITIONS:
        raise NotFound(_("There is no transition named %(name)s.") % {"name": name})
    with transaction.atomic():
        item = _item_lock(item_id)
        method = getattr(item, name)
        if not can_proceed(method):
            available = {t.name for t in item.get_available_state_transitions()}  # type: ignore[attr-defined]  # django-fsm's mixin, untyped
            raise TransitionNotAllowed(
                _("An action item in state %(state)s cannot %(name)s.") % {"state": item.state, "name": name},
                state=item.state,
                allowed=[n for n in ActionItem.TRANSITIONS if n in available],
            )
        if by is not None and not has_transition_perm(method, by):
            raise PermissionDenied(_("You may not %(name)s action items.") % {"name": name})
        method(at=timezone.now())
        item.save()
        _reminders(item)
    return item


# --- links ------------------------------------------------------------------------------------------------


def link_add(
    *,
    postmortem_id: int,
    by: User | None,
    kind: str,
    target_id: int,
    purpose: str,
    action_item_id: int | None = None,
) -> PostmortemLink:
    """Link the post-mortem (or one of its action items) to a problem, change, risk or incident."""
    _check(by, "postmortems.add_postmortemlink", _("You may not add links."))
    target_type, _row = link_target(kind=kind, target_id=target_id, by=by)
    with transaction.atomic():
        postmortem = _lock(postmortem_id)
        item = None
        if action_item_id is not None:
            item = ActionItem.objects.filter(pk=action_item_id, postmortem=postmortem).first()
            if item is None:
                raise InvalidInput(
                    _("Action item %(id)s is not one of this post-mortem's.") % {"id": action_item_id},
                    fields={"action_item": [_("Not an action item of this post-mortem.")]},
                )
        link, _created = PostmortemLink.objects.get_or_create(
            postmortem=postmortem,
            action_item=item,
            target_type=target_type,
            target_id=target_id,
            purpose=purpose,
        )
    return link


def link_remove(*, link_id: int, by: User | None) -> None:
    _check(by, "postmortems.delete_postmortemlink", _("You may not remove links."))
    deleted, _details = PostmortemLink.objects.filter(pk=link_id).delete()
    if not deleted:
        raise NotFound(_("Link %(id)s does not exist.") % {"id": link_id})
