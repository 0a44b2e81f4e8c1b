"""The reporting flow rolled out: a procedure (who reports what to whom, within how many minutes, by which
channel) is published in versions; each member of its teams acknowledges the version in force, and managers
see who has not."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from escalation.events import event_emit
from escalation.notify import notify_user_at_once
from escalation.subjects import subject_describe

from .events import RiskEvent
from .models import ProcedureAcknowledgement, ProcedureVersion, ReportingProcedure
from .services import check

STEP_KEYS = {"what", "to", "within_minutes", "channel"}


def _steps_clean(steps: Any) -> list[dict[str, Any]]:
    if not isinstance(steps, list):
        raise InvalidInput(
            _("The steps are a list."),
            fields={"steps": [_("A list of {what, to, within_minutes, channel}.")]},
        )
    cleaned = []
    for index, step in enumerate(steps):
        minutes = step.get("within_minutes") if isinstance(step, dict) else None
        if (
            not isinstance(step, dict)
            or set(step) != STEP_KEYS
            or not all(isinstance(step[k], str) and step[k].strip() for k in ("what", "to", "channel"))
            or isinstance(minutes, bool)
            or not isinstance(minutes, int)
            or not 0 < minutes <= 7 * 24 * 60
        ):
            raise InvalidInput(
                _("Step %(n)s needs what, to, channel and within_minutes (1 to 10080).") % {"n": index + 1},
                fields={"steps": [_("Step %(n)s is incomplete.") % {"n": index + 1}]},
            )
        cleaned.append({key: step[key] for key in ("what", "to", "within_minutes", "channel")})
    return cleaned


def procedure_members(procedure: ReportingProcedure) -> list[User]:
    return list(
        get_user_model()
        .objects.filter(vigil_teams__in=procedure.teams.all(), is_active=True)
        .distinct()
        .order_by("username")
    )


def version_in_force(procedure: ReportingProcedure) -> ProcedureVersion | None:
    return procedure.versions.order_by("-number").first()


def procedure_publish(*, procedure_id: int, by: User | None, body: str, steps: Any) -> ProcedureVersion:
    """A new version in force; the members of the procedure's teams are told to read and acknowledge it."""
    check(by, "risks.add_procedureversion", _("You may not publish procedures."))
    cleaned = _steps_clean(steps)
    with transaction.atomic():
        procedure = ReportingProcedure.objects.select_for_update().filter(pk=procedure_id).first()
        if procedure is None:
            raise NotFound(_("Procedure %(id)s does not exist.") % {"id": procedure_id})
        now = timezone.now()
        number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ProcedureVersion.objects.create(
            procedure=procedure, number=number, body=body, steps=cleaned, published_at=now, published_by=by
        )
        event_emit(
            subject=version, event=RiskEvent.PROCEDURE_PUBLISHED, at=now, by=by, data={"version": number}
        )
        info = subject_describe(version)
        for member in procedure_members(procedure):
            notify_user_at_once(
                subject=version,
                info=info,
                user=member,
                channel="",
                reason=RiskEvent.PROCEDURE_PUBLISHED,
                key=f"procedure:{version.pk}",
                template="event",
                context={"event": RiskEvent.PROCEDURE_PUBLISHED, "data": {"version": number}, "at": now},
                at=now,
            )
    return version


def procedure_acknowledge(
    *, procedure_id: int, by: User, number: int | None = None
) -> ProcedureAcknowledgement:
    """`by` has read the version in force (`number`, when given, must be it: 409 otherwise). Only members of
    the procedure's teams acknowledge it; asking twice answers the first acknowledgement."""
    procedure = ReportingProcedure.objects.filter(pk=procedure_id).first()
    if procedure is None:
        raise NotFound(_("Procedure %(id)s does not exist.") % {"id": procedure_id})
    if not procedure.teams.filter(members=by).exists():
        raise PermissionDenied(_("Only the members of the procedure's teams acknowledge it."))
    version = version_in_force(procedure)
    if version is None:
        raise Conflict(_("No version of this procedure is in force yet."))
    if number is not None and number != version.number:
        raise Conflict(
            _("Version %(asked)s is not in force; version %(current)s is.")
            % {"asked": number, "current": version.number},
            version=version.number,
        )
    try:
        with transaction.atomic():
            return ProcedureAcknowledgement.objects.create(version=version, user=by, at=timezone.now())
    except IntegrityError:
        return ProcedureAcknowledgement.objects.get(version=version, user=by)


def procedure_acknowledgements(procedure: ReportingProcedure) -> dict[str, Any]:
    """Who has acknowledged the version in force, and who has not (members of its teams)."""
    version = version_in_force(procedure)
    members = procedure_members(procedure)
    done = {row.user_id: row.at for row in version.acknowledgements.all()} if version is not None else {}
    return {
        "version": version.number if version else None,
        "acknowledged": [
            {"user": user.pk, "username": user.get_username(), "at": done[user.pk]}
            for user in members
            if user.pk in done
        ],
        "pending": [
            {"user": user.pk, "username": user.get_username()} for user in members if user.pk not in done
        ],
    }
