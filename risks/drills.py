"""Drills: the schedule (the next run is an engine timer), run records with each step's result, and findings
that become action items (with an owner and a due date, reminded through the engine)."""

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotFound
from escalation.events import event_emit
from escalation.models import Timer
from escalation.reminders import ReminderStep, reminder_cancel, reminder_schedule
from escalation.timers import timer_cancel, timer_schedule

from .events import RiskEvent
from .models import Drill, DrillFinding, DrillRun, DrillStep, DrillStepResult, StepOutcome
from .services import check

DRILL_TIMER = "risks.drill_due"
# When a drill falls due: its owner, and two days later, if it has not been run, the owner's manager.
DRILL_STEPS = (
    ReminderStep(dt.timedelta(0), ("owner",)),
    ReminderStep(dt.timedelta(days=2), ("owner_manager",)),
)
# A finding due: its owner the morning after the due date, their manager three days later (as action items).
FINDING_STEPS = (
    ReminderStep(dt.timedelta(0), ("owner",)),
    ReminderStep(dt.timedelta(days=3), ("owner_manager",)),
)


def drill_lock(drill_id: int) -> Drill:
    try:
        return Drill.objects.select_for_update().get(pk=drill_id)
    except Drill.DoesNotExist:
        raise NotFound(_("Drill %(id)s does not exist.") % {"id": drill_id}) from None


def drill_timer_set(drill: Drill) -> None:
    """(Re)schedule the drill's timer at `next_run_at` (the caller holds the lock and saves the drill)."""
    timer_cancel(subject=drill, kinds=[DRILL_TIMER])
    reminder_cancel(subject=drill, key="run")
    if drill.is_active and drill.next_run_at is not None:
        timer_schedule(
            subject=drill,
            kind=DRILL_TIMER,
            due_at=drill.next_run_at,
            data={"next_run_at": drill.next_run_at.isoformat()},
        )


def drill_schedule(*, drill_id: int, by: User | None, next_run_at: dt.datetime | None) -> Drill:
    check(by, "risks.change_drill", _("You may not schedule drills."))
    with transaction.atomic():
        drill = drill_lock(drill_id)
        drill.next_run_at = next_run_at
        drill.save(update_fields=["next_run_at"])
        drill_timer_set(drill)
    return drill


def on_drill_timer(timer: Timer, now: dt.datetime) -> None:
    """The drill is due: `drill.due` for the communication plan, and its owner is reminded (then the
    owner's manager) until it is run."""
    drill = Drill.objects.select_for_update().filter(pk=timer.subject_id).first()
    if drill is None or not drill.is_active or drill.next_run_at is None:
        return
    if timer.data.get("next_run_at") != drill.next_run_at.isoformat():
        return  # rescheduled since; the new timer will fire
    event_emit(
        subject=drill, event=RiskEvent.DRILL_DUE, at=now, data={"next_run_at": drill.next_run_at.isoformat()}
    )
    reminder_schedule(
        subject=drill,
        key="run",
        due_at=drill.next_run_at,
        steps=DRILL_STEPS,
        context={"next_run_at": drill.next_run_at.isoformat(), "what": "drill"},
    )


def drill_run_record(
    *,
    drill_id: int,
    by: User | None,
    held_at: dt.datetime,
    participants: list[User] | None = None,
    results: list[dict[str, Any]] | None = None,
    findings: list[dict[str, Any]] | None = None,
    notes: str = "",
) -> DrillRun:
    """Record a run: each step's result (`{"step": id, "outcome": "passed|failed|skipped", "note"}`), the
    findings (`{"text", "owner", "due_date"}`), and schedule the next run `interval_days` after this one."""
    check(by, "risks.add_drillrun", _("You may not record drill runs."))
    with transaction.atomic():
        drill = drill_lock(drill_id)
        steps = {step.pk: step for step in DrillStep.objects.filter(drill=drill)}
        run = DrillRun.objects.create(drill=drill, held_at=held_at, notes=notes, recorded_by=by)
        if participants:
            run.participants.set(participants)
        for index, row in enumerate(results or []):
            step_id = row.get("step")
            step = steps.get(step_id) if isinstance(step_id, int) else None
            if step is None or row.get("outcome") not in StepOutcome.values:
                raise InvalidInput(
                    _("Result %(n)s needs a step of this drill and an outcome (%(outcomes)s).")
                    % {"n": index + 1, "outcomes": ", ".join(StepOutcome.values)},
                    fields={"results": [_("Result %(n)s is invalid.") % {"n": index + 1}]},
                )
            DrillStepResult.objects.create(
                run=run, step=step, outcome=row["outcome"], note=row.get("note", "")
            )
        for row in findings or []:
            if not str(row.get("text", "")).strip():
                raise InvalidInput(_("A finding needs a text."), fields={"findings": [_("A text.")]})
            finding = DrillFinding.objects.create(
                run=run, text=row["text"], owner=row.get("owner"), due_date=row.get("due_date")
            )
            finding_remind(finding)
        if drill.interval_days:
            drill.next_run_at = held_at + dt.timedelta(days=drill.interval_days)
            if drill.next_run_at <= timezone.now():
                drill.next_run_at = timezone.now() + dt.timedelta(days=drill.interval_days)
        else:
            drill.next_run_at = None
        drill.save(update_fields=["next_run_at"])
        drill_timer_set(drill)
    return run


def finding_remind(finding: DrillFinding) -> None:
    """(Re)schedule the finding's overdue reminder, or cancel it when done or undated."""
    if finding.done_at is not None or finding.due_date is None or finding.owner_id is None:
        reminder_cancel(subject=finding, key="overdue")
        return
    morning = dt.datetime.combine(
        finding.due_date + dt.timedelta(days=1), dt.time(9, 0), tzinfo=timezone.get_current_timezone()
    )
    reminder_schedule(
        subject=finding,
        key="overdue",
        due_at=morning,
        steps=FINDING_STEPS,
        context={"due_date": finding.due_date.isoformat(), "what": "finding"},
    )


def finding_done(*, finding_id: int, by: User | None) -> DrillFinding:
    """The finding was dealt with: its reminder stops."""
    check(by, "risks.change_drillfinding", _("You may not change drill findings."))
    with transaction.atomic():
        finding = DrillFinding.objects.select_for_update().filter(pk=finding_id).first()
        if finding is None:
            raise NotFound(_("Finding %(id)s does not exist.") % {"id": finding_id})
        if finding.done_at is None:
            finding.done_at = timezone.now()
            finding.save(update_fields=["done_at"])
            finding_remind(finding)
    return finding
