"""The two kinds of configuration endpoints: rows managers manage, and rows each user manages for
themselves."""

from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import PermissionDenied
from config.permissions import ModelPermissionsWithView

from ...audit import audit_change, audit_via
from ...models import AuditVia


# Every create, update and delete of a configuration row (escalation.audit's registry) writes an audit entry
# in the same transaction. A comment, not a docstring: drf-spectacular would show it on every view.
class AuditedViewSetMixin(viewsets.GenericViewSet):
    def _audit_model(self) -> type[Model]:
        model = getattr(self, "model", None) or getattr(getattr(self, "queryset", None), "model", None)
        assert model is not None, f"{type(self).__name__} names no model"  # noqa: S101 - a programming error
        return model

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with audit_via(AuditVia.API), audit_change(model=self._audit_model(), by=request.user) as change:
            response = super().create(request, *args, **kwargs)  # type: ignore[misc]
            if isinstance(response.data, dict):
                change.pk = response.data.get("id")
        return response

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with (
            audit_via(AuditVia.API),
            audit_change(model=self._audit_model(), pk=self._audit_pk(), by=request.user),
        ):
            return super().update(request, *args, **kwargs)  # type: ignore[misc]

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with (
            audit_via(AuditVia.API),
            audit_change(model=self._audit_model(), pk=self._audit_pk(), by=request.user),
        ):
            return super().destroy(request, *args, **kwargs)  # type: ignore[misc]

    def _audit_pk(self) -> Any:
        # Only a visible row is locked and recorded: get_object() answers 404 for the others.
        return self.get_object().pk


# Reading and writing need the model permissions (managers hold them). A comment, not a docstring:
# drf-spectacular would show it as the description of every view without one of its own.
class ManagedViewSet(AuditedViewSetMixin, viewsets.ModelViewSet):
    permission_classes = [ModelPermissionsWithView]
    http_method_names = ["get", "post", "put", "patch", "delete"]


class OwnRowsViewSet(AuditedViewSetMixin, viewsets.ModelViewSet):
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
