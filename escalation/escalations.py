"""Escalation: page level after level until someone acknowledges, from a snapshot of the policy.

Entry points run in the caller's transaction and expect the caller to hold the subject's row lock; they lock
the escalation row themselves. Timer handlers (registered below) run inside the timer sweep."""

from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.db import models

from .calendars import business_add, running_calendar_snapshot
from .events import ESCALATION_LEVEL, event_emit
from .models import Escalation, EscalationPolicy, EscalationState, Team, Timer
from .notify import PAGE_TIMER, notify_user_now, page_users
from .outbox import notifications_cancel
from .subjects import (
    SubjectInfo,
    subject_describe,
    subject_filter,
    subject_load,
    subject_people,
    subject_record,
)
from .timers import timer_cancel, timer_due_at, timer_schedule

LEVEL_TIMER = "escalation.level"
PAGE_REASON = "page"


def policy_snapshot(policy: EscalationPolicy) -> dict[str, Any]:
    """Everything a running escalation needs, frozen: editing the policy later changes nothing for it."""
    levels = policy.levels.prefetch_related("users").order_by("position", "id")
    return {
        "policy_id": policy.pk,
        "name": policy.name,
        "calendar_id": policy.calendar_id,
        "calendar": running_calendar_snapshot(policy.calendar),
        "repeat_count": policy.repeat_count,
        "repeat_delay_seconds": int(policy.repeat_delay.total_seconds()),
        "levels": [level.as_snapshot() for level in levels],
    }


