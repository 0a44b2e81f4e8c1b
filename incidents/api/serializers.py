from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.serializers import StrictFieldsMixin, VisibleRelatedField
from escalation.models import SlaClockState, Team
from escalation.selectors import sla_clocks_by_subject, sla_clocks_of, sla_summary

from ..models import (
    Impact,
    Incident,
    IncidentCategory,
    ResolutionCode,
    Service,
    Source,
    TimelineEvent,
    Urgency,
)
from ..services import allowed_transitions

STATE_HINT = _("The state changes only through transitions: POST /api/v1/incidents/<id>/<transition>/.")


class _IncidentListSerializer(serializers.ListSerializer):
    """Loads the SLA clocks of the whole page in one query."""

    def to_representation(self, data: Any) -> list:
        items = list(data.all() if hasattr(data, "all") else data)
        # The context is a plain dict at run time; DRF's stubs type it as a read-only Mapping.
        self.context["sla_clocks"] = sla_clocks_by_subject(  # type: ignore[index]
            model=Incident, ids=[i.pk for i in items]
        )
        return super().to_representation(items)


class IncidentSerializer(serializers.ModelSerializer):
    """An incident as the API shows it."""

    reference = serializers.CharField(read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True, default=None, allow_null=True)
    category_code = serializers.CharField(
        source="category.code", read_only=True, default=None, allow_null=True
    )
    # Empty until the incident is resolved (the schema says so: schemathesis found the enum without it).
    resolution_code = serializers.ChoiceField(
        choices=ResolutionCode.choices, allow_blank=True, read_only=True
    )
    time_on_hold_seconds = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField(help_text=_("Per SLA clock: state, due_at, breached_at, met_at."))
    sla_breached = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "state",
            "priority",
            "impact",
            "urgency",
            "service",
            "service_name",
            "category",
            "category_code",
            "team",
            "assignee",
            "reporter",
            "source",
            "resolution_code",
            "resolution_notes",
            "parent",
            "reported_at",
            "acknowledged_at",
            "work_started_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "on_hold_since",
            "time_on_hold_seconds",
            "occurred_at",
            "detected_at",
            "impact_scope",
            "affected_parties",
            "mitigated_at",
            "interim_measure",
            "updated_at",
            "allowed_transitions",
            "sla",
            "sla_breached",
        ]
        read_only_fields = fields
        list_serializer_class = _IncidentListSerializer

    def get_time_on_hold_seconds(self, obj: Incident) -> int:
        return int(obj.time_on_hold.total_seconds())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, obj: Incident) -> list[str]:
        return allowed_transitions(obj)

    def _clocks(self, obj: Incident) -> list:
        preloaded = self.context.get("sla_clocks")
        if preloaded is not None and obj.pk in preloaded:
            return preloaded[obj.pk]
        return list(sla_clocks_of(obj))

    @extend_schema_field(serializers.DictField())
    def get_sla(self, obj: Incident) -> dict:
        return sla_summary(self._clocks(obj))

    def get_sla_breached(self, obj: Incident) -> bool:
        return any(clock.state == SlaClockState.BREACHED for clock in self._clocks(obj))


class _IncidentWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    read_only_hints: dict[str, Any] = {
        "state": STATE_HINT,
        "priority": _("The priority is computed from impact and urgency."),
    }

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    impact = serializers.ChoiceField(choices=Impact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    service = VisibleRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    category = VisibleRelatedField(
        queryset=IncidentCategory.objects.filter(is_active=True), required=False, allow_null=True
    )
    team = VisibleRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = VisibleRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    # `parent` and `source` are also attributes of DRF's Field; the serializer's metaclass moves declared
    # fields out of the class, so the names are safe, but the type checker sees the clash.
    parent = VisibleRelatedField(  # type: ignore[assignment]
        queryset=Incident.objects.all(), required=False, allow_null=True
    )
    # What a report must contain (docs/search.md, "the incident's report").
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    impact_scope = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    affected_parties = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    mitigated_at = serializers.DateTimeField(required=False, allow_null=True)
    interim_measure = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class IncidentCreateSerializer(_IncidentWriteSerializer):
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=Source.choices, required=False, default=Source.API
    )


class IncidentUpdateSerializer(_IncidentWriteSerializer):
    resolution_code = serializers.ChoiceField(
        choices=ResolutionCode.choices, required=False, allow_blank=True
    )
    resolution_notes = serializers.CharField(required=False, allow_blank=True, max_length=100_000)


class TransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    resolution_code = serializers.ChoiceField(
        choices=ResolutionCode.choices, required=False, allow_blank=True, help_text=_("Only for resolve.")
    )
    resolution_notes = serializers.CharField(
        required=False, allow_blank=True, max_length=100_000, help_text=_("Only for resolve.")
    )


class CommentSerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(max_length=100_000)
    public = serializers.BooleanField(default=False)


class TimelineEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", read_only=True, default=None)

    class Meta:
        model = TimelineEvent
        fields = [
            "id",
            "kind",
            "created_at",
            "actor",
            "transition",
            "from_state",
            "to_state",
            "note",
            "is_public",
            "data",
        ]
        read_only_fields = fields
