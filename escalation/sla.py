"""SLA clocks: time to acknowledge and time to resolve, on business time, from a snapshot of the policy.

Entry points run in the caller's transaction and expect it to hold the subject's row lock. Each clock keeps
its closed running segments and the start of the open one; pausing closes a segment, resuming opens one,
and a new priority re-snapshots the targets and recomputes the due instants from the elapsed time."""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q

from .calendars import business_add, business_between, running_calendar_snapshot
from .escalations import escalation_current_level_users
from .models import SLA_CLOCK_OPEN, SlaClock, SlaClockKind, SlaClockState, SlaPolicy, Timer
from .notify import page_users
from .subjects import SubjectInfo, subject_describe, subject_filter, subject_key, subject_load
from .timers import timer_cancel, timer_due_at, timer_schedule

WARNING_TIMER = "sla.warning"
BREACH_TIMER = "sla.breach"


def sla_policy_for(
    *,
    priority: int | None,
    service_id: int | None,
    category_id: int | None,
    subject_type_id: int | None = None,
) -> SlaPolicy | None:
    """The most specific active policy: one for the subject's type before one for any type; then service and
    category, service, category, priority only. Without a subject type, only policies for any type apply."""
    if priority is None:
        return None
    candidates = SlaPolicy.objects.filter(priority=priority, is_active=True).filter(
        Q(subject_type__isnull=True) | Q(subject_type_id=subject_type_id),
        Q(service_id__isnull=True) | Q(service_id=service_id),
        Q(category_id__isnull=True) | Q(category_id=category_id),
    )

    def rank(policy: SlaPolicy) -> tuple[int, int, int, int]:
        return (
            policy.subject_type_id is None,
            policy.service_id is None,
            policy.category_id is None,
            policy.pk,
        )

    return min(candidates, key=rank, default=None)


def sla_policy_of(*, subject: models.Model, info: SubjectInfo) -> SlaPolicy | None:
    """The policy in force for a subject as described."""
    return sla_policy_for(
        priority=info.priority,
        service_id=info.service_id,
        category_id=info.category_id,
        subject_type_id=subject_key(subject)[0],
    )


def _snapshot(policy: SlaPolicy) -> dict:
    return {
        "policy_id": policy.pk,
        "name": policy.name,
        "priority": policy.priority,
        "time_to_acknowledge_seconds": int(policy.time_to_acknowledge.total_seconds()),
        "time_to_resolve_seconds": int(policy.time_to_resolve.total_seconds()),
        "warning_percent": policy.warning_percent,
        "calendar_id": policy.calendar_id,
        "calendar": running_calendar_snapshot(policy.calendar),
        "escalation_policy_id": policy.escalation_policy_id,
    }


def _apply_policy(clock: SlaClock, policy: SlaPolicy) -> None:
    clock.policy = policy
    clock.snapshot = _snapshot(policy)
    clock.target = (
        policy.time_to_acknowledge if clock.kind == SlaClockKind.ACKNOWLEDGE else policy.time_to_resolve
    )


def _elapsed(clock: SlaClock, at: datetime) -> timedelta:
    """Business time the clock has run up to `at` (closed segments plus the open one)."""
    if clock.running_since is None:
        return clock.elapsed
    return clock.elapsed + business_between(
        calendar=clock.snapshot.get("calendar"), start=clock.running_since, end=at
    )


def sla_clock_elapsed(clock: SlaClock, at: datetime) -> timedelta:
    """Business time the clock has run up to `at`, for pages that show the time left."""
    return _elapsed(clock, at)


def _close_segment(clock: SlaClock, at: datetime) -> None:
    if clock.running_since is None:
        return
    clock.elapsed = _elapsed(clock, at)
    clock.segments = [*clock.segments, [clock.running_since.isoformat(), at.isoformat()]]
    clock.running_since = None


