"""How the escalation engine sees risks, KRIs, drills, radar snapshots and procedure versions: registered in
`RisksConfig.ready()`."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from escalation.models import Team
from escalation.subjects import SubjectInfo, SubjectType

from .models import (
    KRI,
    Drill,
    DrillFinding,
    KRIState,
    ProcedureVersion,
    RadarDigest,
    RadarSnapshot,
    Risk,
    RiskState,
)
from .models.matrix import LEVEL_ORDER

# A risk's level as a priority for the engine's rules (P1 critical ... P4 low).
LEVEL_PRIORITY = {level.value: 4 - index for index, level in enumerate(LEVEL_ORDER)}


def admin_url(obj: Any) -> str:
    meta = obj._meta
    return settings.VIGIL_BASE_URL.rstrip("/") + reverse(
        f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]
    )


def manager_of(user: User | None) -> list[User]:
    """The manager of the first team (by name) the person belongs to that has one."""
    if user is None:
        return []
    team = (
        Team.objects.filter(members=user, manager__isnull=False)
        .exclude(manager=user)
        .select_related("manager")
        .order_by("name")
        .first()
    )
    return [team.manager] if team is not None and team.manager is not None else []


def managers_of(users: list[User]) -> list[User]:
    found: dict[int, User] = {}
    for user in users:
        for manager in manager_of(user):
            found.setdefault(manager.pk, manager)
    return list(found.values())


class RiskSubject(SubjectType):
    """Reviews remind the owner, then the owner's manager; expiring acceptances the owner and the approver;
    escalation per level pages whom the level's policy says."""

    model = Risk
    roles = {
        "owner": _("owner"),
        "owner_manager": _("the owner's manager"),
        "area_owner": _("the area's owner"),
        "acceptance_approver": _("who approved the acceptance"),
    }

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=obj.reference,
            title=obj.title,
            priority=LEVEL_PRIORITY.get(obj.level) if obj.level else None,
            url=admin_url(obj),
            state=obj.state,
            is_open=obj.state != RiskState.CLOSED,
            extra={"level": obj.level, "area": obj.area.name},
        )

    def people(self, obj: Any, role: str) -> list[User]:
        owner = obj.owner if obj.owner_id else None
        if role == "owner":
            return [owner] if owner else []
        if role == "owner_manager":
            return manager_of(owner)
        if role == "area_owner":
            return [obj.area.owner] if obj.area.owner_id else []
        if role == "acceptance_approver":
            return [obj.acceptance_approver] if obj.acceptance_approver_id else []
        return []

    def record(self, obj: Any, *, what: str, at: datetime, data: dict[str, Any]) -> None:
        """What the engine did about the risk (paged, escalated, notified, acknowledged) joins its history."""
        from .models import RiskHistory, RiskHistoryKind

        note = str(data.get("username") or data.get("address") or data.get("reason") or "")
        RiskHistory.objects.create(
            risk=obj,
            at=at,
            kind=RiskHistoryKind.NOTIFIED,
            note=note,
            data={"what": what, **{k: v for k, v in data.items() if isinstance(v, str | int | float | bool)}},
        )

    def still_due(self, obj: Any, *, kind: str, data: dict[str, Any]) -> bool:
        if obj.state == RiskState.CLOSED:
            return False
        context = data.get("context", {})
        if kind == "review":
            return (
                obj.next_review_at is not None
                and context.get("next_review_at") == obj.next_review_at.isoformat()
            )
        if kind == "acceptance":
            return (
                obj.acceptance_expires_on is not None
                and context.get("expires_on") == obj.acceptance_expires_on.isoformat()
            )
        if kind == "assess":
            return obj.state == RiskState.IDENTIFIED
        return True


