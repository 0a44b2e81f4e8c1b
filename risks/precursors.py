"""Precursors: small repeated signals (several low-priority incidents on one service or category) over weeks
and months raise a warning linked to the matching risk (or proposing a new one) that suggests raising its
likelihood, with the incidents behind it side by side. Beat: `risks.precursors_detect`."""

import datetime as dt

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict, InvalidInput, NotFound
from escalation.events import event_emit

from .events import RiskEvent
from .models import (
    PrecursorRule,
    PrecursorState,
    PrecursorWarning,
    Risk,
    RiskCategory,
    RiskHistory,
    RiskHistoryKind,
)
from .services import check, risk_assess, risk_create, risk_link_add


def precursor_incidents(rule: PrecursorRule, *, now: dt.datetime) -> list[int]:
    from incidents.models import Incident

    incidents = Incident.objects.filter(
        reported_at__gte=now - dt.timedelta(days=rule.window_days),
        reported_at__lte=now,
        priority__gte=rule.min_priority,
    )
    if rule.service_id:
        incidents = incidents.filter(service_id=rule.service_id)
    if rule.category_id:
        incidents = incidents.filter(category_id=rule.category_id)
    return list(incidents.order_by("reported_at").values_list("pk", flat=True))


def precursors_detect(*, now: dt.datetime | None = None) -> int:
    """Check every active rule; a rule that matches and has no open warning raises one. Returns how many."""
    now = now or timezone.now()
    raised = 0
    for rule in PrecursorRule.objects.filter(is_active=True).select_related("risk", "service", "category"):
        ids = precursor_incidents(rule, now=now)
        if len(ids) < rule.count:
            continue
        if PrecursorWarning.objects.filter(rule=rule, state=PrecursorState.OPEN).exists():
            continue
        try:
            with transaction.atomic():
                warning = _raise(rule, ids=ids, now=now)
        except IntegrityError:
            continue  # another sweep raised it at the same time
        raised += warning is not None
    return raised


def _raise(rule: PrecursorRule, *, ids: list[int], now: dt.datetime) -> PrecursorWarning:
    risk = rule.risk
    suggested = None
    if risk is not None:
        current = risk.residual_likelihood or risk.inherent_likelihood or 1
        suggested = min(current + 1, risk.matrix.size)
    if rule.service is not None:
        what = rule.service.name
    else:
        what = rule.category.name if rule.category is not None else ""
    warning = PrecursorWarning.objects.create(
        rule=rule,
        risk=risk,
        proposed_title="" if risk else _("Repeated small incidents on %(what)s") % {"what": what},
        window_start=now - dt.timedelta(days=rule.window_days),
        window_end=now,
        suggested_likelihood=suggested,
        created_at=now,
    )
    warning.incidents.set(ids)
    if risk is not None:
        RiskHistory.objects.create(
            risk=risk,
            at=now,
            kind=RiskHistoryKind.PRECURSOR,
            note=_("%(n)s small incidents in %(days)s days on %(what)s; likelihood %(l)s suggested.")
            % {"n": len(ids), "days": rule.window_days, "what": what, "l": suggested},
            data={"warning": warning.pk, "incidents": ids},
        )
        event_emit(
            subject=risk,
            event=RiskEvent.PRECURSOR,
            at=now,
            data={"warning": warning.pk, "incidents": len(ids)},
        )
    return warning


def precursor_accept(*, warning_id: int, by: User | None) -> PrecursorWarning:
    """About a risk: raise its residual (else inherent) likelihood to the one suggested (a new assessment).
    Proposing a new risk: register it (`identified`, in the rule's area, for the area's owner to assess),
    linked to the service and the incidents behind the warning."""
    with transaction.atomic():
        warning = (
            PrecursorWarning.objects.select_for_update().select_related("rule").filter(pk=warning_id).first()
        )
        if warning is None:
            raise NotFound(_("Precursor warning %(id)s does not exist.") % {"id": warning_id})
        if warning.state != PrecursorState.OPEN:
            raise Conflict(_("This warning was decided already."), state=warning.state)
        if warning.risk is None:
            warning.risk = _propose(warning, by=by)
        elif warning.suggested_likelihood is not None:
            risk = warning.risk
            note = _("Precursor warning %(id)s") % {"id": warning.pk}
            if risk.residual_likelihood:
                risk_assess(
                    risk_id=risk.pk, by=by, note=note, residual_likelihood=warning.suggested_likelihood
                )
            else:
                risk_assess(
                    risk_id=risk.pk, by=by, note=note, inherent_likelihood=warning.suggested_likelihood
                )
        warning.state = PrecursorState.ACCEPTED
        warning.decided_by = by
        warning.save(update_fields=["state", "decided_by", "risk"])
    return warning


def _propose(warning: PrecursorWarning, *, by: User | None) -> Risk:
    rule = warning.rule
    if rule.area is None:
        raise InvalidInput(
            _("The rule %(rule)s names no area to register the proposed risk in.") % {"rule": rule.name},
            fields={"area": [_("Give the precursor rule an area.")]},
        )
    risk = risk_create(
        by=by,
        title=warning.proposed_title or rule.name,
        area=rule.area,
        category=RiskCategory.SYSTEM_FAILURE if rule.service_id else RiskCategory.PROCESS,
        description=_("Proposed by precursor warning %(id)s.") % {"id": warning.pk},
        reported=True,
    )
    if rule.service_id:
        risk_link_add(risk_id=risk.pk, by=None, kind="incidents.service", target_id=rule.service_id)
    for incident_id in warning.incidents.values_list("pk", flat=True):
        risk_link_add(risk_id=risk.pk, by=None, kind="incidents.incident", target_id=incident_id)
    return risk


def precursor_dismiss(*, warning_id: int, by: User | None) -> PrecursorWarning:
    check(by, "risks.change_precursorwarning", _("You may not decide precursor warnings."))
    with transaction.atomic():
        warning = PrecursorWarning.objects.select_for_update().filter(pk=warning_id).first()
        if warning is None:
            raise NotFound(_("Precursor warning %(id)s does not exist.") % {"id": warning_id})
        if warning.state != PrecursorState.OPEN:
            raise Conflict(_("This warning was decided already."), state=warning.state)
        warning.state = PrecursorState.DISMISSED
        warning.decided_by = by
        warning.save(update_fields=["state", "decided_by"])
    return warning
