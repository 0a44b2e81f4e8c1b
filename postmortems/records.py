"""What a post-mortem can review, and how each kind of record is read: its milestones (for the response
speed), its timeline (the post-mortem's first draft of one), its commander, its reference.

One entry per kind in `RECORDS`: incidents and major incidents."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _

from incidents.metrics import recorded_milestones
from incidents.models import Incident, MajorIncident, MajorIncidentLogEntry, Problem, TimelineEvent


class ReviewedRecord:
    """How a kind of record looks to a post-mortem. Subclass per model and list it in `RECORDS`."""

    model: type[models.Model]

    def reference(self, obj: Any) -> str:
        return str(obj.reference)

    def title(self, obj: Any) -> str:
        return str(obj.title)

    def milestones(self, obj: Any) -> dict[str, Any]:
        """Milestone field name -> instant (None when not reached), as `incidents.metrics` names them."""
        return {name: getattr(obj, name, None) for name in recorded_milestones()}

    def timeline(self, obj: Any) -> list[dict[str, Any]]:
        return []

    def commander(self, obj: Any) -> User | None:
        return None

    def problems(self, obj: Any) -> list[Problem]:
        """The problem records that investigate the record's root cause (issue #10): the review's root cause
        is theirs."""
        return list(obj.problems.order_by("pk"))


class IncidentRecord(ReviewedRecord):
    model = Incident

    def timeline(self, obj: Any) -> list[dict[str, Any]]:
        entries = []
        for event in (
            TimelineEvent.objects.filter(incident=obj).select_related("actor").order_by("created_at", "id")
        ):
            if event.kind == TimelineEvent.Kind.NOTIFICATION:
                continue  # who was paged is in the engine's log; the review's timeline is what happened
            if event.kind == TimelineEvent.Kind.CREATED:
                text = _("Reported (P%(priority)s).") % {"priority": event.data.get("priority", obj.priority)}
            elif event.kind == TimelineEvent.Kind.TRANSITION:
                text = _("%(from)s -> %(to)s") % {"from": event.from_state, "to": event.to_state}
            else:
                text = ""
            if event.note:
                text = f"{text} {event.note}".strip()
            if not text:
                continue
            entries.append(
                {
                    "at": event.created_at.isoformat(),
                    "text": text,
                    "by": event.actor.get_username() if event.actor else "",
                    "source": f"timeline:{event.pk}",
                }
            )
        return entries

    def commander(self, obj: Any) -> User | None:
        return obj.assignee if obj.assignee_id else None


class MajorIncidentRecord(ReviewedRecord):
    """A major incident: declared is its "reported" milestone; its log is the timeline; its commander (the
    holder of the role when the review opens) owns the review."""

    model = MajorIncident

    def milestones(self, obj: Any) -> dict[str, Any]:
        found = {name: getattr(obj, name, None) for name in recorded_milestones()}
        found.update(
            reported_at=obj.declared_at,
            occurred_at=obj.occurred_at,
            detected_at=obj.detected_at,
            mitigated_at=obj.mitigated_at,
        )
        return found

    def timeline(self, obj: Any) -> list[dict[str, Any]]:
        entries = []
        for entry in MajorIncidentLogEntry.objects.filter(major_incident=obj).select_related("actor"):
            if entry.kind == MajorIncidentLogEntry.Kind.TRANSITION:
                text = _("%(from)s -> %(to)s") % {"from": entry.from_state, "to": entry.to_state}
                text = f"{text} {entry.note}".strip()
            else:
                text = entry.note or entry.get_kind_display()
            entries.append(
                {
                    "at": entry.created_at.isoformat(),
                    "text": text,
                    "by": entry.actor.get_username() if entry.actor is not None else "",
                    "source": f"log:{entry.pk}",
                }
            )
        return entries

    def commander(self, obj: Any) -> User | None:
        from incidents.major.selectors import commander_of

        assignment = commander_of(obj)
        return assignment.user if assignment is not None else None


RECORDS: dict[str, ReviewedRecord] = {
    "incidents.incident": IncidentRecord(),
    "incidents.majorincident": MajorIncidentRecord(),
}


def record_of(obj: models.Model) -> ReviewedRecord | None:
    return RECORDS.get(obj._meta.label_lower)


def record_load(*, type_id: int, object_id: int) -> models.Model | None:
    model = ContentType.objects.get_for_id(type_id).model_class()
    if model is None or model._meta.label_lower not in RECORDS:
        return None
    return model._default_manager.filter(pk=object_id).first()
