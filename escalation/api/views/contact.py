"""Contact methods (with a test message) and personal notification rules: each user manages their own."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.permissions import acting_user

from ...models import ContactMethod, NotificationRule
from ...services import contact_method_test
from ..serializers.contact import ContactMethodSerializer, NotificationRuleSerializer
from ..serializers.outbox import NotificationSerializer
from .base import OwnRowsViewSet


class ContactMethodViewSet(OwnRowsViewSet):
    """Contact methods: e-mail, any Apprise URL, or a signed webhook."""

    model = ContactMethod
    serializer_class = ContactMethodSerializer

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save(user=self._owner(serializer))

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save(
            user=self._owner(serializer)
            if "user" in serializer.validated_data
            else getattr(serializer.instance, "user", None)
        )

    @extend_schema(request=None, responses={202: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Send a test message over this contact method, through the outbox like any other."""
        notification = contact_method_test(method=self.get_object(), by=acting_user(request))
        return Response(NotificationSerializer(notification).data, status=status.HTTP_202_ACCEPTED)


class NotificationRuleViewSet(OwnRowsViewSet):
    """Personal notification rules: which contact method, after which delay, for which priorities."""

    model = NotificationRule
    serializer_class = NotificationRuleSerializer

    def _check_method(self, serializer: serializers.BaseSerializer) -> ContactMethod:
        method: ContactMethod | None = serializer.validated_data.get("contact_method") or getattr(
            serializer.instance, "contact_method", None
        )
        if method is None:
            raise serializers.ValidationError({"contact_method": [_("This field is required.")]})
        if method.user_id != self.request.user.pk and not self._manages_all("add"):
            raise serializers.ValidationError({"contact_method": [_("Not one of your contact methods.")]})
        return method

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save(user=self._check_method(serializer).user)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save(user=self._check_method(serializer).user)
