from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.serializers import StrictFieldsMixin, VisibleRelatedField
from escalation.models import StakeholderGroup, Team

from ...models import (
    ActionPlanTemplate,
    Cause,
    CommandRole,
    Cost,
    FundAllocation,
    Incident,
    IncidentCategory,
    MajorIncident,
    MajorIncidentConfiguration,
    MajorIncidentLogEntry,
    Objective,
    OutsidePerson,
    ResourceRequest,
    RoleAssignment,
    Service,
    Severity,
    StatusUpdate,
    Task,
    TaskPriority,
    TeamMember,
    Workstream,
)
from ...models.major_comms import update_audience_choices
from ..actionplan import allowed_task_transitions
from ..comms import EscalationTarget, update_deliveries
from ..selectors import commander_of
from ..services import allowed_transitions

User = get_user_model()
STATE_HINT = _("The state changes only through transitions: POST /api/v1/major-incidents/<id>/<transition>/.")

_users = User.objects.filter(is_active=True)


class MajorIncidentSummarySerializer(serializers.ModelSerializer):
    """What a reporter sees of their own declarations: the reference and where it stands, no command data."""

    reference = serializers.CharField(read_only=True)

    class Meta:
        model = MajorIncident
        fields = ["id", "reference", "title", "state", "severity", "declared_at", "resolved_at", "closed_at"]
        read_only_fields = fields


class MajorIncidentSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    # A URL or empty: not `format: uri`, which an empty string does not match.
    bridge_url = serializers.CharField(read_only=True)
    incidents = serializers.SerializerMethodField()
    commander = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = MajorIncident
        fields = [
            "id",
            "reference",
            "title",
            "summary",
            "state",
            "severity",
            "cause",
            "category",
            "services",
            "primary_incident",
            "incidents",
            "commander",
            "impact",
            "customer_impact",
            "still_ongoing",
            "reporter_contact",
            "bridge_url",
            "war_room",
            "declared_by",
            "declared_via",
            "flag",
            "resolution_summary",
            "no_problem_reason",
            "cancel_reason",
            "next_update_at",
            "occurred_at",
            "detected_at",
            "declared_at",
            "acknowledged_at",
            "investigating_at",
            "identified_at",
            "mitigated_at",
            "resolved_at",
            "reviewed_at",
            "closed_at",
            "cancelled_at",
            "updated_at",
            "allowed_transitions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_incidents(self, obj: MajorIncident) -> list[int]:
        return [link.incident_id for link in obj.links.all()]

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_commander(self, obj: MajorIncident) -> dict[str, Any] | None:
        assignment = commander_of(obj)
        if assignment is None:
            return None
        return {"user": assignment.user_id, "person": assignment.person_id, "name": assignment.holder_name}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, obj: MajorIncident) -> list[str]:
        return allowed_transitions(obj)


class _MajorIncidentWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    read_only_hints: dict[str, Any] = {"state": STATE_HINT}

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    severity = serializers.ChoiceField(choices=Severity.choices)
    cause = serializers.ChoiceField(choices=Cause.choices, required=False)
    category = VisibleRelatedField(
        queryset=IncidentCategory.objects.filter(is_active=True), required=False, allow_null=True
    )
    services = VisibleRelatedField(queryset=Service.objects.all(), many=True, required=False)
    impact = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    customer_impact = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    bridge_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    war_room = serializers.CharField(required=False, allow_blank=True, max_length=200)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    detected_at = serializers.DateTimeField(required=False, allow_null=True)


class MajorIncidentCreateSerializer(_MajorIncidentWriteSerializer):
    incidents = VisibleRelatedField(
        queryset=Incident.objects.all(),
        many=True,
        required=False,
        help_text=_("Incidents to gather; the first is the primary one. None: a primary incident is opened."),
    )
    commander = VisibleRelatedField(queryset=_users, required=False, allow_null=True)
    commander_person = VisibleRelatedField(
        queryset=OutsidePerson.objects.all(), required=False, allow_null=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("commander") and attrs.get("commander_person"):
            raise serializers.ValidationError(
                {"commander_person": [_("One commander: a user or an outside person.")]}
            )
        return attrs


class MajorIncidentUpdateSerializer(_MajorIncidentWriteSerializer):
    resolution_summary = serializers.CharField(required=False, allow_blank=True, max_length=100_000)


class MajorIncidentTransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    no_problem_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=10_000, default="", help_text=_("For resolve.")
    )
    resolution_summary = serializers.CharField(
        required=False, allow_blank=True, max_length=100_000, default="", help_text=_("For resolve.")
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=10_000, default="", help_text=_("For cancel.")
    )


class _PersonFieldsMixin(serializers.Serializer):
    user = VisibleRelatedField(queryset=_users, required=False, allow_null=True)
    person = VisibleRelatedField(queryset=OutsidePerson.objects.all(), required=False, allow_null=True)


class _HolderSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="holder_name", read_only=True)


class RoleAssignmentSerializer(_HolderSerializer):
    class Meta:
        model = RoleAssignment
        fields = ["id", "role", "user", "person", "name", "assigned_at", "assigned_by", "ended_at", "note"]
        read_only_fields = fields