class KRISubject(SubjectType):
    """Yellow tells the owner; red the owner and the owner's manager, and an unacknowledged red escalates."""

    model = KRI
    roles = {"owner": _("owner"), "owner_manager": _("the owner's manager")}

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=obj.reference,
            title=obj.name,
            priority=1 if obj.state == KRIState.RED else (3 if obj.state == KRIState.YELLOW else 4),
            url=admin_url(obj),
            state=obj.state,
            is_open=obj.is_active,
            acknowledged=obj.red_acknowledged_at is not None,
            service_id=obj.service_id,
            extra={"value": obj.value, "unit": obj.unit, "yellow": obj.yellow, "red": obj.red},
        )

    def owners(self, obj: Any) -> list[User]:
        if obj.owner_id:
            return [obj.owner]
        found: dict[int, User] = {}
        for risk in obj.risks.select_related("owner").exclude(owner=None):
            found.setdefault(risk.owner_id, risk.owner)
        return list(found.values())

    def people(self, obj: Any, role: str) -> list[User]:
        if role == "owner":
            return self.owners(obj)
        if role == "owner_manager":
            return managers_of(self.owners(obj))
        return []

    def still_due(self, obj: Any, *, kind: str, data: dict[str, Any]) -> bool:
        if kind == "red_ack":
            return obj.state == KRIState.RED and obj.red_acknowledged_at is None
        return obj.is_active


class DrillSubject(SubjectType):
    model = Drill
    roles = {"owner": _("owner"), "owner_manager": _("the owner's manager")}

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=obj.reference,
            title=obj.title,
            url=admin_url(obj),
            state="active" if obj.is_active else "inactive",
            is_open=obj.is_active,
        )

    def people(self, obj: Any, role: str) -> list[User]:
        owner = obj.owner if obj.owner_id else None
        if role == "owner":
            return [owner] if owner else []
        if role == "owner_manager":
            return manager_of(owner)
        return []

    def still_due(self, obj: Any, *, kind: str, data: dict[str, Any]) -> bool:
        return (
            obj.is_active
            and obj.next_run_at is not None
            and (data.get("context", {}).get("next_run_at") == obj.next_run_at.isoformat())
        )


class DrillFindingSubject(SubjectType):
    """A finding is an action item: its owner is reminded when it is due, then the owner's manager."""

    model = DrillFinding
    roles = {"owner": _("owner"), "owner_manager": _("the owner's manager")}

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=f"{obj.run.drill.reference}-F{obj.pk}",
            title=obj.text[:200],
            url=admin_url(obj.run),
            state="done" if obj.done_at else "open",
            is_open=obj.done_at is None,
        )

    def people(self, obj: Any, role: str) -> list[User]:
        owner = obj.owner if obj.owner_id else None
        if role == "owner":
            return [owner] if owner else []
        if role == "owner_manager":
            return manager_of(owner)
        return []

    def still_due(self, obj: Any, *, kind: str, data: dict[str, Any]) -> bool:
        return (
            obj.done_at is None
            and obj.due_date is not None
            and data.get("context", {}).get("due_date") == obj.due_date.isoformat()
        )


class RadarSnapshotSubject(SubjectType):
    """A radar alert (an area above its threshold) is about the week's snapshot of the area."""

    model = RadarSnapshot
    roles = {"area_owner": _("the area's owner")}

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=f"{obj.week_start:%G-W%V} {obj.area.name}",
            title=str(_("Risk radar: %(area)s") % {"area": obj.area.name}),
            url=settings.VIGIL_BASE_URL.rstrip("/") + reverse("risk_radar:radar"),
            is_open=False,
            extra={"index": obj.index, "threshold": obj.threshold},
        )

    def people(self, obj: Any, role: str) -> list[User]:
        if role == "area_owner" and obj.area.owner_id:
            return [obj.area.owner]
        return []


class ProcedureVersionSubject(SubjectType):
    model = ProcedureVersion

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=f"{obj.procedure.name} v{obj.number}",
            title=obj.procedure.name,
            url=admin_url(obj),
            is_open=False,
        )


class RadarDigestSubject(SubjectType):
    """The managers' weekly radar e-mail is about the week's digest row."""

    model = RadarDigest

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=f"{obj.week_start:%G-W%V}",
            title=str(_("Weekly risk radar")),
            url=settings.VIGIL_BASE_URL.rstrip("/") + reverse("risk_radar:radar"),
            is_open=False,
        )


SUBJECT_TYPES = (
    RiskSubject,
    KRISubject,
    DrillSubject,
    DrillFindingSubject,
    RadarSnapshotSubject,
    RadarDigestSubject,
    ProcedureVersionSubject,
)
