"""Key risk indicators: readings in, evaluation with hysteresis, and what a change of state sets going
(notifications through the engine, the red escalation timer, an optional incident)."""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Avg, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidInput, NotFound, PermissionDenied
from escalation.escalations import escalation_acknowledge, escalation_start
from escalation.events import event_emit
from escalation.models import Timer
from escalation.notify import notify_user_at_once, page_users
from escalation.subjects import subject_describe, subject_people
from escalation.timers import timer_cancel, timer_schedule

from .events import RiskEvent
from .models import (
    KRI,
    Direction,
    Evaluation,
    KRIReading,
    KRIState,
    KRIStateChange,
    RiskHistory,
    RiskHistoryKind,
)
from .models.kri import STATE_ORDER

RED_ESCALATION_TIMER = "risks.kri_red_unacknowledged"
# A reading may be stamped a little ahead of our clock (clock skew), never further.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Thresholds:
    yellow: float
    red: float
    hysteresis: float
    higher_is_worse: bool = True


def thresholds_of(kri: KRI) -> Thresholds:
    return Thresholds(
        yellow=kri.yellow,
        red=kri.red,
        hysteresis=kri.hysteresis,
        higher_is_worse=kri.direction == Direction.HIGHER_IS_WORSE,
    )


def state_next(current: str, value: float, t: Thresholds) -> str:
    """The state a value gives from the current one. Going up needs the threshold itself; going down needs
    the value back past the threshold by the hysteresis, so a value hovering at a threshold does not flap."""
    sign = 1.0 if t.higher_is_worse else -1.0
    v, yellow, red = sign * value, sign * t.yellow, sign * t.red
    raw = KRIState.RED if v >= red else KRIState.YELLOW if v >= yellow else KRIState.GREEN
    if STATE_ORDER.index(raw) >= STATE_ORDER.index(KRIState(current)):
        return str(raw)
    if current == KRIState.RED:
        if v >= red - t.hysteresis:
            return str(KRIState.RED)
        return str(KRIState.YELLOW if v >= yellow - t.hysteresis else KRIState.GREEN)
    # current is yellow, raw is green
    return str(KRIState.YELLOW if v >= yellow - t.hysteresis else KRIState.GREEN)


def kri_value(kri: KRI, *, until: dt.datetime | None = None) -> float | None:
    """The value evaluated: the latest reading, or the mean or maximum over the window that ends at the
    latest reading."""
    readings = KRIReading.objects.filter(kri=kri)
    if until is not None:
        readings = readings.filter(at__lte=until)
    latest = readings.order_by("-at", "-id").values_list("at", "value").first()
    if latest is None:
        return None
    if kri.evaluation == Evaluation.LATEST:
        return float(latest[1])
    window = readings.filter(at__gt=latest[0] - dt.timedelta(minutes=kri.window_minutes))
    aggregate = Avg("value") if kri.evaluation == Evaluation.MEAN else Max("value")
    result = window.aggregate(v=aggregate)["v"]
    return None if result is None else float(result)


def kri_lock(kri_id: int) -> KRI:
    try:
        return KRI.objects.select_for_update().get(pk=kri_id)
    except KRI.DoesNotExist:
        raise NotFound(_("Key risk indicator %(id)s does not exist.") % {"id": kri_id}, kri=kri_id) from None


