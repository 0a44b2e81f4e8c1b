"""Every write to the risk register. Each entry point owns its transaction: it locks the risk, checks
permission and state, changes the data, writes the history row and schedules the side effects (events,
reminders, escalation) in that same transaction, as `incidents.services` does for incidents."""

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from config.errors import InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from escalation.escalations import escalation_acknowledge, escalation_start
from escalation.events import event_emit
from escalation.models import StakeholderGroup
from escalation.notify import notify_group
from escalation.reminders import ReminderStep, reminder_cancel, reminder_schedule
from escalation.subjects import subject_describe

from .events import RiskEvent
from .links import link_target
from .models import (
    Area,
    LevelEscalation,
    OutsideChange,
    Risk,
    RiskAssessment,
    RiskHistory,
    RiskHistoryKind,
    RiskLink,
    RiskState,
    Treatment,
    matrix_default,
)
from .models.matrix import level_rank

EDITABLE_FIELDS = (
    "title",
    "description",
    "area",
    "category",
    "owner",
    "controls",
    "treatment",
    "review_interval_days",
)
ASSESSMENT_FIELDS = ("inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact")

# Reviews: the owner when due, the owner's manager a week later. Acceptances: the owner and the approver two
# weeks before they expire, the owner's manager on the day.
REVIEW_STEPS = (
    ReminderStep(dt.timedelta(0), ("owner",)),
    ReminderStep(dt.timedelta(days=7), ("owner_manager",)),
)
ACCEPTANCE_NOTICE = dt.timedelta(days=14)
ACCEPTANCE_STEPS = (
    ReminderStep(dt.timedelta(0), ("owner", "acceptance_approver")),
    ReminderStep(ACCEPTANCE_NOTICE, ("owner_manager",)),
)
ASSESS_STEPS = (
    ReminderStep(dt.timedelta(0), ("area_owner",)),
    ReminderStep(dt.timedelta(days=3), ("area_owner",)),
)


def check(by: User | None, permission: str, message: str) -> None:
    if by is not None and not by.has_perm(permission):
        raise PermissionDenied(message)


def risk_lock(risk_id: int) -> Risk:
    try:
        return Risk.objects.select_for_update().select_related("area", "matrix").get(pk=risk_id)
    except Risk.DoesNotExist:
        raise NotFound(_("Risk %(id)s does not exist.") % {"id": risk_id}) from None


def history_write(
    risk: Risk,
    *,
    kind: str,
    at: dt.datetime,
    by: User | None,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
) -> RiskHistory:
    return RiskHistory.objects.create(
        risk=risk,
        kind=kind,
        at=at,
        by=by,
        note=note,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )


def _validate_cell(risk: Risk, values: dict[str, Any]) -> None:
    size = risk.matrix.size
    bad = {
        name: [_("A whole number from 1 to %(n)s.") % {"n": size}]
        for name in ASSESSMENT_FIELDS
        if values.get(name) is not None
        and (
            isinstance(values[name], bool)
            or not isinstance(values[name], int)
            or not 1 <= values[name] <= size
        )
    }
    if bad:
        raise InvalidInput(
            _("Likelihood and impact are from 1 to %(n)s on the matrix %(matrix)s.")
            % {"n": size, "matrix": risk.matrix.name},
            fields=bad,
        )


def _level_of(risk: Risk) -> str:
    cell = risk.current_cell()
    return risk.matrix.level(*cell) if cell else ""


def level_escalate(risk: Risk, *, level: str, at: dt.datetime, event: str) -> None:
    """Tell whom a risk of `level` reaches (LevelEscalation): page its policy through the engine, tell the
    stakeholder groups of its audience. Runs in the caller's transaction with the risk locked."""
    rule = LevelEscalation.objects.filter(level=level).select_related("policy").first()
    if rule is None:
        return
    info = subject_describe(risk)
    if rule.policy is not None:
        escalation_start(subject=risk, policy=rule.policy, at=at, info=info)
    if rule.audience:
        for group in StakeholderGroup.objects.filter(audience=rule.audience).prefetch_related(
            "users", "teams"
        ):
            notify_group(
                subject=risk,
                info=info,
                group=group,
                channel="",
                reason=f"risk_level:{level}",
                key=f"risk_level:{risk.pk}:{event}:{level}:{at.isoformat()}",
                template="event",
                context={"event": event, "data": {"level": level}, "at": at},
                at=at,
            )


def _level_changed(risk: Risk, *, previous: str, at: dt.datetime, by: User | None) -> None:
    if risk.level and (not previous or level_rank(risk.level) > level_rank(previous)):
        if previous:
            event_emit(
                subject=risk,
                event=RiskEvent.LEVEL_UP,
                at=at,
                by=by,
                data={"from": previous, "to": risk.level},
            )
        level_escalate(
            risk, level=risk.level, at=at, event=RiskEvent.LEVEL_UP if previous else RiskEvent.RAISED
        )


