from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from config.serializers import ModelCleanMixin, StrictFieldsMixin, VisibleRelatedField, VisibleRelationsMixin

from ..links import LINK_TARGETS
from ..models import (
    KRI,
    Area,
    ChecklistItem,
    Drill,
    DrillFinding,
    DrillRun,
    DrillStep,
    DrillStepResult,
    EmergencyContact,
    KRIReading,
    KRIStateChange,
    LevelEscalation,
    OutsideChange,
    PrecursorRule,
    PrecursorWarning,
    ProcedureVersion,
    RadarSnapshot,
    ReportingProcedure,
    ResponseChecklist,
    Risk,
    RiskAssessment,
    RiskCategory,
    RiskHistory,
    RiskLink,
    RiskMatrix,
    StepOutcome,
    Treatment,
)
from ..services import allowed_transitions

User = get_user_model()


def _active_users() -> Any:
    return User.objects.filter(is_active=True)


class RiskMatrixSerializer(ModelCleanMixin, StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = RiskMatrix
        fields = [
            "id",
            "name",
            "size",
            "likelihood_labels",
            "impact_labels",
            "cells",
            "colours",
            "is_default",
        ]


class AreaSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "name", "description", "owner", "matrix", "radar_threshold"]


class RiskAssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskAssessment
        fields = [
            "id",
            "at",
            "by",
            "inherent_likelihood",
            "inherent_impact",
            "residual_likelihood",
            "residual_impact",
            "level",
            "previous_level",
            "controls",
            "note",
        ]
        read_only_fields = fields


class RiskHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskHistory
        fields = ["id", "at", "by", "kind", "from_state", "to_state", "note", "data"]
        read_only_fields = fields


class RiskLinkSerializer(serializers.ModelSerializer):
    target_type = serializers.SerializerMethodField()

    class Meta:
        model = RiskLink
        fields = ["id", "target_type", "target_id", "note", "created_at"]

    def get_target_type(self, obj: RiskLink) -> str:
        return f"{obj.target_type.app_label}.{obj.target_type.model}"


class RiskSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    is_external = serializers.BooleanField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()
    links = RiskLinkSerializer(many=True, read_only=True)

    class Meta:
        model = Risk
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "area",
            "category",
            "is_external",
            "owner",
            "matrix",
            "inherent_likelihood",
            "inherent_impact",
            "controls",
            "residual_likelihood",
            "residual_impact",
            "level",
            "treatment",
            "acceptance_approver",
            "acceptance_reason",
            "acceptance_expires_on",
            "state",
            "allowed_transitions",
            "review_interval_days",
            "next_review_at",
            "last_reviewed_at",
            "reported_by",
            "created_at",
            "updated_at",
            "closed_at",
            "links",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, obj: Risk) -> list[str]:
        return allowed_transitions(obj)


class RiskUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    area = VisibleRelatedField(queryset=Area.objects.all(), required=False)
    category = serializers.ChoiceField(choices=RiskCategory.choices, required=False)
    owner = VisibleRelatedField(queryset=_active_users(), required=False, allow_null=True)
    controls = serializers.CharField(required=False, allow_blank=True)
    treatment = serializers.ChoiceField(choices=Treatment.choices, required=False, allow_blank=True)
    review_interval_days = serializers.IntegerField(min_value=0, max_value=3660, required=False)


class RiskCreateSerializer(RiskUpdateSerializer):
    title = serializers.CharField(max_length=200)
    area = VisibleRelatedField(queryset=Area.objects.all())
    category = serializers.ChoiceField(choices=RiskCategory.choices)
    inherent_likelihood = serializers.IntegerField(required=False, allow_null=True)
    inherent_impact = serializers.IntegerField(required=False, allow_null=True)
    residual_likelihood = serializers.IntegerField(required=False, allow_null=True)
    residual_impact = serializers.IntegerField(required=False, allow_null=True)
    postmortem = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="A risk of a future related incident found by this post-mortem: the risk is linked to it.",
    )


class RiskReportSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    area = VisibleRelatedField(queryset=Area.objects.all())
    category = serializers.ChoiceField(choices=RiskCategory.choices)


