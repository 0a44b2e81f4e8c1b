"""How the escalation engine sees an incident: registered in `IncidentsConfig.ready()`."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from escalation.channels import private_address
from escalation.models import Channel, Team
from escalation.subjects import SubjectInfo, SubjectType

from .models import Incident, IncidentState, TimelineEvent


class IncidentSubject(SubjectType):
    """Title, priority, link, team and the owning team of its service, for routing and rendering; the
    assignee owns it, the manager of its team (else of its service's team) answers for them."""

    model = Incident
    roles = {
        "owner": _("owner (the assignee)"),
        "owner_manager": _("the owner's manager (the team's manager)"),
        "reporter": _("reporter"),
    }
    # The links in every page (escalation/actions.py); performed by the admin's and the API's service.
    actions = {"acknowledge": _("acknowledge"), "resolve": _("resolve")}

    def describe(self, obj: Any) -> SubjectInfo:
        service = obj.service if obj.service_id else None
        return SubjectInfo(
            reference=obj.reference,
            title=obj.title,
            priority=obj.priority,
            url=settings.VIGIL_BASE_URL.rstrip("/")
            + reverse("admin:incidents_incident_change", args=[obj.pk]),
            state=obj.state,
            team_id=obj.team_id,
            owner_team_id=service.owning_team_id if service is not None else None,
            service_id=obj.service_id,
            category_id=obj.category_id,
            is_open=obj.is_open,
            acknowledged=obj.acknowledged_at is not None,
            paused=obj.state == "on_hold",
            # Lazy: notifications show it in each recipient's language (escalation.notify.message_render).
            extra={
                "service": service.name if service is not None else None,
                "state_label": IncidentState(obj.state).label,
            },
        )

    def action_offered(self, obj: Any, action: str) -> bool:
        from escalation.services import subject_paging

        from .services import allowed_transitions

        if action == "acknowledge" and obj.state != IncidentState.NEW:
            return subject_paging(subject=obj)  # a reopened incident paged again
        return action in allowed_transitions(obj)

    def action_perform(self, pk: int, *, action: str, by: User) -> Incident:
        from .services import incident_page_acknowledge, incident_transition

        note = gettext("From the link in a page.")
        if action == "acknowledge":
            return incident_page_acknowledge(incident_id=pk, by=by, note=note)
        return incident_transition(incident_id=pk, name=action, by=by, note=note)

    def record(self, obj: Any, *, what: str, at: datetime, data: dict[str, Any]) -> None:
        """The engine's work on the incident goes on its timeline, in the engine's transaction: each page (to
        whom, how, at which level), each step of the escalation, the acknowledgement that stopped it and by
        whom, each stakeholder notice. Notes are written in the active language, like every timeline note."""
        line = _timeline_line(what=what, data=data)
        if line is None:
            return
        kind, note, actor_id = line
        if data.get("address"):
            # Apprise URLs carry the service's tokens: the timeline keeps the redacted form only.
            data = {**data, "address": private_address(data.get("channel", ""), data["address"])}
        TimelineEvent.objects.create(
            incident=obj,
            kind=kind,
            actor_id=actor_id,
            created_at=at,
            note=note,
            data={"engine": what, **data},
        )

    def people(self, obj: Any, role: str) -> list[User]:
        if role == "owner":
            return [obj.assignee] if obj.assignee_id else []
        if role == "reporter":
            return [obj.reporter] if obj.reporter_id else []
        if role == "owner_manager":
            team_id = obj.team_id or (obj.service.owning_team_id if obj.service_id else None)
            team = Team.objects.filter(pk=team_id).select_related("manager").first() if team_id else None
            return [team.manager] if team is not None and team.manager is not None else []
        return []


def _channel_label(channel: str) -> str:
    try:
        return str(Channel(channel).label)
    except ValueError:
        return channel


def _timeline_line(*, what: str, data: dict[str, Any]) -> tuple[str, str, int | None] | None:
    """(kind, note, actor id) of the timeline line for what the engine did, None for what it does not keep."""
    if what == "escalated":
        values = {
            "level": data.get("level"),
            "policy": data.get("policy", ""),
            "people": ", ".join(data.get("users", [])) or "-",
        }
        if data.get("cycle"):
            values["cycle"] = data["cycle"]
            note = gettext(
                "Escalation policy %(policy)s, level %(level)s (repeat %(cycle)s): paging %(people)s."
            )
        elif data.get("level") == 1:
            note = gettext("Escalation policy %(policy)s started, level 1: paging %(people)s.")
        else:
            note = gettext("Escalated to level %(level)s of policy %(policy)s: paging %(people)s.")
        return TimelineEvent.Kind.ESCALATION, note % values, None
    if what == "acknowledged":
        note = gettext("Paging stopped at level %(level)s: acknowledged by %(who)s.") % {
            "level": data.get("level"),
            "who": data.get("by") or gettext("Vigil"),
        }
        return TimelineEvent.Kind.ESCALATION, note, data.get("by_id")
    if what != "notified":
        return None
    channel = _channel_label(data.get("channel", ""))
    who = data.get("username") or private_address(data.get("channel", ""), data.get("address", ""))
    reason = data.get("reason", "")
    if reason == "page":
        note = gettext("Paged %(who)s by %(channel)s (level %(level)s).") % {
            "who": who,
            "channel": channel,
            "level": data.get("level") or "-",
        }
    elif reason == "sla.warning":
        note = gettext("SLA warning sent to %(who)s by %(channel)s.") % {"who": who, "channel": channel}
    elif reason == "sla.breach":
        note = gettext("SLA breach sent to %(who)s by %(channel)s.") % {"who": who, "channel": channel}
    else:
        note = gettext("Notice (%(reason)s) sent to %(who)s by %(channel)s.") % {
            "reason": reason.removeprefix("comms:"),
            "who": who,
            "channel": channel,
        }
    return TimelineEvent.Kind.NOTIFICATION, note, None
