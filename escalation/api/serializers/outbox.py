"""The notification outbox (read-only)."""

from rest_framework import serializers

from ...channels import private_address
from ...models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    subject_type = serializers.CharField(source="subject_type.model", read_only=True)
    address = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "subject_type",
            "subject_id",
            "reason",
            "channel",
            "address",
            "recipient",
            "subscription",
            "idempotency_key",
            "title",
            "state",
            "attempts",
            "last_error",
            "created_at",
            "next_attempt_at",
            "sent_at",
            "deadline_at",
        ]
        read_only_fields = fields

    def get_address(self, notification: Notification) -> str:
        return private_address(notification.channel, notification.address)