class RiskAssessSerializer(StrictFieldsMixin, serializers.Serializer):
    inherent_likelihood = serializers.IntegerField(required=False, allow_null=True)
    inherent_impact = serializers.IntegerField(required=False, allow_null=True)
    residual_likelihood = serializers.IntegerField(required=False, allow_null=True)
    residual_impact = serializers.IntegerField(required=False, allow_null=True)
    controls = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RiskAcceptSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField()
    expires_on = serializers.DateField()


class RiskNoteSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RiskLinkCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    target_type = serializers.ChoiceField(choices=list(LINK_TARGETS))
    target_id = serializers.IntegerField(min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class OutsideChangeSerializer(VisibleRelationsMixin, serializers.ModelSerializer):
    class Meta:
        model = OutsideChange
        fields = [
            "id",
            "area",
            "kind",
            "title",
            "description",
            "recorded_by",
            "recorded_at",
            "reviews_opened",
        ]
        read_only_fields = ["recorded_by", "recorded_at", "reviews_opened"]


class OutsideChangeCreateSerializer(StrictFieldsMixin, OutsideChangeSerializer):
    pass


class KRISerializer(ModelCleanMixin, StrictFieldsMixin, serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)

    class Meta:
        model = KRI
        fields = [
            "id",
            "reference",
            "name",
            "description",
            "risks",
            "owner",
            "unit",
            "direction",
            "yellow",
            "red",
            "hysteresis",
            "evaluation",
            "window_minutes",
            "source",
            "measure",
            "service",
            "category",
            "compute_window_days",
            "open_incident_on_red",
            "incident_service",
            "red_ack_minutes",
            "escalation_policy",
            "is_active",
            "state",
            "state_since",
            "value",
            "evaluated_at",
            "red_acknowledged_at",
            "red_acknowledged_by",
        ]
        read_only_fields = [
            "state",
            "state_since",
            "value",
            "evaluated_at",
            "red_acknowledged_at",
            "red_acknowledged_by",
        ]


class KRIReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = KRIReading
        fields = ["id", "at", "value", "received_at"]


class KRIStateChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = KRIStateChange
        fields = ["id", "at", "from_state", "to_state", "value", "incident_id"]


class ReadingsAcceptedSerializer(serializers.Serializer):
    kri = serializers.IntegerField()
    accepted = serializers.IntegerField()
    state = serializers.CharField()
    value = serializers.FloatField(allow_null=True)


class RadarSnapshotSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    change = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = RadarSnapshot
        fields = [
            "id",
            "week_start",
            "area",
            "area_name",
            "index",
            "previous_index",
            "change",
            "risk_count",
            "levels",
            "kri_yellow",
            "kri_red",
            "threshold",
            "alerted",
            "computed_at",
        ]
        read_only_fields = fields


class PrecursorWarningSerializer(serializers.ModelSerializer):
    incidents = serializers.SerializerMethodField()

    class Meta:
        model = PrecursorWarning
        fields = [
            "id",
            "rule",
            "risk",
            "proposed_title",
            "incidents",
            "window_start",
            "window_end",
            "suggested_likelihood",
            "state",
            "created_at",
            "decided_by",
        ]
        read_only_fields = fields

    def get_incidents(self, obj: PrecursorWarning) -> list[dict[str, Any]]:
        """The incidents behind the warning, side by side."""
        return [
            {
                "id": incident.pk,
                "reference": incident.reference,
                "title": incident.title,
                "priority": incident.priority,
                "service": incident.service_id,
                "category": incident.category_id,
                "reported_at": incident.reported_at,
                "state": incident.state,
            }
            for incident in obj.incidents.order_by("reported_at")
        ]


class PrecursorRuleSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = PrecursorRule
        fields = [
            "id",
            "name",
            "service",
            "category",
            "min_priority",
            "window_days",
            "count",
            "risk",
            "area",
            "is_active",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        service = attrs.get("service", getattr(self.instance, "service", None))
        category = attrs.get("category", getattr(self.instance, "category", None))
        if service is None and category is None:
            raise serializers.ValidationError({"service": ["A service or a category."]})
        return attrs


class DrillStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = DrillStep
        fields = ["id", "position", "instruction", "expected_result"]


class DrillSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    steps = DrillStepSerializer(many=True, read_only=True)

    class Meta:
        model = Drill
        fields = [
            "id",
            "reference",
            "title",
            "scenario",
            "risks",
            "services",
            "owner",
            "interval_days",
            "next_run_at",
            "is_active",
            "steps",
        ]
        read_only_fields = ["next_run_at"]


class DrillStepCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    instruction = serializers.CharField()
    expected_result = serializers.CharField(required=False, allow_blank=True, default="")
    position = serializers.IntegerField(min_value=1, required=False)


class DrillScheduleSerializer(StrictFieldsMixin, serializers.Serializer):
    next_run_at = serializers.DateTimeField(allow_null=True)


class DrillResultInputSerializer(StrictFieldsMixin, serializers.Serializer):
    step = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=StepOutcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DrillFindingInputSerializer(StrictFieldsMixin, serializers.Serializer):
    text = serializers.CharField()
    owner = VisibleRelatedField(queryset=_active_users(), required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class DrillRunCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    held_at = serializers.DateTimeField()
    participants = VisibleRelatedField(queryset=_active_users(), many=True, required=False)
    results = DrillResultInputSerializer(many=True, required=False)
    findings = DrillFindingInputSerializer(many=True, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class DrillFindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = DrillFinding
        fields = ["id", "text", "owner", "due_date", "done_at"]
        read_only_fields = fields


class DrillStepResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = DrillStepResult
        fields = ["step", "outcome", "note"]
        read_only_fields = fields


class DrillRunSerializer(serializers.ModelSerializer):
    results = DrillStepResultSerializer(many=True, read_only=True)
    findings = DrillFindingSerializer(many=True, read_only=True)

    class Meta:
        model = DrillRun
        fields = ["id", "drill", "held_at", "participants", "notes", "recorded_by", "results", "findings"]
        read_only_fields = fields


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "position", "title", "description"]


class ResponseChecklistSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    items = ChecklistItemSerializer(many=True, required=False)

    class Meta:
        model = ResponseChecklist
        fields = ["id", "category", "name", "is_active", "items"]

    def create(self, validated_data: dict[str, Any]) -> ResponseChecklist:
        items = validated_data.pop("items", [])
        checklist = ResponseChecklist.objects.create(**validated_data)
        for index, item in enumerate(items, start=1):
            ChecklistItem.objects.create(checklist=checklist, **{"position": index, **item})
        return checklist

    def update(self, instance: ResponseChecklist, validated_data: dict[str, Any]) -> ResponseChecklist:
        items = validated_data.pop("items", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        if items is not None:
            instance.items.all().delete()
            for index, item in enumerate(items, start=1):
                ChecklistItem.objects.create(checklist=instance, **{"position": index, **item})
        return instance


class ReportingProcedureSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    version_in_force = serializers.SerializerMethodField()

    class Meta:
        model = ReportingProcedure
        fields = ["id", "name", "teams", "version_in_force"]

    def get_version_in_force(self, obj: ReportingProcedure) -> dict[str, Any] | None:
        version = obj.versions.order_by("-number").first()
        return ProcedureVersionSerializer(version).data if version else None


class ProcedureVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcedureVersion
        fields = ["id", "number", "body", "steps", "published_at", "published_by"]
        read_only_fields = fields


class ProcedurePublishSerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, default="")
    steps = serializers.JSONField()


class ProcedureAcknowledgeSerializer(StrictFieldsMixin, serializers.Serializer):
    version = serializers.IntegerField(required=False, allow_null=True)


class ProcedureAckRowSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    at = serializers.DateTimeField(required=False)


class ProcedureAcknowledgementsSerializer(serializers.Serializer):
    version = serializers.IntegerField(allow_null=True)
    acknowledged = ProcedureAckRowSerializer(many=True)
    pending = ProcedureAckRowSerializer(many=True)


class EmergencyContactSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = EmergencyContact
        fields = ["id", "team", "name", "role", "organisation", "phone", "mobile", "email", "position"]


class LevelEscalationSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = LevelEscalation
        fields = ["id", "level", "policy", "audience"]