def review_schedule(risk: Risk, *, at: dt.datetime) -> None:
    """The next periodic review from `at` (none when the interval is 0 or the risk is closed)."""
    if risk.review_interval_days and risk.state != RiskState.CLOSED:
        risk.next_review_at = at + dt.timedelta(days=risk.review_interval_days)
        _review_reminder(risk)
    else:
        risk.next_review_at = None
        reminder_cancel(subject=risk, key="review")


def _review_reminder(risk: Risk) -> None:
    if risk.next_review_at is None:
        return
    reminder_schedule(
        subject=risk,
        key="review",
        due_at=risk.next_review_at,
        steps=REVIEW_STEPS,
        context={"next_review_at": risk.next_review_at.isoformat(), "what": "review"},
    )


def risk_create(
    *,
    by: User | None,
    title: str,
    area: Area,
    category: str,
    owner: User | None = None,
    description: str = "",
    controls: str = "",
    treatment: str = "",
    review_interval_days: int | None = None,
    inherent_likelihood: int | None = None,
    inherent_impact: int | None = None,
    residual_likelihood: int | None = None,
    residual_impact: int | None = None,
    reported: bool = False,
    postmortem_id: int | None = None,
) -> Risk:
    """A new risk, `identified`, on the area's matrix (or the default one). With likelihood and impact it is
    assessed at once (an assessment row). Reported risks (`reported`: anyone may) go to the area's owner to
    assess, with a reminder. A risk found by a post-mortem (`postmortem_id`, its "risks of future related
    incidents") is created linked to it."""
    if not reported:
        check(by, "risks.add_risk", _("You may not add risks."))
    if not title.strip():
        raise InvalidInput(_("A risk needs a title."), fields={"title": [_("This field may not be blank.")]})
    source = link_target(kind="postmortems.postmortem", target_id=postmortem_id) if postmortem_id else None
    with transaction.atomic():
        now = timezone.now()
        risk = Risk(
            title=title,
            description=description,
            area=area,
            category=category,
            # Without an owner (always for a reported risk), the area's owner assesses it.
            owner=owner or area.owner,
            matrix=area.matrix or matrix_default(),
            controls=controls,
            treatment=treatment,
            reported_by=by,
            created_at=now,
        )
        if review_interval_days is not None:
            risk.review_interval_days = review_interval_days
        values = {
            "inherent_likelihood": inherent_likelihood,
            "inherent_impact": inherent_impact,
            "residual_likelihood": residual_likelihood,
            "residual_impact": residual_impact,
        }
        _validate_cell(risk, values)
        for name, value in values.items():
            setattr(risk, name, value)
        risk.level = _level_of(risk)
        risk.save()
        history_write(
            risk,
            kind=RiskHistoryKind.CREATED,
            at=now,
            by=by,
            to_state=risk.state,
            note=_("Reported") if reported else "",
        )
        if risk.level:
            _assessment_write(risk, at=now, by=by, previous="", note="")
        review_schedule(risk, at=now)
        risk.save(update_fields=["next_review_at"])
        if source is not None:
            RiskLink.objects.create(
                risk=risk, target_type=source[0], target_id=source[1].pk, note=_("found by the post-mortem")
            )
        if reported:
            reminder_schedule(
                subject=risk, key="assess", due_at=now, steps=ASSESS_STEPS, context={"what": "assess"}
            )
        event_emit(subject=risk, event=RiskEvent.RAISED, at=now, by=by, data={"level": risk.level})
        if risk.level:
            level_escalate(risk, level=risk.level, at=now, event=RiskEvent.RAISED)
    return risk


def _assessment_write(
    risk: Risk, *, at: dt.datetime, by: User | None, previous: str, note: str
) -> RiskAssessment:
    return RiskAssessment.objects.create(
        risk=risk,
        at=at,
        by=by,
        inherent_likelihood=risk.inherent_likelihood,
        inherent_impact=risk.inherent_impact,
        residual_likelihood=risk.residual_likelihood,
        residual_impact=risk.residual_impact,
        level=risk.level,
        previous_level=previous,
        controls=risk.controls,
        note=note,
    )


