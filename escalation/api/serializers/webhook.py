"""Outbound webhook subscriptions."""

from rest_framework import serializers

from config.serializers import ModelCleanMixin, StrictFieldsMixin

from ...models import WebhookSubscription
from .base import EventField


class WebhookSubscriptionSerializer(StrictFieldsMixin, ModelCleanMixin, serializers.ModelSerializer):
    """The secret is shown once, in the answer to the create; send `secret` to set your own."""

    events = serializers.ListField(child=EventField(), required=False, max_length=50)
    secret = serializers.CharField(write_only=True, required=False, min_length=16, max_length=200)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "secret", "is_active", "created_at"]
        read_only_fields = ["created_at"]

    def to_representation(self, instance: WebhookSubscription) -> dict:
        data = super().to_representation(instance)
        if self.context.get("show_secret"):
            data["secret"] = instance.secret
        return data
