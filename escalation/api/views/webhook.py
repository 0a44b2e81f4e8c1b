"""Outbound webhook subscriptions and their delivery log."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.permissions import acting_user

from ...models import Notification, WebhookSubscription
from ..serializers.outbox import NotificationSerializer
from ..serializers.webhook import WebhookSubscriptionSerializer
from .base import ManagedViewSet


class WebhookSubscriptionViewSet(ManagedViewSet):
    """Outbound webhooks. The signing secret is answered once, when the subscription is created."""

    queryset = WebhookSubscription.objects.order_by("name", "id")
    serializer_class = WebhookSubscriptionSerializer

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save(created_by=acting_user(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        # The answer to the create is the one place the secret is shown. Through the context, so that the create
        # stays the audited one of the base class (a create of its own here went unrecorded).
        return {**super().get_serializer_context(), "show_secret": self.action == "create"}

    @extend_schema(responses={200: NotificationSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The delivery log of this subscription, newest first."""
        subscription = self.get_object()
        page = self.paginate_queryset(
            Notification.objects.filter(subscription=subscription).select_related("subject_type")
        )
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)