class RoleAssignSerializer(StrictFieldsMixin, _PersonFieldsMixin):
    role = serializers.ChoiceField(choices=CommandRole.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")


class TeamMemberSerializer(_HolderSerializer):
    class Meta:
        model = TeamMember
        fields = ["id", "user", "person", "name", "responsibility", "joined_at", "left_at"]
        read_only_fields = fields


class TeamMemberWriteSerializer(StrictFieldsMixin, _PersonFieldsMixin):
    responsibility = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ObjectiveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objective
        fields = ["id", "text", "position", "achieved_at", "created_at"]
        read_only_fields = fields


class ObjectiveWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    text = serializers.CharField(max_length=500)
    position = serializers.IntegerField(min_value=0, required=False)
    achieved = serializers.BooleanField(required=False)


class TaskSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    owner_name = serializers.CharField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "reference",
            "major_incident",
            "incident",
            "title",
            "description",
            "owner_user",
            "owner_person",
            "owner_name",
            "owner_role",
            "workstream",
            "priority",
            "position",
            "due_at",
            "state",
            "created_at",
            "created_by",
            "started_at",
            "done_at",
            "allowed_transitions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, obj: Task) -> list[str]:
        return allowed_task_transitions(obj)


class _TaskWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    read_only_hints: dict[str, Any] = {
        "state": _("The state changes only through transitions: POST /api/v1/tasks/<id>/<transition>/.")
    }

    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    owner_user = VisibleRelatedField(queryset=_users, required=False, allow_null=True)
    owner_person = VisibleRelatedField(queryset=OutsidePerson.objects.all(), required=False, allow_null=True)
    workstream = serializers.ChoiceField(choices=Workstream.choices, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=TaskPriority.choices, required=False)
    position = serializers.IntegerField(min_value=0, required=False)
    due_at = serializers.DateTimeField(required=False, allow_null=True)


class TaskCreateSerializer(_TaskWriteSerializer):
    major_incident = VisibleRelatedField(
        queryset=MajorIncident.objects.all(), required=False, allow_null=True
    )
    incident = VisibleRelatedField(queryset=Incident.objects.all(), required=False, allow_null=True)


class TaskUpdateSerializer(_TaskWriteSerializer):
    pass


class TaskNoteSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")


class ResourceRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResourceRequest
        fields = [
            "id",
            "kind",
            "description",
            "state",
            "requested_by",
            "requested_at",
            "provided_by",
            "decided_at",
            "note",
        ]
        read_only_fields = fields


class ResourceRequestWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=ResourceRequest.Kind.choices)
    description = serializers.CharField(max_length=500)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")


class ResourceDecisionSerializer(StrictFieldsMixin, serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[
            (s.value, s.label)
            for s in (
                ResourceRequest.State.PROVIDED,
                ResourceRequest.State.REFUSED,
                ResourceRequest.State.CANCELLED,
            )
        ]
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")


class _MoneyFields(StrictFieldsMixin, serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField(min_length=3, max_length=3)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class CostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cost
        fields = ["id", "category", "amount", "currency", "note", "incurred_at", "recorded_by"]
        read_only_fields = fields


class CostWriteSerializer(_MoneyFields):
    category = serializers.ChoiceField(choices=Cost.Category.choices)
    incurred_at = serializers.DateTimeField(required=False, allow_null=True)


class FundAllocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundAllocation
        fields = ["id", "amount", "currency", "note", "allocated_at", "allocated_by"]
        read_only_fields = fields


class FundAllocationWriteSerializer(_MoneyFields):
    pass


class StatusUpdateSerializer(serializers.ModelSerializer):
    deliveries = serializers.SerializerMethodField(help_text=_("What was sent to whom, over which channel."))

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "status",
            "impact",
            "actions",
            "next_update_at",
            "audiences",
            "is_public",
            "public_text",
            "published_at",
            "published_by",
            "deliveries",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_deliveries(self, obj: StatusUpdate) -> list[dict[str, Any]]:
        return [
            {
                "recipient": n.recipient.get_username() if n.recipient_id else None,
                "address": n.address if not n.recipient_id else None,
                "channel": n.channel,
                "reason": n.reason,
                "state": n.state,
                "sent_at": n.sent_at,
            }
            for n in update_deliveries(obj)
        ]


class StatusUpdateWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.CharField(max_length=10_000)
    impact = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    actions = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    next_update_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    audiences = serializers.ListField(
        child=serializers.ChoiceField(choices=update_audience_choices()),
        allow_empty=False,
        help_text=_("technical, management, sla_owners, affected_users and/or public (the status page)."),
    )
    public_text = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")


class EscalateSerializer(StrictFieldsMixin, serializers.Serializer):
    target = serializers.ChoiceField(choices=[(t, t) for t in EscalationTarget.ALL])
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    group = VisibleRelatedField(queryset=StakeholderGroup.objects.all(), required=False, allow_null=True)
    team = VisibleRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    person = VisibleRelatedField(queryset=OutsidePerson.objects.all(), required=False, allow_null=True)


class IncidentLinkSerializer(StrictFieldsMixin, serializers.Serializer):
    incident = VisibleRelatedField(queryset=Incident.objects.all())


class TemplateApplySerializer(StrictFieldsMixin, serializers.Serializer):
    template = VisibleRelatedField(queryset=ActionPlanTemplate.objects.filter(is_active=True))


class LogEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", read_only=True, default=None)

    class Meta:
        model = MajorIncidentLogEntry
        fields = ["id", "kind", "created_at", "actor", "transition", "from_state", "to_state", "note", "data"]
        read_only_fields = fields


class OutsidePersonSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = OutsidePerson
        fields = ["id", "name", "organisation", "email", "phone", "notes"]


class ConfigurationSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = MajorIncidentConfiguration
        fields = [
            "escalation_policy",
            "commander_schedule",
            "task_escalation_minutes",
            "missed_update_minutes",
            "status_page_title",
            "status_page_intro",
        ]
