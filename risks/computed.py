"""KRIs Vigil computes from its own data on a schedule (beat: `risks.kris_compute`): incidents per week of a
service, the trend of the mean time to resolve, the SLA breach rate, repeats of one category. Each run stores
one reading per KRI and evaluates it like a pushed one."""

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Avg, F, QuerySet
from django.utils import timezone

from escalation.models import SlaClock, SlaClockState
from incidents.models import Incident

from .kris import kri_evaluate
from .models import KRI, ComputedMeasure, KRIReading, KRISource


def _incidents(kri: KRI) -> QuerySet[Incident]:
    incidents = Incident.objects.all()
    if kri.service_id:
        incidents = incidents.filter(service_id=kri.service_id)
    if kri.category_id:
        incidents = incidents.filter(category_id=kri.category_id)
    return incidents


def _mean_resolve_seconds(
    incidents: QuerySet[Incident], since: dt.datetime, until: dt.datetime
) -> float | None:
    mean = incidents.filter(resolved_at__gte=since, resolved_at__lt=until).aggregate(
        d=Avg(F("resolved_at") - F("reported_at"))
    )["d"]
    return None if mean is None else mean.total_seconds()


def kri_compute_value(kri: KRI, *, now: dt.datetime) -> float:
    """The measure over the `compute_window_days` that end now."""
    window = dt.timedelta(days=kri.compute_window_days or 7)
    since = now - window
    incidents = _incidents(kri)
    if kri.measure == ComputedMeasure.INCIDENTS_PER_WEEK:
        count = incidents.filter(reported_at__gte=since, reported_at__lt=now).count()
        return count * 7 / (window.total_seconds() / 86400)
    if kri.measure == ComputedMeasure.CATEGORY_REPEATS:
        return float(incidents.filter(reported_at__gte=since, reported_at__lt=now).count())
    if kri.measure == ComputedMeasure.MTTR_TREND:
        current = _mean_resolve_seconds(incidents, since, now)
        previous = _mean_resolve_seconds(incidents, since - window, since)
        if current is None or not previous:
            return 0.0
        return (current - previous) / previous * 100
    if kri.measure == ComputedMeasure.SLA_BREACH_RATE:
        ids = list(incidents.filter(reported_at__gte=since, reported_at__lt=now).values_list("pk", flat=True))
        clocks = SlaClock.objects.filter(
            subject_type=ContentType.objects.get_for_model(Incident), subject_id__in=ids, started_at__lt=now
        ).exclude(state=SlaClockState.CANCELLED)
        total = clocks.count()
        return clocks.filter(state=SlaClockState.BREACHED).count() / total * 100 if total else 0.0
    raise ValueError(f"unknown measure {kri.measure!r}")


def kris_compute(*, now: dt.datetime | None = None) -> int:
    """Compute every active computed KRI now: one reading each, then evaluation. Returns how many."""
    now = now or timezone.now()
    count = 0
    for kri_id in (
        KRI.objects.filter(is_active=True, source=KRISource.COMPUTED)
        .exclude(measure="")
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            kri = KRI.objects.select_for_update().filter(pk=kri_id).first()
            if kri is None:
                continue
            value = kri_compute_value(kri, now=now)
            KRIReading.objects.create(kri=kri, at=now, value=value)
            kri_evaluate(kri, at=now)
            count += 1
    return count
