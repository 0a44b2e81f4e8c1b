"""Thin Celery tasks (queue `bulk`, CELERY_TASK_ROUTES): each calls one service and may run twice."""

from celery import shared_task


@shared_task(name="risks.kris_compute", ignore_result=True)
def kris_compute_task() -> int:
    from .computed import kris_compute

    return kris_compute()


@shared_task(name="risks.weekly_radar", ignore_result=True)
def weekly_radar_task() -> int:
    from .radar import weekly_radar

    return weekly_radar()


@shared_task(name="risks.precursors_detect", ignore_result=True)
def precursors_detect_task() -> int:
    from .precursors import precursors_detect

    return precursors_detect()