def risk_update(*, risk_id: int, by: User | None, changes: dict[str, Any]) -> Risk:
    """Edit what describes the risk (not its state, level or acceptance: they have their own services)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    check(by, "risks.change_risk", _("You may not change risks."))
    with transaction.atomic():
        risk = risk_lock(risk_id)
        now = timezone.now()
        changed = {}
        for field, value in changes.items():
            old = getattr(risk, field)
            if old != value:
                changed[field] = [str(getattr(old, "pk", old)), str(getattr(value, "pk", value))]
                setattr(risk, field, value)
        if "review_interval_days" in changed:
            review_schedule(risk, at=risk.last_reviewed_at or now)
        risk.save()
        if changed:
            history_write(risk, kind=RiskHistoryKind.EDITED, at=now, by=by, data={"changed": changed})
    return risk


def risk_assess(
    *,
    risk_id: int,
    by: User | None,
    note: str = "",
    controls: str | None = None,
    **values: int | None,
) -> Risk:
    """A new assessment: likelihood and impact (inherent, residual) give the level from the matrix; the row
    is kept in the history. A level that goes up emits `risk.level_up` and reaches the level's escalation.
    An assessment is a review too (the next one is scheduled from now)."""
    unknown = set(values) - set(ASSESSMENT_FIELDS)
    if unknown:
        raise InvalidInput(
            _("These fields cannot be assessed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    check(by, "risks.change_risk", _("You may not assess risks."))
    with transaction.atomic():
        risk = risk_lock(risk_id)
        if risk.state == RiskState.CLOSED:
            raise TransitionNotAllowed(
                _("A closed risk is reopened before it is assessed."),
                state=risk.state,
                allowed=allowed_transitions(risk),
            )
        _validate_cell(risk, values)
        now = timezone.now()
        for name, value in values.items():
            setattr(risk, name, value)
        if controls is not None:
            risk.controls = controls
        previous = risk.level
        risk.level = _level_of(risk)
        if not risk.level:
            raise InvalidInput(
                _("An assessment needs a likelihood and an impact."),
                fields={"inherent_likelihood": [_("Required with the impact.")]},
            )
        risk.last_reviewed_at = now
        review_schedule(risk, at=now)
        before = risk.state
        if before == RiskState.IDENTIFIED:
            # The first assessment of an identified risk is the `assess` transition too.
            risk.assess(at=now)
            reminder_cancel(subject=risk, key="assess")
        risk.save()
        if before != risk.state:
            history_write(
                risk,
                kind=RiskHistoryKind.TRANSITION,
                at=now,
                by=by,
                from_state=before,
                to_state=risk.state,
                note=note,
                data={"transition": "assess"},
            )
        _assessment_write(risk, at=now, by=by, previous=previous, note=note)
        history_write(
            risk,
            kind=RiskHistoryKind.ASSESSED,
            at=now,
            by=by,
            note=note,
            data={"from_level": previous, "to_level": risk.level, **dict(values.items())},
        )
        if by is not None:
            escalation_acknowledge(subject=risk, by=by, at=now)
        _level_changed(risk, previous=previous, at=now, by=by)
    return risk


def allowed_transitions(risk: Risk) -> list[str]:
    available = {t.name for t in risk.get_available_state_transitions()}  # type: ignore[attr-defined]  # django-fsm's mixin, untyped
    return [name for name in Risk.TRANSITIONS if name in available]


def risk_transition(*, risk_id: int, name: str, by: User | None, note: str = "") -> Risk:
    """assess (identified -> assessed, once it has a likelihood and an impact), treat, monitor, close,
    reopen. 409 with the state and what is allowed; 403 without permission."""
    if name not in Risk.TRANSITIONS:
        raise NotFound(_("There is no transition named %(name)s.") % {"name": name})
    with transaction.atomic():
        risk = risk_lock(risk_id)
        method = getattr(risk, name)
        if not can_proceed(method):
            detail = _("A risk in state %(state)s cannot %(name)s.") % {
                "state": risk.get_state_display(),
                "name": name,
            }
            if name == "assess" and risk.state == RiskState.IDENTIFIED:
                detail = _("Give the risk a likelihood and an impact before it is assessed.")
            raise TransitionNotAllowed(detail, state=risk.state, allowed=allowed_transitions(risk))
        if by is not None and not has_transition_perm(method, by):
            raise PermissionDenied(_("You may not change the state of risks."))
        now = timezone.now()
        before = risk.state
        method(at=now)
        if name == "close":
            reminder_cancel(subject=risk, key="review")
            reminder_cancel(subject=risk, key="acceptance")
            risk.next_review_at = None
        if name == "reopen":
            review_schedule(risk, at=now)
        risk.save()
        if before == RiskState.IDENTIFIED:
            reminder_cancel(subject=risk, key="assess")
        history_write(
            risk,
            kind=RiskHistoryKind.TRANSITION,
            at=now,
            by=by,
            from_state=before,
            to_state=risk.state,
            note=note,
            data={"transition": name},
        )
        if by is not None:
            escalation_acknowledge(subject=risk, by=by, at=now)
    return risk


def risk_review(*, risk_id: int, by: User | None, note: str = "") -> Risk:
    """The owner reviewed the risk and changed nothing: the next review is scheduled from now."""
    check(by, "risks.change_risk", _("You may not review risks."))
    with transaction.atomic():
        risk = risk_lock(risk_id)
        if risk.state == RiskState.CLOSED:
            raise TransitionNotAllowed(
                _("A closed risk is not reviewed."), state=risk.state, allowed=allowed_transitions(risk)
            )
        now = timezone.now()
        risk.last_reviewed_at = now
        review_schedule(risk, at=now)
        risk.save()
        history_write(risk, kind=RiskHistoryKind.REVIEWED, at=now, by=by, note=note)
    return risk


def risk_accept(*, risk_id: int, by: User | None, reason: str, expires_on: dt.date) -> Risk:
    """Accept the risk (treatment `accept`) until `expires_on`, approved by `by`; the owner and the approver
    are reminded two weeks before it expires, the owner's manager on the day."""
    check(by, "risks.change_risk", _("You may not accept risks."))
    if not reason.strip():
        raise InvalidInput(
            _("An acceptance needs a reason."), fields={"reason": [_("This field may not be blank.")]}
        )
    today = timezone.localdate()
    if expires_on <= today:
        raise InvalidInput(
            _("An acceptance expires in the future."), fields={"expires_on": [_("A date after today.")]}
        )
    with transaction.atomic():
        risk = risk_lock(risk_id)
        if risk.state == RiskState.CLOSED:
            raise TransitionNotAllowed(
                _("A closed risk is not accepted."), state=risk.state, allowed=allowed_transitions(risk)
            )
        now = timezone.now()
        risk.treatment = Treatment.ACCEPT
        risk.acceptance_approver = by
        risk.acceptance_reason = reason
        risk.acceptance_expires_on = expires_on
        risk.save()
        expiry = dt.datetime.combine(expires_on, dt.time(9, 0), tzinfo=timezone.get_current_timezone())
        reminder_schedule(
            subject=risk,
            key="acceptance",
            due_at=max(now, expiry - ACCEPTANCE_NOTICE),
            steps=ACCEPTANCE_STEPS,
            context={"expires_on": expires_on.isoformat(), "what": "acceptance"},
        )
        history_write(
            risk,
            kind=RiskHistoryKind.ACCEPTED,
            at=now,
            by=by,
            note=reason,
            data={"expires_on": expires_on.isoformat()},
        )
    return risk


