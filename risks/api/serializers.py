from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from config.serializers import ModelCleanMixin, StrictFieldsMixin

from ..links import LINK_TARGETS
from ..models import (
    KRI,
    Area,
    KRIReading,
    KRIStateChange,
    OutsideChange,
    RadarSnapshot,
    Risk,
    RiskAssessment,
    RiskCategory,
    RiskHistory,
    RiskLink,
    RiskMatrix,
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


class RiskHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskHistory
        fields = ["id", "at", "by", "kind", "from_state", "to_state", "note", "data"]


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

    def get_allowed_transitions(self, obj: Risk) -> list[str]:
        return allowed_transitions(obj)


class RiskUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all(), required=False)
    category = serializers.ChoiceField(choices=RiskCategory.choices, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=_active_users(), required=False, allow_null=True)
    controls = serializers.CharField(required=False, allow_blank=True)
    treatment = serializers.ChoiceField(choices=Treatment.choices, required=False, allow_blank=True)
    review_interval_days = serializers.IntegerField(min_value=0, max_value=3660, required=False)


class RiskCreateSerializer(RiskUpdateSerializer):
    title = serializers.CharField(max_length=200)
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all())
    category = serializers.ChoiceField(choices=RiskCategory.choices)
    inherent_likelihood = serializers.IntegerField(required=False, allow_null=True)
    inherent_impact = serializers.IntegerField(required=False, allow_null=True)
    residual_likelihood = serializers.IntegerField(required=False, allow_null=True)
    residual_impact = serializers.IntegerField(required=False, allow_null=True)


class RiskReportSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all())
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


class OutsideChangeSerializer(serializers.ModelSerializer):
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
