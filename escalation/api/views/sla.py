"""SLA policies, and the clocks running on subjects (read-only)."""

from rest_framework import mixins, viewsets

from config.permissions import ModelPermissionsWithView

from ...models import SlaClock, SlaPolicy
from ..serializers.sla import SlaClockSerializer, SlaPolicySerializer
from .base import ManagedViewSet


class SlaPolicyViewSet(ManagedViewSet):
    """SLA policies: targets per priority (optionally per service id and category id)."""

    queryset = SlaPolicy.objects.order_by("priority", "name")
    serializer_class = SlaPolicySerializer
    filterset_fields = ["priority", "is_active"]


class SlaClockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """SLA clocks of every subject (filter by `subject_id`, `kind`, `state`)."""

    queryset = SlaClock.objects.select_related("subject_type").order_by("-started_at", "id")
    serializer_class = SlaClockSerializer
    permission_classes = [ModelPermissionsWithView]
    filterset_fields = ["subject_id", "kind", "state"]
