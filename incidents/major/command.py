"""Incident command: role assignments and hand-overs, the team, objectives. Each entry point owns its
transaction and locks the major incident; the `_` helpers expect the caller to hold that lock."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict, InvalidInput, NotFound
from escalation.events import event_emit

from ..events import MajorIncidentEvent
from ..models import (
    CommandRole,
    MajorIncident,
    MajorIncidentLogEntry,
    MajorIncidentState,
    Objective,
    OutsidePerson,
    RoleAssignment,
    Task,
    TaskState,
    TeamMember,
)
from .common import check_can_see, check_commandable, display_name, lock, log, one_person, require


def _holder_label(user: User | None, person: OutsidePerson | None) -> str:
    return display_name(user) if user is not None else str(person)


def _holder_data(user: User | None, person: OutsidePerson | None) -> dict[str, Any]:
    if user is not None:
        return {"user_id": user.pk, "username": user.get_username()}
    return {"person_id": getattr(person, "pk", None), "person": str(person)}


def current_holder(major_incident: MajorIncident, role: str) -> RoleAssignment | None:
    return (
        RoleAssignment.objects.filter(major_incident=major_incident, role=role, ended_at__isnull=True)
        .select_related("user", "person")
        .first()
    )


def role_assign_locked(
    major_incident: MajorIncident,
    *,
    role: str,
    user: User | None = None,
    person: OutsidePerson | None = None,
    by: User | None,
    at: datetime,
    note: str = "",
) -> RoleAssignment:
    """Give `role` to a user or an outside person, handing it over from its current holder. The caller holds
    the major incident's lock. Holding a role makes one a member of the team; tasks of a template waiting for
    the holder of this role go to them."""
    if role not in CommandRole.values:
        raise InvalidInput(
            _("Unknown role %(role)s.") % {"role": role}, fields={"role": [_("Unknown role.")]}
        )
    one_person(user=user, person=person)
    current = current_holder(major_incident, role)
    if current is not None and current.user == user and current.person == person:
        return current
    label = CommandRole(role).label
    if current is not None:
        current.ended_at = at
        current.save(update_fields=["ended_at"])
    assignment = RoleAssignment.objects.create(
        major_incident=major_incident,
        role=role,
        user=user,
        person=person,
        assigned_at=at,
        assigned_by=by,
        note=note,
    )
    holder = _holder_label(user, person)
    if current is None:
        text = _("%(holder)s is now %(role)s.") % {"holder": holder, "role": label}
    else:
        text = _("%(role)s handed over from %(previous)s to %(holder)s.") % {
            "role": label,
            "previous": current.holder_name,
            "holder": holder,
        }
    data = {"role": role, **_holder_data(user, person)}
    if current is not None:
        data["previous"] = current.holder_name
    log(major_incident, kind=MajorIncidentLogEntry.Kind.ROLE, by=by, at=at, note=note or text, data=data)
    _team_join(major_incident, user=user, person=person, responsibility=str(label), by=by, at=at)
    Task.objects.filter(
        major_incident=major_incident,
        owner_role=role,
        owner_user__isnull=True,
        owner_person__isnull=True,
        state__in=[TaskState.TODO, TaskState.IN_PROGRESS],
    ).update(owner_user=user, owner_person=person)
    event = (
        MajorIncidentEvent.COMMANDER_ASSIGNED
        if role == CommandRole.COMMANDER
        else MajorIncidentEvent.ROLE_ASSIGNED
    )
    event_emit(subject=major_incident, event=event, at=at, by=by, data={**data, "holder": holder})
    return assignment


def role_assign(
    *,
    major_incident_id: int,
    role: str,
    by: User | None,
    user: User | None = None,
    person: OutsidePerson | None = None,
    note: str = "",
) -> RoleAssignment:
    """Assign a command role, or hand it over; the log says who, when, from whom."""
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        require(by, "incidents.add_roleassignment", _("You may not assign roles on major incidents."))
        check_commandable(major_incident)
        return role_assign_locked(
            major_incident, role=role, user=user, person=person, by=by, at=timezone.now(), note=note
        )


def role_end(*, major_incident_id: int, role: str, by: User | None, note: str = "") -> None:
    """The role is no longer held. The commander's role is handed over, never left empty once the response
    has started (409)."""
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        require(by, "incidents.change_roleassignment", _("You may not change roles on major incidents."))
        current = current_holder(major_incident, role)
        if current is None:
            raise NotFound(_("Nobody holds that role."))
        if role == CommandRole.COMMANDER and major_incident.state != MajorIncidentState.DECLARED:
            raise Conflict(
                _("A major incident under way always has a commander: hand the role over instead."),
                state=major_incident.state,
            )
        now = timezone.now()
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        log(
            major_incident,
            kind=MajorIncidentLogEntry.Kind.ROLE,
            by=by,
            at=now,
            note=note
            or _("%(holder)s is no longer %(role)s.")
            % {"holder": current.holder_name, "role": CommandRole(role).label},
            data={"role": role, "ended": True},
        )


def _team_join(
    major_incident: MajorIncident,
    *,
    user: User | None,
    person: OutsidePerson | None,
    responsibility: str,
    by: User | None,
    at: datetime,
) -> TeamMember:
    existing = TeamMember.objects.filter(
        major_incident=major_incident, user=user, person=person, left_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    member = TeamMember.objects.create(
        major_incident=major_incident, user=user, person=person, responsibility=responsibility, joined_at=at
    )
    log(
        major_incident,
        kind=MajorIncidentLogEntry.Kind.TEAM,
        by=by,
        at=at,
        note=_("%(holder)s joined the team (%(responsibility)s).")
        % {"holder": _holder_label(user, person), "responsibility": responsibility or "-"},
        data={"member": member.pk, **_holder_data(user, person)},
    )
    return member


def member_add(
    *,
    major_incident_id: int,
    by: User | None,
    user: User | None = None,
    person: OutsidePerson | None = None,
    responsibility: str = "",
) -> TeamMember:
    """Bring someone into the major incident team (once: a current member is answered as is)."""
    one_person(user=user, person=person)
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        require(by, "incidents.add_teammember", _("You may not change the major incident team."))
        check_commandable(major_incident)
        return _team_join(
            major_incident, user=user, person=person, responsibility=responsibility, by=by, at=timezone.now()
        )


def member_leave(*, member_id: int, by: User | None) -> TeamMember:
    """The member leaves the team; when they left is kept."""
    member = TeamMember.objects.filter(pk=member_id).first()
    if member is None:
        raise NotFound(_("Team member %(id)s does not exist.") % {"id": member_id})
    with transaction.atomic():
        major_incident = lock(member.major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        require(by, "incidents.change_teammember", _("You may not change the major incident team."))
        member = TeamMember.objects.select_for_update().get(pk=member_id)
        if member.left_at is None:
            member.left_at = timezone.now()
            member.save(update_fields=["left_at"])
            log(
                major_incident,
                kind=MajorIncidentLogEntry.Kind.TEAM,
                by=by,
                at=member.left_at,
                note=_("%(holder)s left the team.") % {"holder": member.holder_name},
                data={"member": member.pk, "left": True},
            )
    return member


def objective_add(
    *, major_incident_id: int, by: User | None, text: str, position: int | None = None
) -> Objective:
    if not text.strip():
        raise InvalidInput(
            _("An objective needs some text."), fields={"text": [_("This field may not be blank.")]}
        )
    with transaction.atomic():
        major_incident = lock(major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        require(by, "incidents.add_objective", _("You may not set objectives."))
        check_commandable(major_incident)
        if position is None:
            position = major_incident.objectives.count() + 1
        now = timezone.now()
        objective = Objective.objects.create(
            major_incident=major_incident, text=text, position=position, created_at=now
        )
        log(major_incident, kind=MajorIncidentLogEntry.Kind.OBJECTIVE, by=by, at=now, note=text)
    return objective


def objective_update(*, objective_id: int, by: User | None, changes: dict[str, Any]) -> Objective:
    """Change the text or position, or mark it achieved (`achieved`: true / false)."""
    objective = Objective.objects.filter(pk=objective_id).first()
    if objective is None:
        raise NotFound(_("Objective %(id)s does not exist.") % {"id": objective_id})
    with transaction.atomic():
        major_incident = lock(objective.major_incident_id)
        check_can_see(major_incident=major_incident, by=by)
        require(by, "incidents.change_objective", _("You may not change objectives."))
        objective = Objective.objects.select_for_update().get(pk=objective_id)
        now = timezone.now()
        for name in ("text", "position"):
            if name in changes:
                setattr(objective, name, changes[name])
        if "achieved" in changes:
            achieved = bool(changes["achieved"])
            if achieved and objective.achieved_at is None:
                objective.achieved_at = now
                log(
                    major_incident,
                    kind=MajorIncidentLogEntry.Kind.OBJECTIVE,
                    by=by,
                    at=now,
                    note=_("Objective achieved: %(text)s") % {"text": objective.text},
                )
            elif not achieved:
                objective.achieved_at = None
        objective.save()
    return objective