def _parse_reading(index: int, raw: Any, now: dt.datetime) -> tuple[dt.datetime, float]:
    where = _("Reading %(n)s") % {"n": index + 1}
    if not isinstance(raw, dict):
        raise InvalidInput(
            _("%(where)s is not an object with a value and an `at`.") % {"where": where},
            index=index,
        )
    unknown = set(raw) - {"value", "at"}
    if unknown:
        raise InvalidInput(
            _("%(where)s has unknown keys: %(keys)s.") % {"where": where, "keys": ", ".join(sorted(unknown))},
            index=index,
            fields={"unknown": sorted(unknown)},
        )
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(
            _("%(where)s: the value %(value)s is not a number.")
            % {"where": where, "value": repr(value)[:40]},
            index=index,
            fields={"value": [_("A number.")]},
        )
    if not math.isfinite(value):
        raise InvalidInput(
            _("%(where)s: the value is not a finite number.") % {"where": where},
            index=index,
            fields={"value": [_("A finite number.")]},
        )
    at_raw = raw.get("at")
    if at_raw is None:
        at = now
    else:
        parsed: dt.datetime | None
        try:
            parsed = dt.datetime.fromisoformat(str(at_raw).replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise InvalidInput(
                _("%(where)s: `at` is not an ISO 8601 time with a zone: %(at)s.")
                % {"where": where, "at": str(at_raw)[:40]},
                index=index,
                fields={"at": [_("An ISO 8601 time with a zone.")]},
            )
        at = parsed
        if at > now + FUTURE_TOLERANCE:
            raise InvalidInput(
                _("%(where)s: `at` %(at)s is in the future.") % {"where": where, "at": at.isoformat()},
                index=index,
                fields={"at": [_("Not later than now.")]},
            )
    return at, float(value)


def readings_parse(body: Any, *, now: dt.datetime) -> list[tuple[dt.datetime, float]]:
    """One reading (`{"value": 81.5, "at": "..."}`), a list of them, or `{"readings": [...]}`; every one is
    checked before any is stored, so a batch is all or nothing."""
    if isinstance(body, dict) and "readings" in body:
        if set(body) != {"readings"}:
            raise InvalidInput(_("Send `readings` alone, or one reading."))
        body = body["readings"]
    items = body if isinstance(body, list) else [body]
    if not items:
        raise InvalidInput(_("The batch is empty."), fields={"readings": [_("At least one reading.")]})
    limit = settings.VIGIL_KRI_BATCH_MAX
    if len(items) > limit:
        raise InvalidInput(
            _("A batch holds at most %(n)s readings.") % {"n": limit}, fields={"readings": [_("Too many.")]}
        )
    return [_parse_reading(index, raw, now) for index, raw in enumerate(items)]


def readings_record(*, kri_id: int, readings: Sequence[tuple[dt.datetime, float]], by: User | None) -> KRI:
    """Store the readings and evaluate the KRI, in one transaction with the KRI locked."""
    if by is not None and not by.has_perm("risks.add_krireading"):
        raise PermissionDenied(_("You may not send readings."))
    with transaction.atomic():
        kri = kri_lock(kri_id)
        if not kri.is_active:
            raise InvalidInput(_("This key risk indicator is not active."), kri=kri_id)
        KRIReading.objects.bulk_create([KRIReading(kri=kri, at=at, value=value) for at, value in readings])
        kri_evaluate(kri, at=timezone.now())
    return kri


def kri_evaluate(kri: KRI, *, at: dt.datetime, value: float | None = None) -> str:
    """Evaluate the (locked) KRI from its readings (or the value given) and act on a change of state."""
    if value is None:
        value = kri_value(kri)
    if value is None:
        return kri.state
    before = kri.state
    after = state_next(before, value, thresholds_of(kri))
    kri.value = value
    kri.evaluated_at = at
    if after != before:
        kri.state = after
        kri.state_since = at
        if after == KRIState.RED:
            kri.red_acknowledged_at = None
            kri.red_acknowledged_by = None
    kri.save()
    if after != before:
        _state_changed(kri, before=before, after=after, value=value, at=at)
    return after


def _state_changed(kri: KRI, *, before: str, after: str, value: float, at: dt.datetime) -> None:
    change = KRIStateChange.objects.create(kri=kri, at=at, from_state=before, to_state=after, value=value)
    for risk in kri.risks.all():
        RiskHistory.objects.create(
            risk=risk,
            at=at,
            kind=RiskHistoryKind.KRI,
            from_state=before,
            to_state=after,
            note=f"{kri.name}: {value:g} {kri.unit}".strip(),
            data={"kri": kri.pk, "value": value},
        )
    data = {"from": before, "to": after, "value": value, "unit": kri.unit}
    going_up = STATE_ORDER.index(KRIState(after)) > STATE_ORDER.index(KRIState(before))
    info = subject_describe(kri)
    if after == KRIState.RED:
        event_emit(subject=kri, event=RiskEvent.KRI_RED, at=at, data=data, info=info)
        _tell(kri, roles=("owner", "owner_manager"), event=RiskEvent.KRI_RED, at=at, data=data)
        timer_schedule(
            subject=kri,
            kind=RED_ESCALATION_TIMER,
            due_at=at + dt.timedelta(minutes=kri.red_ack_minutes),
            data={"since": at.isoformat()},
        )
        if kri.open_incident_on_red:
            change.incident_id = _open_incident(kri, value=value)
            change.save(update_fields=["incident_id"])
        return
    if before == KRIState.RED:
        timer_cancel(subject=kri, kinds=[RED_ESCALATION_TIMER])
    if after == KRIState.YELLOW and going_up:
        event_emit(subject=kri, event=RiskEvent.KRI_YELLOW, at=at, data=data, info=info)
        _tell(kri, roles=("owner",), event=RiskEvent.KRI_YELLOW, at=at, data=data)
    elif after == KRIState.GREEN:
        event_emit(subject=kri, event=RiskEvent.KRI_GREEN, at=at, data=data, info=info)


def _tell(kri: KRI, *, roles: tuple[str, ...], event: str, at: dt.datetime, data: dict[str, Any]) -> None:
    info = subject_describe(kri)
    for user in subject_people(kri, roles):
        notify_user_at_once(
            subject=kri,
            info=info,
            user=user,
            channel="",
            reason=event,
            key=f"{event}:{kri.pk}:{at.isoformat()}",
            template="event",
            context={"event": event, "data": data, "at": at},
            at=at,
        )


def _open_incident(kri: KRI, *, value: float) -> int:
    from incidents.services import incident_create

    fields: dict[str, Any] = {}
    if kri.incident_service_id or kri.service_id:
        fields["service_id"] = kri.incident_service_id or kri.service_id
    incident = incident_create(
        by=None,
        title=_("Key risk indicator red: %(name)s at %(value)s %(unit)s")
        % {"name": kri.name, "value": f"{value:g}", "unit": kri.unit},
        impact=2,
        urgency=1,
        description=_("Red threshold %(red)s %(unit)s.") % {"red": f"{kri.red:g}", "unit": kri.unit},
        **fields,
    )
    return int(incident.pk)


def on_red_escalation_timer(timer: Timer, now: dt.datetime) -> None:
    """Nobody acknowledged the red in time: the KRI's escalation policy pages, or else the owner and the
    owner's manager are paged by their personal rules."""
    kri = KRI.objects.select_for_update().filter(pk=timer.subject_id).first()
    if kri is None or kri.state != KRIState.RED or kri.red_acknowledged_at is not None:
        return
    info = subject_describe(kri)
    policy = kri.escalation_policy
    if policy is not None:
        escalation_start(subject=kri, policy=policy, at=now, info=info)
        return
    page_users(
        subject=kri,
        info=info,
        users=subject_people(kri, ("owner", "owner_manager")),
        reason="kri_red_unacknowledged",
        key=f"kri_red_unack:{kri.pk}:{timer.data.get('since')}",
        template="page",
        context={"data": {"since": timer.data.get("since")}},
        at=now,
    )


def kri_acknowledge(*, kri_id: int, by: User) -> KRI:
    """The owner has seen the red: its escalation stops."""
    with transaction.atomic():
        kri = kri_lock(kri_id)
        if kri.state != KRIState.RED:
            from config.errors import Conflict

            raise Conflict(_("Only a red indicator is acknowledged."), state=kri.state)
        if kri.red_acknowledged_at is None:
            now = timezone.now()
            kri.red_acknowledged_at = now
            kri.red_acknowledged_by = by
            kri.save(update_fields=["red_acknowledged_at", "red_acknowledged_by"])
            timer_cancel(subject=kri, kinds=[RED_ESCALATION_TIMER])
            escalation_acknowledge(subject=kri, by=by, at=now)
    return kri
