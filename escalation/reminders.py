"""Reminders: something about a subject is due (a task, an update, a review, an approval); tell the people who
hold a role on it, and if it is still due some time later, the next people.

One timer per pending step (`escalation.reminder`), so reminders survive restarts and are fired once by the
sweep like every timer. The app that schedules a reminder cancels it when its reason goes away (the task is
done); the handler also asks the subject type (`SubjectType.still_due`) before telling anyone, which covers a
cancel that lost the race with the sweep. People are resolved when each step fires (who is the owner then),
through `SubjectType.people`."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .models import Timer
from .notify import notify_user_at_once
from .subjects import subject_load, subject_people, subject_type_of
from .timers import timer_cancel, timer_due_at, timer_schedule

REMINDER_TIMER = "escalation.reminder"
REMINDER_REASON = "reminder"


@dataclass(frozen=True)
class ReminderStep:
    """Tell the holders of `roles` `after` the due instant (zero: at it)."""

    after: timedelta
    roles: tuple[str, ...]


def reminder_schedule(
    *,
    subject: models.Model,
    key: str,
    due_at: datetime,
    steps: Sequence[ReminderStep],
    template: str = "reminder",
    context: dict[str, Any] | None = None,
) -> None:
    """Remind about `key` on the subject from `due_at`, step after step, replacing a pending reminder of the
    same key (a new due instant moves it). Runs in the caller's transaction.

    `template` names notification templates (`escalation/notifications/<template>_subject.txt`, or the subject
    type's own under `<app>/<model>/`); they get `subject`, `due_at`, `step` (1, 2, ...) and `context`."""
    if not steps:
        raise ValueError("a reminder needs at least one step")
    reminder_cancel(subject=subject, key=key)
    plan = [[int(step.after.total_seconds()), list(step.roles)] for step in steps]
    timer_schedule(
        subject=subject,
        kind=REMINDER_TIMER,
        due_at=due_at + steps[0].after,
        data={
            "key": key,
            "step": 0,
            "due_at": due_at.isoformat(),
            "steps": plan,
            "template": template,
            "context": json.loads(json.dumps(context or {}, cls=DjangoJSONEncoder)),
        },
    )


def reminder_cancel(*, subject: models.Model, key: str) -> int:
    """Stop the reminder about `key` (its reason went away). Returns how many pending steps were cancelled."""
    return timer_cancel(subject=subject, kinds=[REMINDER_TIMER], where={"key": key})


def on_reminder_timer(timer: Timer, now: datetime) -> None:
    """Registered for `escalation.reminder` in `EscalationConfig.ready()`."""
    subject = subject_load(type_id=timer.subject_type_id, object_id=timer.subject_id, lock=True)
    if subject is None:
        return
    subject_type = subject_type_of(subject)
    data = timer.data
    if not subject_type.still_due(subject, kind=data["key"], data=data):
        return
    info = subject_type.describe(subject)
    step = data["step"]
    _after, roles = data["steps"][step]
    due_at = datetime.fromisoformat(data["due_at"])
    for user in subject_people(subject, roles):
        notify_user_at_once(
            subject=subject,
            info=info,
            user=user,
            channel="",
            reason=REMINDER_REASON,
            # One message per occurrence (the due instant) and step: a timer retried after a failure, or a
            # second sweeper, never tells anyone twice.
            key=f"reminder:{subject._meta.label_lower}:{subject.pk}:{data['key']}:{data['due_at']}:{step}",
            template=data["template"],
            context={
                "due_at": due_at,
                "step": step + 1,
                "context": data.get("context", {}),
                "data": {"key": data["key"], "step": step + 1},
            },
            at=now,
        )
    if step + 1 < len(data["steps"]):
        # From the instant it was due, not from when a (possibly late) sweep fired this step: no drift.
        next_after = timedelta(seconds=data["steps"][step + 1][0])
        timer_schedule(
            subject=subject,
            kind=REMINDER_TIMER,
            due_at=max(due_at + next_after, timer_due_at(timer)),
            data={**{k: v for k, v in data.items() if not k.startswith("_")}, "step": step + 1},
        )
