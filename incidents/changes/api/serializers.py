from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.serializers import StrictFieldsMixin, VisibleRelatedField
from escalation.models import Team

from ...models import (
    Change,
    ChangeApproval,
    ChangeLogEntry,
    ChangeType,
    MajorIncident,
    Problem,
    RiskLevel,
    Service,
)
from ..selectors import approval_rules, approval_status
from ..services import allowed_transitions

User = get_user_model()
STATE_HINT = _("The state changes only through transitions: POST /api/v1/changes/<id>/<transition>/.")

_users = User.objects.filter(is_active=True)


class ChangeApprovalSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeApproval
        fields = [
            "approval_round",
            "approver",
            "as_manager",
            "decision",
            "reason",
            "decided_at",
            "after_the_fact",
        ]
        read_only_fields = fields


class ApprovalStatusSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    needed = serializers.IntegerField()
    managers_needed = serializers.IntegerField()
    approved = serializers.IntegerField()
    managers_approved = serializers.IntegerField()
    met = serializers.BooleanField()


class ChangeSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    approvals = ChangeApprovalSerializer(many=True, read_only=True)
    approval_status = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Change
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "state",
            "change_type",
            "risk_level",
            "services",
            "owner",
            "requested_by",
            "team",
            "problem",
            "major_incident",
            "planned_start",
            "planned_end",
            "implementation_plan",
            "rollback_plan",
            "test_plan",
            "approvals",
            "approval_status",
            "approved_after",
            "rejection_reason",
            "failure_reason",
            "cancel_reason",
            "collisions_confirmed",
            "review_due_at",
            "review_fixed",
            "review_side_effects",
            "created_at",
            "submitted_at",
            "approved_at",
            "rejected_at",
            "scheduled_at",
            "started_at",
            "implemented_at",
            "failed_at",
            "rolled_back_at",
            "reviewed_at",
            "closed_at",
            "cancelled_at",
            "updated_at",
            "allowed_transitions",
        ]
        read_only_fields = fields

    @extend_schema_field(ApprovalStatusSerializer)
    def get_approval_status(self, obj: Change) -> dict[str, Any]:
        # The rules once per answer (kept on the root serializer of a list), not once per row.
        root = self.root
        rules = getattr(root, "_approval_rules", None)
        if rules is None:
            rules = approval_rules()
            root._approval_rules = rules  # type: ignore[attr-defined]
        return approval_status(obj, rules=rules)

    def get_allowed_transitions(self, obj: Change) -> list[str]:
        return allowed_transitions(obj)


class _ChangeWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    read_only_hints: dict[str, Any] = {"state": STATE_HINT}

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    change_type = serializers.ChoiceField(choices=ChangeType.choices, required=False)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, required=False)
    services = VisibleRelatedField(queryset=Service.objects.all(), many=True, required=False)
    owner = VisibleRelatedField(queryset=_users, required=False, allow_null=True)
    team = VisibleRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    problem = VisibleRelatedField(queryset=Problem.objects.all(), required=False, allow_null=True)
    major_incident = VisibleRelatedField(
        queryset=MajorIncident.objects.all(), required=False, allow_null=True
    )
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    implementation_plan = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    rollback_plan = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    test_plan = serializers.CharField(required=False, allow_blank=True, max_length=100_000)


class ChangeCreateSerializer(_ChangeWriteSerializer):
    pass


class ChangeUpdateSerializer(_ChangeWriteSerializer):
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text=_("Moving a scheduled change's window: move it even though the new window collides."),
    )


class ChangeTransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10_000,
        default="",
        help_text=_("Required to reject, fail or cancel."),
    )
    confirm = serializers.BooleanField(
        required=False, default=False, help_text=_("For schedule: schedule even though the window collides.")
    )
    fixed = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("For review: did the change fix the problem?"),
    )
    side_effects = serializers.CharField(
        required=False, allow_blank=True, max_length=100_000, default="", help_text=_("For review.")
    )


class ChangeLogEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeLogEntry
        fields = ["id", "kind", "actor", "created_at", "from_state", "to_state", "transition", "note", "data"]
        read_only_fields = fields


class ChangeCalendarEntrySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)

    class Meta:
        model = Change
        fields = [
            "id",
            "reference",
            "title",
            "state",
            "change_type",
            "risk_level",
            "services",
            "owner",
            "planned_start",
            "planned_end",
        ]
        read_only_fields = fields
