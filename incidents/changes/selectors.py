"""Reads of changes that the API, the admin and the services share: the list, the approval rule of a risk
level and where a round stands, the collisions of a window, and the change calendar."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from ..models import (
    ACTIVE_MAJOR_STATES,
    ApprovalDecision,
    Change,
    ChangeApprovalRule,
    ChangeState,
    MajorIncident,
)
from ..models.change import DEFAULT_APPROVAL_RULES, HOLDING_STATES
from ..roles import MANAGERS

# What the calendar shows: changes whose window is planned and not abandoned.
CALENDAR_STATES = (
    ChangeState.APPROVED,
    ChangeState.SCHEDULED,
    ChangeState.IMPLEMENTING,
    ChangeState.IMPLEMENTED,
    ChangeState.FAILED,
    ChangeState.ROLLED_BACK,
    ChangeState.REVIEWED,
    ChangeState.CLOSED,
)


def sees_changes(user: User | AnonymousUser | None) -> bool:
    return bool(user is None or (user.is_authenticated and user.has_perm("incidents.view_change")))


def change_list(*, user: User | AnonymousUser) -> QuerySet[Change]:
    """The changes a user may see: all of them for agents and managers, none for the others."""
    qs = Change.objects.select_related("owner", "requested_by", "team", "problem", "major_incident")
    return qs.prefetch_related("services") if sees_changes(user) else qs.none()


def change_search(qs: QuerySet[Change], term: str) -> QuerySet[Change]:
    """By reference (`CHG-000042`) or every word somewhere in the title, description or plans."""
    term = term.strip()
    if not term:
        return qs
    if term.upper().startswith("CHG-"):
        digits = term[4:].lstrip("0")
        if digits.isdigit():
            return qs.filter(pk=int(digits))
    condition = Q()
    for word in term.split():
        any_field = Q()
        for field in ("title", "description", "implementation_plan"):
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return qs.filter(condition)


@dataclass(frozen=True)
class ApprovalRule:
    approvers: int
    managers: int


def approval_rule_for(risk_level: str) -> ApprovalRule:
    """The approvers a risk level needs: the managers' rule, else the default."""
    row = ChangeApprovalRule.objects.filter(risk_level=risk_level).first()
    if row is not None:
        return ApprovalRule(approvers=row.approvers, managers=row.managers)
    approvers, managers = DEFAULT_APPROVAL_RULES.get(risk_level, (1, 0))
    return ApprovalRule(approvers=approvers, managers=managers)


def is_manager(user: User) -> bool:
    """A manager for approval rules: a member of the managers' group (or a superuser)."""
    return user.is_superuser or user.groups.filter(name=MANAGERS).exists()


def approval_status(change: Change, *, rules: dict[str, ApprovalRule] | None = None) -> dict[str, Any]:
    """Where the current round stands: what the rule needs, what is in, and whether it is met.

    Reads the change's approvals through `change.approvals.all()`, so a list that prefetched them asks nothing
    more; `rules` (from `approval_rules()`) saves the rule's query per row too."""
    rule = (rules or {}).get(change.risk_level) or approval_rule_for(change.risk_level)
    approvals = [
        a
        for a in change.approvals.all()
        if a.approval_round == change.approval_round and a.decision == ApprovalDecision.APPROVED
    ]
    approved = len(approvals)
    managers = sum(1 for a in approvals if a.as_manager)
    return {
        "round": change.approval_round,
        "needed": rule.approvers,
        "managers_needed": rule.managers,
        "approved": approved,
        "managers_approved": managers,
        "met": approved >= rule.approvers and managers >= rule.managers,
    }


def approval_rules() -> dict[str, ApprovalRule]:
    """The rule of every risk level, in one query."""
    found = {
        level: ApprovalRule(approvers=approvers, managers=managers)
        for level, (approvers, managers) in DEFAULT_APPROVAL_RULES.items()
    }
    for row in ChangeApprovalRule.objects.all():
        found[row.risk_level] = ApprovalRule(approvers=row.approvers, managers=row.managers)
    return found


def change_collisions(
    *, change: Change, start: datetime, end: datetime, service_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """What the window [start, end) would collide with on the change's services: another change that holds
    one of them (scheduled or being implemented) over an overlapping window, or an active major incident on
    one of them. Windows that only touch (one ends when the other starts) do not overlap. Instants are
    compared in UTC, whatever zone they were written in."""
    if service_ids is None:
        service_ids = list(change.services.values_list("pk", flat=True))
    if not service_ids:
        return []
    found: list[dict[str, Any]] = []
    others = (
        Change.objects.filter(
            state__in=HOLDING_STATES,
            services__in=service_ids,
            planned_start__lt=end,
            planned_end__gt=start,
        )
        .exclude(pk=change.pk)
        .distinct()
        .order_by("planned_start", "pk")
    )
    for other in others:
        shared = sorted(set(other.services.values_list("pk", flat=True)) & set(service_ids))
        found.append(
            {
                "kind": "change",
                "id": other.pk,
                "reference": other.reference,
                "title": other.title,
                "state": other.state,
                "start": other.planned_start.isoformat() if other.planned_start else None,
                "end": other.planned_end.isoformat() if other.planned_end else None,
                "services": shared,
            }
        )
    majors = (
        MajorIncident.objects.filter(state__in=ACTIVE_MAJOR_STATES, services__in=service_ids)
        .distinct()
        .order_by("declared_at", "pk")
    )
    for major in majors:
        shared = sorted(set(major.services.values_list("pk", flat=True)) & set(service_ids))
        found.append(
            {
                "kind": "major_incident",
                "id": major.pk,
                "reference": major.reference,
                "title": major.title,
                "state": major.state,
                "start": major.declared_at.isoformat(),
                "end": None,
                "services": shared,
            }
        )
    return found


def change_calendar(
    *, user: User | AnonymousUser, since: datetime, until: datetime, service_id: int | None = None
) -> QuerySet[Change]:
    """The changes whose planned window overlaps [since, until), in start order: the change calendar."""
    qs = change_list(user=user).filter(
        state__in=CALENDAR_STATES,
        planned_start__lt=until,
        planned_end__gt=since,
    )
    if service_id:
        qs = qs.filter(services=service_id).distinct()
    return qs.order_by("planned_start", "pk")
