"""Logistics and finance: resource requests (who asked, who provided), costs and allocated funds."""

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict, InvalidInput, NotFound

from ..models import Cost, FundAllocation, MajorIncident, MajorIncidentLogEntry, ResourceRequest
from .common import check_can_see, check_commandable, lock, log, require


def _valid(row: models.Model) -> None:
    """The model's own validation (choices, currency, the non-negative amount) as a 400 naming the fields."""
    try:
        row.full_clean(exclude=["major_incident"])
    except ValidationError as error:
        raise InvalidInput(
            _("The %(what)s is not valid.") % {"what": row._meta.verbose_name},
            fields=getattr(error, "message_dict", {"": error.messages}),
        ) from None


def _locked_for(major_incident_id: int, by: User | None, permission: str, message: str) -> MajorIncident:
    require(by, permission, message)
    major_incident = lock(major_incident_id)
    check_can_see(major_incident=major_incident, by=by)
    check_commandable(major_incident)
    return major_incident


def resource_request_create(
    *, major_incident_id: int, by: User | None, kind: str, description: str, note: str = ""
) -> ResourceRequest:
    with transaction.atomic():
        major_incident = _locked_for(
            major_incident_id, by, "incidents.add_resourcerequest", _("You may not request resources.")
        )
        now = timezone.now()
        request = ResourceRequest(
            major_incident=major_incident,
            kind=kind,
            description=description,
            note=note,
            requested_by=by,
            requested_at=now,
        )
        _valid(request)
        request.save()
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.LOGISTICS,
            by=by,
            at=now,
            note=_("Requested (%(kind)s): %(what)s")
            % {"kind": request.get_kind_display(), "what": description},
            data={"request": request.pk},
        )
    return request


def resource_request_decide(
    *, request_id: int, by: User | None, state: str, note: str = ""
) -> ResourceRequest:
    """Provided (by `by`), refused or cancelled; only a request still waiting can be decided (409)."""
    if state not in (
        ResourceRequest.State.PROVIDED,
        ResourceRequest.State.REFUSED,
        ResourceRequest.State.CANCELLED,
    ):
        raise InvalidInput(_("Unknown decision."), fields={"state": [_("provided, refused or cancelled.")]})
    request = ResourceRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("Resource request %(id)s does not exist.") % {"id": request_id})
    with transaction.atomic():
        major_incident = _locked_for(
            request.major_incident_id,
            by,
            "incidents.change_resourcerequest",
            _("You may not decide resource requests."),
        )
        request = ResourceRequest.objects.select_for_update().get(pk=request_id)
        if request.state != ResourceRequest.State.REQUESTED:
            raise Conflict(
                _("This request was already decided: %(state)s.") % {"state": request.get_state_display()},
                state=request.state,
            )
        now = timezone.now()
        request.state = state
        request.decided_at = now
        request.provided_by = by if state == ResourceRequest.State.PROVIDED else None
        request.note = note or request.note
        request.save()
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.LOGISTICS,
            by=by,
            at=now,
            note=_("%(what)s: %(state)s.")
            % {"what": request.description, "state": request.get_state_display()},
            data={"request": request.pk, "state": state},
        )
    return request


def cost_add(
    *,
    major_incident_id: int,
    by: User | None,
    category: str,
    amount: Decimal,
    currency: str,
    note: str = "",
    incurred_at: Any = None,
) -> Cost:
    """Record money spent; a negative amount or an unknown currency is a 400 naming the field."""
    with transaction.atomic():
        major_incident = _locked_for(
            major_incident_id, by, "incidents.add_cost", _("You may not record costs.")
        )
        cost = Cost(
            major_incident=major_incident,
            category=category,
            amount=amount,
            currency=(currency or "").upper(),
            note=note,
            incurred_at=incurred_at or timezone.now(),
            recorded_by=by,
        )
        if cost.amount is not None and cost.amount < 0:
            raise InvalidInput(_("A cost cannot be negative."), fields={"amount": [_("Give zero or more.")]})
        _valid(cost)
        cost.save()
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.FINANCE,
            by=by,
            note=_("Cost: %(amount)s %(currency)s (%(category)s) %(note)s")
            % {
                "amount": cost.amount,
                "currency": cost.currency,
                "category": cost.get_category_display(),
                "note": note,
            },
            data={"cost": cost.pk},
        )
    return cost


def funds_allocate(
    *, major_incident_id: int, by: User | None, amount: Decimal, currency: str, note: str = ""
) -> FundAllocation:
    with transaction.atomic():
        major_incident = _locked_for(
            major_incident_id, by, "incidents.add_fundallocation", _("You may not allocate funds.")
        )
        allocation = FundAllocation(
            major_incident=major_incident,
            amount=amount,
            currency=(currency or "").upper(),
            note=note,
            allocated_at=timezone.now(),
            allocated_by=by,
        )
        if allocation.amount is not None and allocation.amount < 0:
            raise InvalidInput(_("Funds cannot be negative."), fields={"amount": [_("Give zero or more.")]})
        _valid(allocation)
        allocation.save()
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.FINANCE,
            by=by,
            note=_("Funds allocated: %(amount)s %(currency)s %(note)s")
            % {"amount": allocation.amount, "currency": allocation.currency, "note": note},
            data={"allocation": allocation.pk},
        )
    return allocation