def _reschedule(clock: SlaClock, subject: models.Model) -> None:
    """Recompute warn_at/due_at from the elapsed time and replace the clock's timers."""
    timer_cancel(subject=subject, kinds=[WARNING_TIMER, BREACH_TIMER], where={"clock_id": clock.pk})
    if clock.state != SlaClockState.RUNNING or clock.running_since is None:
        clock.warn_at = clock.due_at = None
        return
    start, cal = clock.running_since, clock.snapshot.get("calendar")
    clock.due_at = business_add(
        calendar=cal, start=start, duration=max(clock.target - clock.elapsed, timedelta(0))
    )
    percent = clock.snapshot.get("warning_percent", 75)
    warn_after = clock.target * percent / 100 - clock.elapsed
    clock.warn_at = None
    if clock.warned_at is None and warn_after > timedelta(0):
        clock.warn_at = business_add(calendar=cal, start=start, duration=warn_after)
        timer_schedule(subject=subject, kind=WARNING_TIMER, due_at=clock.warn_at, data={"clock_id": clock.pk})
    timer_schedule(subject=subject, kind=BREACH_TIMER, due_at=clock.due_at, data={"clock_id": clock.pk})


def sla_clocks_start(
    *, subject: models.Model, at: datetime, info: SubjectInfo | None = None
) -> list[SlaClock]:
    """Start the acknowledge and resolve clocks with the policy in force for the subject (none: no clocks)."""
    info = info or subject_describe(subject)
    policy = sla_policy_of(subject=subject, info=info)
    if policy is None or not info.is_open:
        return []
    kinds = [SlaClockKind.RESOLVE] if info.acknowledged else [SlaClockKind.ACKNOWLEDGE, SlaClockKind.RESOLVE]
    clocks = []
    for kind in kinds:
        clock = SlaClock(**subject_filter(subject), kind=kind, started_at=at, running_since=at)
        _apply_policy(clock, policy)
        if info.paused and kind == SlaClockKind.RESOLVE:
            clock.state, clock.running_since = SlaClockState.PAUSED, None
        clock.save()
        _reschedule(clock, subject)
        clock.save()
        clocks.append(clock)
    return clocks


def _open_clocks(subject: models.Model, kinds: list[str]) -> list[SlaClock]:
    return list(
        SlaClock.objects.select_for_update()
        .filter(**subject_filter(subject), kind__in=kinds, state__in=SLA_CLOCK_OPEN)
        .order_by("kind")
    )


def sla_clocks_pause(*, subject: models.Model, at: datetime) -> None:
    """The subject is on hold: the resolve clock stops counting until it resumes."""
    for clock in _open_clocks(subject, [SlaClockKind.RESOLVE]):
        if clock.state == SlaClockState.RUNNING:
            _close_segment(clock, at)
            clock.state = SlaClockState.PAUSED
            _reschedule(clock, subject)
            clock.save()


def sla_clocks_resume(*, subject: models.Model, at: datetime) -> None:
    for clock in _open_clocks(subject, [SlaClockKind.RESOLVE]):
        if clock.state == SlaClockState.PAUSED:
            clock.state = SlaClockState.RUNNING
            clock.running_since = at
            _reschedule(clock, subject)
            clock.save()


def sla_clocks_stop(*, subject: models.Model, kinds: list[str], at: datetime, cancel: bool = False) -> None:
    """The clock's goal was reached (acknowledged, resolved): met if within the target, else breached at the
    instant the target ran out. `cancel` ends them without an outcome (the subject was cancelled)."""
    for clock in _open_clocks(subject, kinds):
        due_at = clock.due_at
        _close_segment(clock, at)
        clock.stopped_at = at
        breached = False
        if cancel:
            clock.state = SlaClockState.CANCELLED
        elif clock.elapsed <= clock.target:
            clock.state = SlaClockState.MET
            clock.met_at = at
        else:
            clock.state = SlaClockState.BREACHED
            clock.breached_at = due_at or at
            breached = True
        _reschedule(clock, subject)
        clock.save()
        if breached:
            # The breach timer had not fired yet (the sweep was behind) and is cancelled with the clock: the
            # event goes out here. Nobody is paged: the subject has just been acknowledged or resolved.
            _emit_breach(clock, subject=subject, due_at=due_at, at=at)


