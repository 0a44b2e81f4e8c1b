"""The two kinds of configuration endpoints: rows managers manage, and rows each user manages for
themselves."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from config.errors import PermissionDenied
from config.permissions import ModelPermissionsWithView


# Reading and writing need the model permissions (managers hold them). A comment, not a docstring:
# drf-spectacular would show it as the description of every view without one of its own.
class ManagedViewSet(viewsets.ModelViewSet):
    permission_classes = [ModelPermissionsWithView]
    http_method_names = ["get", "post", "put", "patch", "delete"]


class OwnRowsViewSet(viewsets.ModelViewSet):
    """Each user manages their own rows; holders of the model permissions manage everybody's."""

    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "post", "put", "patch", "delete"]
    model: Any = None

    def _manages_all(self, action: str) -> bool:
        return self.request.user.has_perm(f"escalation.{action}_{self.model._meta.model_name}")

    def get_queryset(self) -> QuerySet:
        qs = self.model.objects.select_related("user").order_by("user_id", "id")
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return qs.none()
        if self._manages_all("view"):
            return qs
        return qs.filter(user=self.request.user)

    def _owner(self, serializer: serializers.BaseSerializer) -> Any:
        owner = serializer.validated_data.get("user", self.request.user)
        if owner != self.request.user and not self._manages_all("add"):
            raise PermissionDenied()
        return owner
