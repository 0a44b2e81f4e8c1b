"""Thin Celery tasks (queue `bulk`, CELERY_TASK_ROUTES): each calls one service and may run twice."""

from celery import shared_task


@shared_task(name="postmortems.rollups_refresh", ignore_result=True)
def rollups_refresh_task() -> int:
    from .rollups import rollups_refresh

    return rollups_refresh()


@shared_task(name="postmortems.rollups_recompute", ignore_result=True, time_limit=1800, soft_time_limit=1700)
def rollups_recompute_task() -> dict[str, int]:
    from .rollups import rollups_recompute

    return rollups_recompute()


@shared_task(name="postmortems.weekly_digest", ignore_result=True)
def weekly_digest_task() -> int:
    from .digest import weekly_digest_send

    return weekly_digest_send()
