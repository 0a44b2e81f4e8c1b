"""How the escalation engine sees post-mortems, action items and weekly digests: registered in
`PostmortemsConfig.ready()`."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from escalation.models import Team
from escalation.subjects import SubjectInfo, SubjectType

from .models import ActionItem, Postmortem, PostmortemState, WeeklyDigest


def _admin_url(obj: Any) -> str:
    meta = obj._meta
    return settings.VIGIL_BASE_URL.rstrip("/") + reverse(
        f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]
    )


def _manager_of(user: User | None) -> list[User]:
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


class PostmortemSubject(SubjectType):
    """Publishing tells the communication plan's audiences (`postmortem.published`)."""

    model = Postmortem
    roles = {
        "owner": _("owner (who writes the post-mortem)"),
        "owner_manager": _("the owner's manager"),
        "reviewer": _("reviewer"),
    }

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=obj.reference,
            title=obj.title,
            url=_admin_url(obj),
            state=obj.state,
            is_open=obj.state != PostmortemState.PUBLISHED,
            extra={"published_at": obj.published_at},
        )

    def people(self, obj: Any, role: str) -> list[User]:
        if role == "owner":
            return [obj.owner] if obj.owner_id else []
        if role == "owner_manager":
            return _manager_of(obj.owner if obj.owner_id else None)
        if role == "reviewer":
            return [row.reviewer for row in obj.reviewers.select_related("reviewer")]
        return []


class ActionItemSubject(SubjectType):
    """Overdue action items remind their owner, then the owner's manager (engine reminders)."""

    model = ActionItem
    roles = {
        "owner": _("owner (of the action item)"),
        "owner_manager": _("the owner's manager"),
        "postmortem_owner": _("the post-mortem's owner"),
    }

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=obj.reference,
            title=obj.title,
            priority=obj.priority,
            url=_admin_url(obj),
            state=obj.state,
            is_open=obj.is_open,
            extra={"due_date": obj.due_date, "postmortem": obj.postmortem.reference},
        )

    def people(self, obj: Any, role: str) -> list[User]:
        if role == "owner":
            return [obj.owner] if obj.owner_id else []
        if role == "owner_manager":
            return _manager_of(obj.owner if obj.owner_id else None)
        if role == "postmortem_owner":
            return [obj.postmortem.owner] if obj.postmortem.owner_id else []
        return []

    def still_due(self, obj: Any, *, kind: str, data: dict[str, Any]) -> bool:
        # The reminder was set for a due date: moved or cleared since, it no longer applies.
        return (
            obj.is_open
            and obj.due_date is not None
            and data.get("context", {}).get("due_date") == (obj.due_date.isoformat())
        )


class WeeklyDigestSubject(SubjectType):
    """The managers' weekly e-mail is about the week's digest row."""

    model = WeeklyDigest

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=f"{obj.week_start:%G-W%V}",
            title=str(_("Weekly incident digest")),
            url=settings.VIGIL_BASE_URL.rstrip("/") + reverse("reports:dashboard"),
            is_open=False,
        )
