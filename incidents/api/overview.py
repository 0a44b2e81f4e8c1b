"""The incident's detail in the API: the incident plus everything on it (incidents/overview.py)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Incident
from ..overview import incident_overview
from .serializers import IncidentSerializer


class IncidentSlaClockSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    policy = serializers.CharField()
    target_seconds = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    remaining_seconds = serializers.IntegerField(
        allow_null=True, help_text="Business time left while the clock counts; negative once overdue."
    )
    overdue_seconds = serializers.IntegerField(allow_null=True)
    warned_at = serializers.DateTimeField(allow_null=True)
    met_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)


class IncidentPageSerializer(serializers.Serializer):
    user = serializers.CharField(allow_null=True)
    channel = serializers.CharField()
    channel_label = serializers.CharField()
    level = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()
    state_label = serializers.CharField()


class IncidentEscalationSerializer(serializers.Serializer):
    policy = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    level = serializers.IntegerField(help_text="Levels paged so far in the current cycle.")
    levels = serializers.IntegerField()
    cycle = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    last_paged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    pages = IncidentPageSerializer(many=True)


class IncidentFingerprintSerializer(serializers.Serializer):
    fingerprint = serializers.CharField()
    firing = serializers.BooleanField()


class IncidentAlertGroupSerializer(serializers.Serializer):
    integration = serializers.CharField()
    dedup_key = serializers.CharField()
    is_open = serializers.BooleanField()
    alert_count = serializers.IntegerField()
    opened_at = serializers.DateTimeField()
    last_alert_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    fingerprints = IncidentFingerprintSerializer(many=True)


class IncidentAlertSerializer(serializers.Serializer):
    fingerprint = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    severity = serializers.CharField()
    summary = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField()


class IncidentAlertsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    groups = IncidentAlertGroupSerializer(many=True)
    latest = IncidentAlertSerializer(many=True)


class IncidentNoticeSerializer(serializers.Serializer):
    reason = serializers.CharField()
    to = serializers.CharField()
    channel = serializers.CharField()
    channel_label = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    deadline_at = serializers.DateTimeField(allow_null=True)


class IncidentAudienceNoticesSerializer(serializers.Serializer):
    audience = serializers.CharField()
    audience_label = serializers.CharField()
    notifications = IncidentNoticeSerializer(many=True)


class IncidentOverviewSerializer(serializers.Serializer):
    sla_clocks = IncidentSlaClockSerializer(many=True)
    escalations = IncidentEscalationSerializer(many=True)
    alerts = IncidentAlertsSerializer()
    notifications = IncidentAudienceNoticesSerializer(many=True)


class IncidentDetailSerializer(IncidentSerializer):
    """One incident with everything on it (`overview`: SLA clocks with time left, escalations and their
    pages, alerts, notifications per audience). `overview` is null for a reporter, who sees only the
    incident itself."""

    overview = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "overview"]
        read_only_fields = fields

    @extend_schema_field(IncidentOverviewSerializer(allow_null=True))
    def get_overview(self, obj: Incident) -> dict[str, Any] | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.has_perm("incidents.view_incident"):
            return None
        return IncidentOverviewSerializer(incident_overview(obj)).data
