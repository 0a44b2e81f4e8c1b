"""The chore as the engine sees it."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from escalation.models import Team, Timer
from escalation.subjects import SubjectInfo, SubjectType

from .models import Chore, ChoreLog

CHORE_EXPIRE_TIMER = "chore.expire"


class ChoreSubject(SubjectType):
    model = Chore
    roles = {"owner": "owner", "owner_manager": "owner's manager"}

    def describe(self, obj: Any) -> SubjectInfo:
        return SubjectInfo(
            reference=f"CHORE-{obj.pk}",
            title=obj.title,
            priority=obj.priority,
            url=f"http://127.0.0.1/chores/{obj.pk}",
            state=obj.state,
            team_id=obj.team_id,
            is_open=obj.state != Chore.State.DONE,
            acknowledged=obj.state in (Chore.State.ACKNOWLEDGED, Chore.State.ON_HOLD),
            paused=obj.state == Chore.State.ON_HOLD,
            extra={"chore_owner": obj.owner.get_username() if obj.owner_id else ""},
        )

    def people(self, obj: Any, role: str) -> list[AbstractBaseUser]:
        if role == "owner":
            return [obj.owner] if obj.owner_id else []
        if role == "owner_manager":
            team = Team.objects.filter(pk=obj.team_id).first()
            return [team.manager] if team is not None and team.manager_id else []
        return []

    def record(self, obj: Any, *, what: str, at: datetime, data: dict[str, Any]) -> None:
        ChoreLog.objects.create(chore=obj, what=what, at=at, data=data)


def on_expire_timer(timer: Timer, now: datetime) -> None:
    Chore.objects.filter(pk=timer.subject_id).update(state=Chore.State.DONE)


def on_chore_opened(*, subject: Any, event: str, at: datetime, data: dict[str, Any], **kwargs: Any) -> None:
    """Another app reacting to the chore's event, in the emitting transaction."""
    ChoreLog.objects.create(chore=subject, what="heard", at=at, data={"event": event, "id": data["event_id"]})
