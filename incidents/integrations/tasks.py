"""Thin Celery tasks around the integration services."""

from celery import shared_task

from .heartbeats import heartbeat_sweep


@shared_task(name="incidents.heartbeat_sweep", ignore_result=True)
def heartbeat_sweep_task() -> int:
    """Opens incidents for missed heartbeats; safe to run twice or on two workers at once."""
    return len(heartbeat_sweep())
