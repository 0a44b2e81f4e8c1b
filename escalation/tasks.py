"""Thin Celery tasks: ids in, a service call out. All go to the `urgent` queue (CELERY_TASK_ROUTES)."""

from celery import shared_task

from .outbox import notification_deliver, outbox_sweep
from .timers import timer_sweep


@shared_task(name="escalation.notification_deliver", acks_late=True, ignore_result=True)
def notification_deliver_task(notification_id: int) -> str:
    """Idempotent: the service claims the row under a lock and does nothing unless it is still due."""
    return notification_deliver(notification_id=notification_id)


@shared_task(name="escalation.timer_sweep", ignore_result=True)
def timer_sweep_task() -> int:
    return timer_sweep()


@shared_task(name="escalation.outbox_sweep", ignore_result=True)
def outbox_sweep_task() -> int:
    return outbox_sweep()


@shared_task(name="escalation.purge", ignore_result=True)
def engine_purge_task() -> dict[str, int]:
    from .retention import engine_purge

    return engine_purge()
