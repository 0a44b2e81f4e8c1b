from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.serializers import StrictFieldsMixin, VisibleRelatedField
from escalation.models import Team

from ...models import (
    Incident,
    IncidentCategory,
    MajorIncident,
    Priority,
    Problem,
    ProblemIncident,
    ProblemLogEntry,
    Service,
)
from ..services import allowed_transitions

User = get_user_model()
STATE_HINT = _("The state changes only through transitions: POST /api/v1/problems/<id>/<transition>/.")

_users = User.objects.filter(is_active=True)


class ProblemIncidentLinkSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="incident.reference", read_only=True)
    title = serializers.CharField(source="incident.title", read_only=True)

    class Meta:
        model = ProblemIncident
        fields = ["incident", "reference", "title", "linked_at", "linked_by", "workaround_applied_at"]
        read_only_fields = fields


class ProblemSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    is_known_error = serializers.BooleanField(read_only=True)
    incidents = ProblemIncidentLinkSerializer(source="incident_links", many=True, read_only=True)
    changes = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = [
            "id",
            "reference",
            "title",
            "state",
            "is_known_error",
            "priority",
            "owner",
            "team",
            "category",
            "services",
            "incidents",
            "major_incidents",
            "changes",
            "symptoms",
            "root_cause",
            "workaround",
            "resolution",
            "created_by",
            "opened_at",
            "investigating_at",
            "known_error_at",
            "resolved_at",
            "closed_at",
            "updated_at",
            "allowed_transitions",
        ]
        read_only_fields = fields

    def get_changes(self, obj: Problem) -> list[int]:
        return [change.pk for change in obj.changes.all()]

    def get_allowed_transitions(self, obj: Problem) -> list[str]:
        return allowed_transitions(obj)


class _ProblemWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    read_only_hints: dict[str, Any] = {"state": STATE_HINT}

    title = serializers.CharField(max_length=200)
    symptoms = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    owner = VisibleRelatedField(queryset=_users, required=False, allow_null=True)
    team = VisibleRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    category = VisibleRelatedField(
        queryset=IncidentCategory.objects.filter(is_active=True), required=False, allow_null=True
    )
    services = VisibleRelatedField(queryset=Service.objects.all(), many=True, required=False)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=100_000)


class ProblemCreateSerializer(_ProblemWriteSerializer):
    incidents = VisibleRelatedField(
        queryset=Incident.objects.all(), many=True, required=False, help_text=_("Incidents it explains.")
    )
    major_incidents = VisibleRelatedField(queryset=MajorIncident.objects.all(), many=True, required=False)


class ProblemUpdateSerializer(_ProblemWriteSerializer):
    pass


class ProblemTransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    workaround = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100_000,
        default="",
        help_text=_("For record_known_error."),
    )
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=100_000, default="")
    resolution = serializers.CharField(
        required=False, allow_blank=True, max_length=100_000, default="", help_text=_("For resolve.")
    )


class ProblemIncidentWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    incident = serializers.IntegerField(min_value=1)


class ProblemMajorIncidentWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    major_incident = serializers.IntegerField(min_value=1)


class ProblemLogEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = ProblemLogEntry
        fields = ["id", "kind", "actor", "created_at", "from_state", "to_state", "transition", "note", "data"]
        read_only_fields = fields


class RecurringIncidentsSerializer(serializers.Serializer):
    service_id = serializers.IntegerField(allow_null=True)
    service = serializers.CharField()
    category_id = serializers.IntegerField(allow_null=True)
    category = serializers.CharField()
    count = serializers.IntegerField()
    first = serializers.DateTimeField()
    last = serializers.DateTimeField()
    incident_ids = serializers.ListField(child=serializers.IntegerField())


class RecurringOpenSerializer(StrictFieldsMixin, serializers.Serializer):
    service = serializers.IntegerField(allow_null=True, required=False, default=None)
    category = serializers.IntegerField(allow_null=True, required=False, default=None)
