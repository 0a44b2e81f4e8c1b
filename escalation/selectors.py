"""Reads of the engine that the API, the admin and the apps above share."""

from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from .calendars import business_add
from .models import CommunicationRule, EscalationPolicy, SlaClock, SlaClockState, SlaPolicy
from .subjects import SubjectInfo, subject_filter


def escalation_policy_for(*, sla_policy: SlaPolicy | None) -> EscalationPolicy | None:
    if sla_policy is not None and sla_policy.escalation_policy_id:
        return sla_policy.escalation_policy
    return EscalationPolicy.objects.filter(is_default=True).first()


def communication_cadence(*, event: str, priority: int | None) -> dict[str, timedelta]:
    """Per audience, how often the communication plan expects `event` for a subject of this priority: the
    shortest `update_interval` of the active rules that apply (a priority's rule or an "any" rule)."""
    rules = CommunicationRule.objects.filter(
        Q(priority__isnull=True) | Q(priority=priority),
        is_active=True,
        event=event,
        update_interval__isnull=False,
    ).values_list("audience", "update_interval")
    cadence: dict[str, timedelta] = {}
    for audience, interval in rules:
        if (
            interval is not None
            and interval > timedelta(0)
            and (audience not in cadence or interval < cadence[audience])
        ):
            cadence[audience] = interval
    return cadence


def sla_clocks_of(subject: models.Model) -> QuerySet[SlaClock]:
    return SlaClock.objects.filter(**subject_filter(subject)).order_by("kind")


def sla_summary(clocks: list[SlaClock]) -> dict[str, Any]:
    """For lists: per clock kind its state, due instant and breach instant."""
    return {
        clock.kind: {
            "state": clock.state,
            "due_at": clock.due_at,
            "breached_at": clock.breached_at,
            "met_at": clock.met_at,
            "warned_at": clock.warned_at,
        }
        for clock in clocks
    }


def breached_subject_ids(*, model: type[models.Model]) -> QuerySet:
    """Ids of subjects of `model` with a breached SLA clock, for filters and annotations."""
    from django.contrib.contenttypes.models import ContentType

    return SlaClock.objects.filter(
        subject_type=ContentType.objects.get_for_model(model), state=SlaClockState.BREACHED
    ).values("subject_id")


def paused_subject_ids(*, model: type[models.Model]) -> QuerySet:
    """Ids of subjects of `model` with a paused SLA clock (on hold), for a list's SLA column."""
    from django.contrib.contenttypes.models import ContentType

    return SlaClock.objects.filter(
        subject_type=ContentType.objects.get_for_model(model), state=SlaClockState.PAUSED
    ).values("subject_id")


def running_clock_due_at(*, model: type[models.Model]) -> QuerySet:
    """Due instants of the running SLA clocks of subjects of `model`, soonest first, for a list's "time left"
    (filter on `subject_id` and take the first)."""
    from django.contrib.contenttypes.models import ContentType

    return (
        SlaClock.objects.filter(
            subject_type=ContentType.objects.get_for_model(model), state=SlaClockState.RUNNING
        )
        .order_by("due_at")
        .values("due_at")
    )


def escalation_simulate(
    *, policy: EscalationPolicy, start: datetime, priority: int, cycles_limit: int = 10
) -> list[dict[str, Any]]:
    """A dry run: who would be paged, when and over which channel, if nobody acknowledged a subject of this
    priority opened at `start`. Level delays follow the policy's calendar; personal rules add their delays.
    Team and schedule targets are resolved as on call at each page's instant. When the SLA policy for this
    priority (without service or category) names this escalation policy, its acknowledge warning and breach
    are included, told to the levels reached by then. Writes nothing."""
    from .calendars import running_calendar_snapshot
    from .channels import private_address
    from .escalations import level_users, policy_snapshot
    from .notify import user_channels

    snapshot = policy_snapshot(policy)
    info = SubjectInfo(reference="SIMULATION", title="", priority=priority)
    steps: list[dict[str, Any]] = []

    def page(users: list, *, at: datetime, reason: str, cycle: int, level: int) -> None:
        for user in users:
            for method, rule_delay in user_channels(user=user, priority=priority):
                steps.append(
                    {
                        "at": at + rule_delay,
                        "reason": reason,
                        "cycle": cycle,
                        "level": level,
                        "user_id": user.pk,
                        "username": user.get_username(),
                        "channel": method.channel if method else "email",
                        "address": private_address(method.channel, method.address) if method else user.email,
                        "contact_method_id": method.pk if method else None,
                    }
                )

    at = start
    cal = snapshot["calendar"]
    reached: list[tuple[datetime, dict]] = []
    for cycle in range(min(snapshot["repeat_count"], cycles_limit) + 1):
        for index, level in enumerate(snapshot["levels"]):
            if cycle > 0 and index == 0:
                delay = timedelta(seconds=snapshot["repeat_delay_seconds"])
            else:
                delay = timedelta(seconds=level["delay_seconds"])
            at = business_add(calendar=cal, start=at, duration=delay)
            if cycle == 0:
                reached.append((at, level))
            page(
                level_users(level=level, info=info, at=at), at=at, reason="page", cycle=cycle, level=index + 1
            )
    sla = SlaPolicy.objects.filter(
        escalation_policy=policy, priority=priority, service_id=None, category_id=None, is_active=True
    ).first()
    if sla is not None and reached:
        sla_cal = running_calendar_snapshot(sla.calendar)
        target = sla.time_to_acknowledge
        for reason, share in (("sla.warning", sla.warning_percent / 100), ("sla.breach", 1)):
            instant = business_add(calendar=sla_cal, start=start, duration=target * share)
            levels = [level for due, level in reached if due <= instant] or [reached[0][1]]
            users: dict[int, Any] = {}
            for level in levels:
                for user in level_users(level=level, info=info, at=instant):
                    users.setdefault(user.pk, user)
            page(list(users.values()), at=instant, reason=reason, cycle=0, level=len(levels))
    steps.sort(key=lambda s: (s["at"], s["level"], s["user_id"]))
    return steps


def sla_clocks_by_subject(*, model: type[models.Model], ids: list[int]) -> dict[int, list[SlaClock]]:
    """The clocks of many subjects of one model in one query, for lists (API pages, admin lists)."""
    from django.contrib.contenttypes.models import ContentType

    found: dict[int, list[SlaClock]] = {pk: [] for pk in ids}
    clocks = SlaClock.objects.filter(
        subject_type=ContentType.objects.get_for_model(model), subject_id__in=ids
    )
    for clock in clocks.order_by("kind"):
        found.setdefault(clock.subject_id, []).append(clock)
    return found
