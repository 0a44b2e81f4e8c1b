"""Escalation policies with their dry run, and the escalations running on subjects (read-only)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import PermissionDenied
from config.permissions import ModelPermissionsWithView

from ...models import Escalation, EscalationPolicy
from ...selectors import escalation_simulate
from ..filters import SubjectFilterSet, subject_filterset
from ..serializers.policy import (
    EscalationPolicySerializer,
    EscalationSerializer,
    SimulatedPageSerializer,
    SimulateSerializer,
)
from .base import ManagedViewSet


class EscalationPolicyViewSet(ManagedViewSet):
    """Escalation policies with their ordered levels, and a dry run (`simulate`)."""

    queryset = EscalationPolicy.objects.prefetch_related("levels__users").order_by("name")
    serializer_class = EscalationPolicySerializer

    @extend_schema(request=SimulateSerializer, responses={200: SimulatedPageSerializer(many=True)})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def simulate(self, request: Request, pk: str | None = None) -> Response:
        """Who would be paged, when, over which channel, for a subject of `priority` opened at `start` that
        nobody acknowledges. Business hours of the policy's calendar and personal rules are applied."""
        if not request.user.has_perm("escalation.view_escalationpolicy"):
            raise PermissionDenied()
        policy = self.get_object()
        data = SimulateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        steps = escalation_simulate(
            policy=policy, start=data.validated_data["start"], priority=data.validated_data["priority"]
        )
        return Response(
            {
                "policy": policy.pk,
                "start": data.validated_data["start"],
                "priority": data.validated_data["priority"],
                "steps": SimulatedPageSerializer(steps, many=True).data,
            }
        )


class EscalationFilter(SubjectFilterSet):
    class Meta:
        model = Escalation
        fields = ["state", "policy"]


class EscalationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Escalations running or run on subjects, with the policy snapshot they follow."""

    queryset = Escalation.objects.select_related("subject_type").order_by("-started_at", "-id")
    serializer_class = EscalationSerializer
    permission_classes = [ModelPermissionsWithView]

    @property
    def filterset_class(self) -> type[SubjectFilterSet]:
        # With the registered subject types' filters (`?incident=`), known once every app is ready.
        return subject_filterset(EscalationFilter)