def _team_people(team_id: int, at: datetime) -> list[User]:
    """Whoever active is on call for the team now; every active member when the team has no schedule or nobody
    active is."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        return []
    from .oncall import team_oncall

    people = [user for user in team_oncall(team=team, at=at) if user.is_active]
    return people or list(team.members.filter(is_active=True).order_by("pk"))


def level_users(
    *, level: dict[str, Any], info: SubjectInfo, at: datetime, subject: models.Model | None = None
) -> list[User]:
    """The people a level reaches at `at`, resolved now (on-call changes between levels are followed). Roles
    on the subject (its owner, ...) are asked of the subject's type, so only when the subject is given (a dry
    run has none)."""
    found: list[User] = list(
        User.objects.filter(pk__in=level.get("user_ids", []), is_active=True).order_by("pk")
    )
    if level.get("team_id"):
        found += _team_people(level["team_id"], at)
    if level.get("schedule_id"):
        from .oncall import oncall_users

        schedule = apps.get_model("escalation", "Schedule").objects.filter(pk=level["schedule_id"]).first()
        if schedule is not None:
            # Rotations keep people who have left until someone edits them: they are not paged.
            found += [user for user in oncall_users(schedule=schedule, at=at) if user.is_active]
    if level.get("service_owner") and info.owner_team_id:
        found += _team_people(info.owner_team_id, at)
    if level.get("team_manager"):
        team = (
            Team.objects.filter(pk=info.team_id or info.owner_team_id or 0).select_related("manager").first()
        )
        if team is not None and team.manager is not None and team.manager.is_active:
            found.append(team.manager)
    if level.get("subject_roles") and subject is not None:
        found += subject_people(subject, level["subject_roles"])
    unique: dict[int, User] = {}
    for user in found:
        unique.setdefault(user.pk, user)
    return list(unique.values())


def escalation_start(
    *, subject: models.Model, policy: EscalationPolicy, at: datetime, info: SubjectInfo | None = None
) -> Escalation | None:
    """Start paging for a subject. A first level without delay pages inside this transaction, so its outbox
    rows leave right after the commit instead of waiting for the next sweep. None if one is already active."""
    if Escalation.objects.filter(**subject_filter(subject), state=EscalationState.ACTIVE).exists():
        return None
    info = info or subject_describe(subject)
    snapshot = policy_snapshot(policy)
    escalation = Escalation.objects.create(
        **subject_filter(subject),
        policy=policy,
        snapshot=snapshot,
        priority=info.priority,
        started_at=at,
    )
    if not snapshot["levels"]:
        escalation.state = EscalationState.EXHAUSTED
        escalation.save(update_fields=["state"])
        return escalation
    first = snapshot["levels"][0]
    due = business_add(
        calendar=snapshot["calendar"], start=at, duration=timedelta(seconds=first["delay_seconds"])
    )
    if due <= at:
        _page_level(escalation, subject=subject, info=info, cycle=0, index=0, due_at=at, now=at)
    else:
        timer_schedule(
            subject=subject,
            kind=LEVEL_TIMER,
            due_at=due,
            data={"escalation_id": escalation.pk, "cycle": 0, "index": 0},
        )
    return escalation


def _page_level(
    escalation: Escalation,
    *,
    subject: models.Model,
    info: SubjectInfo,
    cycle: int,
    index: int,
    due_at: datetime,
    now: datetime,
) -> None:
    """Page level `index` of cycle `cycle` and schedule what comes next. The escalation row is locked."""
    snapshot = escalation.snapshot
    levels = snapshot["levels"]
    level = levels[index]
    users = level_users(level=level, info=info, at=now, subject=subject)
    step = {
        "level": index + 1,
        "cycle": cycle,
        "policy": snapshot["name"],
        "users": [user.get_username() for user in users],
    }
    subject_record(subject, what="escalated", at=now, data=step)
    page_users(
        subject=subject,
        info=info,
        users=users,
        reason=PAGE_REASON,
        key=f"page:{escalation.pk}:{cycle}:{index}",
        template="page",
        context={
            "level": index + 1,
            "cycle": cycle,
            "policy": snapshot["name"],
            "data": {"level": index + 1},
        },
        at=now,
    )
    if index or cycle:
        # A step past the first level (the first is the escalation's start, told by the subject's own
        # "created" event): webhooks and the communication plan hear of it.
        event_emit(subject=subject, event=ESCALATION_LEVEL, at=now, data=step, info=info)
    escalation.level = index + 1
    escalation.cycle = cycle
    escalation.last_paged_at = now
    calendar = snapshot["calendar"]
    if index + 1 < len(levels):
        delay = timedelta(seconds=levels[index + 1]["delay_seconds"])
        nxt: tuple[int, int] | None = (cycle, index + 1)
    elif cycle < snapshot["repeat_count"]:
        delay = timedelta(seconds=snapshot["repeat_delay_seconds"])
        nxt = (cycle + 1, 0)
    else:
        nxt = None
    if nxt is None:
        escalation.state = EscalationState.EXHAUSTED
    else:
        # From the instant this level was due, not when a (possibly late) sweep fired it: no drift.
        timer_schedule(
            subject=subject,
            kind=LEVEL_TIMER,
            due_at=business_add(calendar=calendar, start=due_at, duration=delay),
            data={"escalation_id": escalation.pk, "cycle": nxt[0], "index": nxt[1]},
        )
    escalation.save(update_fields=["level", "cycle", "last_paged_at", "state"])


def on_level_timer(timer: Timer, now: datetime) -> None:
    escalation = Escalation.objects.select_for_update().filter(pk=timer.data["escalation_id"]).first()
    if escalation is None or escalation.state != EscalationState.ACTIVE:
        return
    cycle, index = timer.data["cycle"], timer.data["index"]
    # `level` counts the levels paged in this cycle, so it is also the index of the next one to page; after
    # the last level, the next is the first of the following cycle.
    if escalation.level < len(escalation.snapshot["levels"]):
        expected = (escalation.cycle, escalation.level)
    else:
        expected = (escalation.cycle + 1, 0)
    if (cycle, index) != expected:
        return  # a stale or repeated timer: that level was paged already
    subject = subject_load(type_id=escalation.subject_type_id, object_id=escalation.subject_id)
    if subject is None:
        return
    _page_level(
        escalation,
        subject=subject,
        info=subject_describe(subject),
        cycle=cycle,
        index=index,
        due_at=timer_due_at(timer),
        now=now,
    )


def on_page_timer(timer: Timer, now: datetime) -> None:
    """A delayed personal rule (for example: SMS after 5 minutes if still not acknowledged)."""
    subject = subject_load(type_id=timer.subject_type_id, object_id=timer.subject_id)
    user = User.objects.filter(pk=timer.data["user_id"], is_active=True).first()
    if subject is None or user is None:
        return
    if timer.data["reason"] == PAGE_REASON:
        # Locked, not only read: an acknowledge running now cannot cancel this timer (the sweep holds it), so
        # this waits for that transaction and sees its outcome instead of paging from the state before it.
        live = Escalation.objects.select_for_update().filter(
            **subject_filter(subject), state__in=[EscalationState.ACTIVE, EscalationState.EXHAUSTED]
        )
        if not list(live.values_list("pk", flat=True)):
            return  # acknowledged or ended since: the delayed page is moot
    method = None
    if timer.data.get("method_id"):
        from .models import ContactMethod

        method = ContactMethod.objects.filter(pk=timer.data["method_id"], is_active=True).first()
        if method is None:
            return
    notify_user_now(
        subject=subject,
        info=subject_describe(subject),
        user=user,
        method=method,
        reason=timer.data["reason"],
        key=timer.data["key"],
        template=timer.data["template"],
        context=timer.data.get("context", {}),
        at=now,
        actions=True,  # only pages are delayed (page_users): the links are signed now, so they last
    )


def _end(*, subject: models.Model, state: str, at: datetime, by: User | None = None) -> Escalation | None:
    escalation = (
        Escalation.objects.select_for_update()
        .filter(**subject_filter(subject), state__in=[EscalationState.ACTIVE, EscalationState.EXHAUSTED])
        .order_by("-started_at")
        .first()
    )
    timer_cancel(subject=subject, kinds=[LEVEL_TIMER, PAGE_TIMER])
    notifications_cancel(subject=subject, reasons=[PAGE_REASON])
    if escalation is None:
        return None
    escalation.state = state
    escalation.stopped_at = at
    if state == EscalationState.ACKNOWLEDGED:
        escalation.acknowledged_at = at
        escalation.acknowledged_by = by
        subject_record(
            subject,
            what="acknowledged",
            at=at,
            data={
                "by": by.get_username() if by is not None else None,
                "by_id": by.pk if by is not None else None,
                "level": escalation.level,
                "policy": escalation.snapshot.get("name", ""),
            },
        )
    escalation.save(update_fields=["state", "stopped_at", "acknowledged_at", "acknowledged_by"])
    return escalation


def escalation_acknowledge(*, subject: models.Model, by: User | None, at: datetime) -> Escalation | None:
    """Stop paging: cancel the next levels, delayed personal pages and every page still in the outbox."""
    return _end(subject=subject, state=EscalationState.ACKNOWLEDGED, at=at, by=by)


def escalation_stop(*, subject: models.Model, at: datetime) -> Escalation | None:
    """Stop paging because the subject ended (resolved, cancelled)."""
    return _end(subject=subject, state=EscalationState.STOPPED, at=at)


def escalation_switch(
    *, subject: models.Model, policy: EscalationPolicy | None, at: datetime, info: SubjectInfo
) -> Escalation | None:
    """After a priority change: if nobody has acknowledged yet and the policy in force is another one, the
    running escalation stops and the new policy starts now (its first level pages at once). Pages already
    sent stay sent; those still pending for the old policy are cancelled."""
    if policy is None or not info.is_open or info.acknowledged:
        return None
    current = (
        Escalation.objects.select_for_update()
        .filter(**subject_filter(subject), state__in=[EscalationState.ACTIVE, EscalationState.EXHAUSTED])
        .first()
    )
    if current is not None and current.policy_id == policy.pk:
        return None
    if current is not None:
        _end(subject=subject, state=EscalationState.STOPPED, at=at)
    elif Escalation.objects.filter(**subject_filter(subject)).exists():
        return None  # it was acknowledged or stopped before: nothing to restart
    return escalation_start(subject=subject, policy=policy, at=at, info=info)


def escalation_current_level_users(*, subject: models.Model, info: SubjectInfo, at: datetime) -> list[User]:
    """Who SLA warnings and breaches go to: the levels the subject's escalation reached (the first level if
    none was paged yet)."""
    escalation = Escalation.objects.filter(**subject_filter(subject)).order_by("-started_at").first()
    if escalation is None or not escalation.snapshot.get("levels"):
        return []
    levels = escalation.snapshot["levels"]
    reached = max(escalation.level, 1) if escalation.cycle == 0 else len(levels)
    users: dict[int, User] = {}
    for level in levels[:reached]:
        for user in level_users(level=level, info=info, at=at, subject=subject):
            users.setdefault(user.pk, user)
    return list(users.values())