def sla_clocks_reprioritise(*, subject: models.Model, at: datetime, info: SubjectInfo | None = None) -> None:
    """A new priority (or service, category): open clocks take the policy now in force, keep the time they
    have run, and get new due instants. A target that is already exceeded breaches on the next sweep."""
    info = info or subject_describe(subject)
    policy = sla_policy_of(subject=subject, info=info)
    if policy is None:
        # No policy for the new priority (say P4 has none): the old targets no longer apply, so the open
        # clocks stop without an outcome and their timers go (no phantom warning or breach).
        for clock in _open_clocks(subject, [SlaClockKind.ACKNOWLEDGE, SlaClockKind.RESOLVE]):
            _close_segment(clock, at)
            clock.state = SlaClockState.CANCELLED
            clock.stopped_at = at
            _reschedule(clock, subject)
            clock.save()
        return
    if not SlaClock.objects.filter(**subject_filter(subject)).exists():
        # No policy applied before (say P4 had none): the clocks start now, on the new one.
        sla_clocks_start(subject=subject, at=at, info=info)
        return
    if info.is_open:
        # Clocks a priority without policy stopped run again, with the time they had run before: the
        # acknowledge clock only while nobody has acknowledged.
        stopped = SlaClock.objects.select_for_update().filter(
            **subject_filter(subject), state=SlaClockState.CANCELLED
        )
        for clock in stopped:
            if clock.kind == SlaClockKind.ACKNOWLEDGE and info.acknowledged:
                continue
            _apply_policy(clock, policy)
            clock.stopped_at = None
            if info.paused and clock.kind == SlaClockKind.RESOLVE:
                clock.state = SlaClockState.PAUSED
            else:
                clock.state, clock.running_since = SlaClockState.RUNNING, at
            _reschedule(clock, subject)
            clock.save()
    for clock in _open_clocks(subject, [SlaClockKind.ACKNOWLEDGE, SlaClockKind.RESOLVE]):
        running = clock.state == SlaClockState.RUNNING
        _close_segment(clock, at)  # the elapsed time so far counts on the old calendar
        _apply_policy(clock, policy)
        if running:
            clock.running_since = at
        _reschedule(clock, subject)
        clock.save()


def sla_clocks_reopen(*, subject: models.Model, at: datetime) -> None:
    """A resolved subject is reopened: a resolve clock that was met runs again from where it stopped (a
    breached one stays breached: the breach happened)."""
    for clock in SlaClock.objects.select_for_update().filter(
        **subject_filter(subject), kind=SlaClockKind.RESOLVE, state=SlaClockState.MET
    ):
        clock.state = SlaClockState.RUNNING
        clock.met_at = clock.stopped_at = None
        clock.running_since = at
        _reschedule(clock, subject)
        clock.save()


def _fired_clock(timer: Timer, expected_field: str) -> SlaClock | None:
    clock = SlaClock.objects.select_for_update().filter(pk=timer.data["clock_id"]).first()
    if clock is None or clock.state != SlaClockState.RUNNING:
        return None
    if getattr(clock, expected_field) != timer_due_at(timer):
        return None  # stale: the clock was paused or recomputed since this timer was set
    return clock


def _tell(clock: SlaClock, *, reason: str, at: datetime) -> None:
    from .events import SLA_BREACHED, SLA_WARNING, event_emit

    subject = subject_load(type_id=clock.subject_type_id, object_id=clock.subject_id)
    if subject is None:
        return
    info = subject_describe(subject)
    users = escalation_current_level_users(subject=subject, info=info, at=at)
    page_users(
        subject=subject,
        info=info,
        users=users,
        reason=reason,
        key=f"{reason}:{clock.pk}",
        template=reason.replace(".", "_"),
        context={"clock": clock.kind, "due_at": clock.due_at, "data": {"clock": clock.kind}},
        at=at,
    )
    event = SLA_WARNING if reason == WARNING_TIMER else SLA_BREACHED
    event_emit(
        subject=subject, event=event, at=at, data={"clock": clock.kind, "due_at": clock.due_at}, info=info
    )


def _emit_breach(clock: SlaClock, *, subject: models.Model, due_at: datetime | None, at: datetime) -> None:
    from .events import SLA_BREACHED, event_emit

    event_emit(subject=subject, event=SLA_BREACHED, at=at, data={"clock": clock.kind, "due_at": due_at})


def on_warning_timer(timer: Timer, now: datetime) -> None:
    clock = _fired_clock(timer, "warn_at")
    if clock is None or clock.warned_at is not None:
        return  # a clock warns once, even if a timer that could not be cancelled is still around
    clock.warned_at = now
    clock.save(update_fields=["warned_at"])
    _tell(clock, reason=WARNING_TIMER, at=now)


def on_breach_timer(timer: Timer, now: datetime) -> None:
    clock = _fired_clock(timer, "due_at")
    if clock is None:
        return
    due_at = timer_due_at(timer)
    _close_segment(clock, due_at)
    clock.state = SlaClockState.BREACHED
    clock.breached_at = due_at
    clock.save()
    _tell(clock, reason=BREACH_TIMER, at=now)
