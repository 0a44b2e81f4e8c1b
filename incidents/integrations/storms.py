"""Storms: above an integration's storm rate, new alert groups fold into one storm incident per integration,
flagged for a major-incident decision (docs/integrations.md, "Dedup, storms, caps, flapping").

Both paths ask `storm_reached` (rules.py) under `storm_lock`, before their new group exists: the general path
here, the one-statement path inside its statement, which declines when the storm is reached."""

from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from ..models import AlertGroup, Incident, Integration, MajorIncidentFlag, Source
from ..services import incident_create
from ..spikes import flag_raise
from .groups import alert_line, group_claim, group_close, group_incident, group_is_over, group_open
from .payloads import AlertBatch
from .rules import STORM_WINDOW, storm_folding, storm_reached

STORM_KEY = "vigil:storm"


def storm_lock(integration: Integration) -> None:
    """Serialises the new groups of an integration with storm folding, from before the storm is measured to the
    commit, so that every measure sees all the groups opened before it. Unserialised, a burst whose
    transactions all counted before any of them committed saw only its own group each: it opened one incident
    per alert and never folded. `NO KEY UPDATE`, not `UPDATE`: rows whose foreign key constraint points at the
    integration (a silence) take a KEY SHARE lock on it, which `FOR UPDATE` would wait on. The ingestion's own
    rows have no such constraint, so that concurrent requests never lock it."""
    if not storm_folding(integration):
        return
    no_key = connection.features.has_select_for_no_key_update
    list(Integration.objects.select_for_update(no_key=no_key).filter(pk=integration.pk).values_list("pk"))


def storm_count(integration: Integration, now: datetime) -> int:
    """When a group the integration opens now folds into its storm, the number of groups it opened within the
    storm window counting this one (as far as counted: its rate + 1); else 0. The caller holds `storm_lock`
    and has not opened the group yet."""
    if not storm_folding(integration):
        return 0
    rate = integration.storm_rate_per_minute
    return rate + 1 if storm_reached(integration.pk, now - STORM_WINDOW, rate).exists() else 0


def storm_fold(integration: Integration, batch: AlertBatch, count: int, now: datetime) -> Incident:
    """The integration's storm incident, with a line saying the batch's new group folded into it."""
    incident = _storm_incident(integration, count, now)
    alert_line(
        incident.pk,
        _("Folded into the storm: %(title)s") % {"title": batch.title[:300]},
        now,
        dedup_key=batch.dedup_key,
    )
    return incident


def _storm_incident(integration: Integration, count: int, now: datetime) -> Incident:
    """The integration's one open storm incident, opened (and flagged) on the first fold."""
    storm: AlertGroup | None = group_open(integration, STORM_KEY)
    if storm is not None and group_is_over(storm):
        # Someone resolved the storm incident while alerts kept coming: that storm is over, a new one starts.
        group_close(storm, now, save=True)
        storm = None
    if storm is None:
        storm, created = group_claim(integration, STORM_KEY, source_key="", now=now, is_storm=True)
    else:
        created = False
    if created:
        impact, urgency = integration.impact_urgency_for("critical")
        named: dict[str, Any] = {"service": integration.service} if integration.service else {}
        incident = incident_create(
            by=None,
            title=_("Alert storm from %(name)s") % {"name": integration.name},
            description=_(
                "More than %(rate)d new alerts a minute: further new alerts of this integration are folded "
                "into this incident. Decide whether this is a major incident."
            )
            % {"rate": integration.storm_rate_per_minute},
            impact=impact,
            urgency=urgency,
            source=Source.ALERT,
            **named,
        )
        storm.incident = incident
        storm.save(update_fields=["incident"])
        flag_raise(
            kind=MajorIncidentFlag.Kind.STORM,
            integration=integration,
            service=integration.service,
            incident=incident,
            count=count,
            window_minutes=STORM_WINDOW // timedelta(minutes=1),
            now=now,
        )
    return group_incident(storm)  # type: ignore[return-value]  # set above, or by the transaction that created it
