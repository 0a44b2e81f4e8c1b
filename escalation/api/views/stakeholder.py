"""Stakeholder groups, the communication plan and reporting rules."""

from ...models import CommunicationRule, ReportingRule, StakeholderGroup
from ..serializers.stakeholder import (
    CommunicationRuleSerializer,
    ReportingRuleSerializer,
    StakeholderGroupSerializer,
)
from .base import ManagedViewSet


class StakeholderGroupViewSet(ManagedViewSet):
    queryset = StakeholderGroup.objects.prefetch_related("users", "teams").order_by("audience", "name")
    serializer_class = StakeholderGroupSerializer


class CommunicationRuleViewSet(ManagedViewSet):
    """The communication plan: which audience hears which event, over which channel, from which template."""

    queryset = CommunicationRule.objects.order_by("priority", "event")
    serializer_class = CommunicationRuleSerializer


class ReportingRuleViewSet(ManagedViewSet):
    queryset = ReportingRule.objects.select_related("group").order_by("priority", "name")
    serializer_class = ReportingRuleSerializer
