"""The notification outbox (read-only) and its retry action."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import PermissionDenied
from config.permissions import ModelPermissionsWithView

from ...models import Notification
from ...outbox import notification_retry
from ..filters import SubjectFilterSet, subject_filterset
from ..serializers.outbox import NotificationSerializer


class NotificationFilter(SubjectFilterSet):
    class Meta:
        model = Notification
        fields = ["state", "reason", "channel", "recipient", "subscription"]


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The outbox, newest first; `retry` puts a failed or cancelled row back in the queue."""

    queryset = Notification.objects.select_related("subject_type").order_by("-created_at", "-id")
    serializer_class = NotificationSerializer
    permission_classes = [ModelPermissionsWithView]

    @property
    def filterset_class(self) -> type[SubjectFilterSet]:
        # With the registered subject types' filters (`?incident=`), known once every app is ready.
        return subject_filterset(NotificationFilter)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        if not request.user.has_perm("escalation.change_notification"):
            raise PermissionDenied()
        notification = notification_retry(notification_id=self.get_object().pk)
        return Response(NotificationSerializer(notification).data)
