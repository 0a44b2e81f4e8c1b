"""Outbound webhook subscriptions and their delivery log."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
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

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        data = WebhookSubscriptionSerializer(serializer.instance, context={"show_secret": True}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: NotificationSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The delivery log of this subscription, newest first."""
        subscription = self.get_object()
        page = self.paginate_queryset(
            Notification.objects.filter(subscription=subscription).select_related("subject_type")
        )
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)
