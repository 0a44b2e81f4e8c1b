"""Timers in the database and the sweep that fires them.

Higher apps (and the engine itself) register what a kind of timer does from their `AppConfig.ready()`
(`escalation.registry.timer_handler_register`); the sweep claims due pending timers with `SELECT ... FOR UPDATE SKIP LOCKED` in batches, oldest first, and runs
each handler in a savepoint of the batch's transaction. Whatever a handler writes to the outbox commits with
the timer's new state, and delivery is enqueued only after that commit."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils import timezone

from .models import Timer, TimerState
from .registry import timer_handler_for
from .subjects import subject_filter

logger = logging.getLogger(__name__)

# A handler that raises is retried this many times, backing off, before its timer is marked failed.
MAX_TIMER_ATTEMPTS = 5
# Where a retried timer keeps the instant it was first due (`timer_due_at`).
SCHEDULED_AT = "_scheduled_at"


def timer_schedule(
    *, subject: models.Model, kind: str, due_at: datetime, data: dict[str, Any] | None = None
) -> Timer:
    """A new pending timer. Runs in the caller's transaction, so it exists only if the cause commits.

    A kind without a registered handler is refused here, where the mistake is made, rather than failing
    when the timer falls due (when nobody would be paged)."""
    if timer_handler_for(kind) is None:
        raise ImproperlyConfigured(
            f"timer kind {kind!r} has no handler (escalation.registry.timer_handler_register)"
        )
    return Timer.objects.create(**subject_filter(subject), kind=kind, due_at=due_at, data=data or {})


def timer_cancel(*, subject: models.Model, kinds: Iterable[str], where: dict[str, Any] | None = None) -> int:
    """Cancel the subject's pending timers of these kinds (and whose data matches `where`, if given).

    Timers a sweeper holds right now are skipped rather than waited for (waiting could deadlock with the
    sweeper, which locks timers before subjects); their handlers re-check the subject's state and do nothing."""
    qs = Timer.objects.filter(**subject_filter(subject), kind__in=list(kinds), state=TimerState.PENDING)
    for key, value in (where or {}).items():
        qs = qs.filter(**{f"data__{key}": value})
    ids = list(qs.select_for_update(skip_locked=True).values_list("pk", flat=True))
    if not ids:
        return 0
    return Timer.objects.filter(pk__in=ids).update(state=TimerState.CANCELLED)


def timer_due_at(timer: Timer) -> datetime:
    """The instant the timer was scheduled for. A retry after a failed handler moves `due_at` later, so
    handlers that compare it with what they scheduled (or record it as when something happened) use this."""
    first = timer.data.get(SCHEDULED_AT)
    return datetime.fromisoformat(first) if first else timer.due_at


def timer_sweep(*, now: datetime | None = None, batch_size: int | None = None, max_batches: int = 50) -> int:
    """Fire every pending timer due at `now`, oldest first; returns how many fired.

    Safe to run in any number of processes at once: each batch is claimed with SKIP LOCKED, so a timer is
    fired by exactly one sweeper, and its state changes to fired in the same transaction as its effects."""
    batch_size = batch_size or settings.VIGIL_TIMER_BATCH
    fired = 0
    for _ in range(max_batches):
        now_batch = now or timezone.now()
        with transaction.atomic():
            batch = list(
                Timer.objects.select_for_update(skip_locked=True)
                .filter(state=TimerState.PENDING, due_at__lte=now_batch)
                .order_by("due_at", "id")[:batch_size]
            )
            for timer in batch:
                fired += _fire(timer, now_batch)
        # Until a claim comes back empty: a fired timer may have scheduled a successor that is already due
        # (a sweeper that was down catches up on a whole escalation in one sweep, in order).
        if not batch:
            break
    return fired


def _fire(timer: Timer, now: datetime) -> int:
    handler = timer_handler_for(timer.kind)
    try:
        with transaction.atomic():
            if handler is None:
                raise LookupError(f"no handler registered for timer kind {timer.kind!r}")
            handler(timer, now)
    except Exception as error:
        # The savepoint rolled the handler's writes back; the timer is retried later, then given up on.
        logger.exception("timer %s (%s) failed", timer.pk, timer.kind)
        timer.attempts += 1
        timer.last_error = f"{type(error).__name__}: {error}"[:2000]
        if timer.attempts >= MAX_TIMER_ATTEMPTS:
            timer.state = TimerState.FAILED
        else:
            timer.data = {SCHEDULED_AT: timer_due_at(timer).isoformat(), **timer.data}
            timer.due_at = now + timedelta(seconds=30 * 2 ** (timer.attempts - 1))
        timer.save(update_fields=["attempts", "last_error", "state", "due_at", "data"])
        return 0
    timer.state = TimerState.FIRED
    timer.fired_at = now
    timer.save(update_fields=["state", "fired_at"])
    return 1
