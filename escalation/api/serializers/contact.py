"""Contact methods and personal notification rules."""

from datetime import timedelta

from django.contrib.auth.models import User
from rest_framework import serializers

from config.serializers import ModelCleanMixin, StrictFieldsMixin, VisibleRelatedField

from ...channels import private_address
from ...models import ContactMethod, NotificationRule
from .base import SecondsField


# The address is checked for its channel by `ContactMethod.clean()`, here as in the admin.
class ContactMethodSerializer(StrictFieldsMixin, ModelCleanMixin, serializers.ModelSerializer):
    user = VisibleRelatedField(queryset=User.objects.all(), required=False)
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)

    class Meta:
        model = ContactMethod
        fields = ["id", "user", "channel", "address", "label", "secret", "is_active"]

    def to_representation(self, instance: ContactMethod) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or instance.user_id != request.user.pk:
            data["address"] = private_address(instance.channel, instance.address)
        return data


class NotificationRuleSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    delay_seconds = SecondsField(source="delay", default=timedelta(0))
    max_priority = serializers.IntegerField(min_value=1, max_value=4, default=4)

    class Meta:
        model = NotificationRule
        fields = ["id", "user", "contact_method", "delay_seconds", "max_priority"]
        read_only_fields = ["user"]
