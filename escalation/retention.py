"""Keeping the engine's tables small: fired timers and delivered notifications are history after a while."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Notification, NotificationState, Timer, TimerState

BATCH = 5000


def engine_purge(*, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Delete timers that are no longer pending and notifications that were sent or cancelled, older than
    VIGIL_ENGINE_RETENTION_DAYS (delivery attempts go with their notification). Failed notifications stay
    until someone looks at them. Deletes in batches, each its own short transaction."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.VIGIL_ENGINE_RETENTION_DAYS)
    counts = {"timers": 0, "notifications": 0}
    targets = {
        "timers": Timer.objects.filter(~Q(state=TimerState.PENDING), due_at__lt=cutoff),
        "notifications": Notification.objects.filter(
            state__in=[NotificationState.SENT, NotificationState.CANCELLED], created_at__lt=cutoff
        ),
    }
    for name, qs in targets.items():
        while True:
            ids = list(qs.values_list("pk", flat=True)[:batch])
            if not ids:
                break
            qs.model._default_manager.filter(pk__in=ids).delete()
            counts[name] += len(ids)
    return counts