def risk_link_add(*, risk_id: int, by: User | None, kind: str, target_id: int, note: str = "") -> RiskLink:
    check(by, "risks.change_risk", _("You may not change risks."))
    target_type, _row = link_target(kind=kind, target_id=target_id)
    with transaction.atomic():
        risk = risk_lock(risk_id)
        link, created = RiskLink.objects.get_or_create(
            risk=risk, target_type=target_type, target_id=target_id, defaults={"note": note}
        )
        if created:
            history_write(
                risk,
                kind=RiskHistoryKind.LINKED,
                at=timezone.now(),
                by=by,
                data={"kind": kind, "id": target_id},
            )
    return link


def risk_link_remove(*, risk_id: int, link_id: int, by: User | None) -> None:
    check(by, "risks.change_risk", _("You may not change risks."))
    with transaction.atomic():
        risk = risk_lock(risk_id)
        deleted, _details = RiskLink.objects.filter(risk=risk, pk=link_id).delete()
        if not deleted:
            raise NotFound(_("Link %(id)s does not exist.") % {"id": link_id})


def review_open(risk: Risk, *, at: dt.datetime, by: User | None, reason: str) -> None:
    """Ask for a review of the risk now (the owner is reminded, then the owner's manager). The caller holds
    the risk's lock."""
    risk.next_review_at = at
    risk.save(update_fields=["next_review_at", "updated_at"])
    _review_reminder(risk)
    history_write(risk, kind=RiskHistoryKind.REVIEW_OPENED, at=at, by=by, note=reason)
    event_emit(subject=risk, event=RiskEvent.REVIEW_OPENED, at=at, by=by, data={"reason": reason})


def outside_change_record(
    *, by: User | None, area: Area, kind: str, title: str, description: str = ""
) -> OutsideChange:
    """A new regulation, a supplier failure, a market shift: recorded against the area, it opens a review of
    every open risk there."""
    check(by, "risks.add_outsidechange", _("You may not record outside changes."))
    with transaction.atomic():
        now = timezone.now()
        change = OutsideChange.objects.create(
            area=area, kind=kind, title=title, description=description, recorded_by=by, recorded_at=now
        )
        risks = list(
            Risk.objects.select_for_update().filter(area=area).exclude(state=RiskState.CLOSED).order_by("pk")
        )
        for risk in risks:
            review_open(risk, at=now, by=by, reason=_("Outside change: %(title)s") % {"title": title})
        change.reviews_opened = len(risks)
        change.save(update_fields=["reviews_opened"])
    return change
