"""API of the engine's configuration and outbox. Reading and writing need the model permissions (managers
hold them); contact methods and notification rules are also open to each user for their own."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import PermissionDenied
from config.permissions import ModelPermissionsWithView

from ..models import (
    CommunicationRule,
    ContactMethod,
    Escalation,
    EscalationPolicy,
    Notification,
    NotificationRule,
    ReportingRule,
    SlaClock,
    SlaPolicy,
    StakeholderGroup,
    WebhookSubscription,
)
from ..outbox import notification_retry
from ..selectors import escalation_simulate
from ..services import contact_method_test
from .engine_serializers import (
    CommunicationRuleSerializer,
    ContactMethodSerializer,
    EscalationPolicySerializer,
    EscalationSerializer,
    NotificationRuleSerializer,
    NotificationSerializer,
    ReportingRuleSerializer,
    SimulatedPageSerializer,
    SimulateSerializer,
    SlaClockSerializer,
    SlaPolicySerializer,
    StakeholderGroupSerializer,
    WebhookSubscriptionSerializer,
)


class _Managed(viewsets.ModelViewSet):
    permission_classes = [ModelPermissionsWithView]
    http_method_names = ["get", "post", "put", "patch", "delete"]


class SlaPolicyViewSet(_Managed):
    """SLA policies: targets per priority (optionally per service id and category id)."""

    queryset = SlaPolicy.objects.order_by("priority", "name")
    serializer_class = SlaPolicySerializer
    filterset_fields = ["priority", "is_active"]


class EscalationPolicyViewSet(_Managed):
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
        data = SimulateSerializer(data=request.data)
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


class _Own(viewsets.ModelViewSet):
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

    def _owner(self, serializer: serializers.Serializer) -> Any:
        owner = serializer.validated_data.get("user", self.request.user)
        if owner != self.request.user and not self._manages_all("add"):
            raise PermissionDenied()
        return owner


class ContactMethodViewSet(_Own):
    """Contact methods: e-mail, any Apprise URL, or a signed webhook."""

    model = ContactMethod
    serializer_class = ContactMethodSerializer

    def perform_create(self, serializer: serializers.Serializer) -> None:
        serializer.save(user=self._owner(serializer))

    def perform_update(self, serializer: serializers.Serializer) -> None:
        serializer.save(
            user=self._owner(serializer) if "user" in serializer.validated_data else serializer.instance.user
        )

    @extend_schema(request=None, responses={202: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Send a test message over this contact method, through the outbox like any other."""
        notification = contact_method_test(method=self.get_object(), by=request.user)
        return Response(NotificationSerializer(notification).data, status=status.HTTP_202_ACCEPTED)


class NotificationRuleViewSet(_Own):
    """Personal notification rules: which contact method, after which delay, for which priorities."""

    model = NotificationRule
    serializer_class = NotificationRuleSerializer

    def _check_method(self, serializer: serializers.Serializer) -> ContactMethod:
        method = serializer.validated_data.get("contact_method") or serializer.instance.contact_method
        if method.user_id != self.request.user.pk and not self._manages_all("add"):
            raise serializers.ValidationError({"contact_method": ["Not one of your contact methods."]})
        return method

    def perform_create(self, serializer: serializers.Serializer) -> None:
        serializer.save(user=self._check_method(serializer).user)

    def perform_update(self, serializer: serializers.Serializer) -> None:
        serializer.save(user=self._check_method(serializer).user)


class StakeholderGroupViewSet(_Managed):
    queryset = StakeholderGroup.objects.prefetch_related("users", "teams").order_by("audience", "name")
    serializer_class = StakeholderGroupSerializer


class CommunicationRuleViewSet(_Managed):
    """The communication plan: which audience hears which event, over which channel, from which template."""

    queryset = CommunicationRule.objects.order_by("priority", "event")
    serializer_class = CommunicationRuleSerializer


class ReportingRuleViewSet(_Managed):
    queryset = ReportingRule.objects.select_related("group").order_by("priority", "name")
    serializer_class = ReportingRuleSerializer


class WebhookSubscriptionViewSet(_Managed):
    """Outbound webhooks. The signing secret is answered once, when the subscription is created."""

    queryset = WebhookSubscription.objects.order_by("name", "id")
    serializer_class = WebhookSubscriptionSerializer

    def perform_create(self, serializer: serializers.Serializer) -> None:
        serializer.save(created_by=self.request.user)

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


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The outbox, newest first; `retry` puts a failed or cancelled row back in the queue."""

    queryset = Notification.objects.select_related("subject_type").order_by("-created_at", "-id")
    serializer_class = NotificationSerializer
    permission_classes = [ModelPermissionsWithView]
    filterset_fields = ["state", "reason", "channel", "subject_id", "recipient", "subscription"]

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        if not request.user.has_perm("escalation.change_notification"):
            raise PermissionDenied()
        notification = notification_retry(notification_id=self.get_object().pk)
        return Response(NotificationSerializer(notification).data)


class SlaClockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """SLA clocks of every subject (filter by `subject_id`, `kind`, `state`)."""

    queryset = SlaClock.objects.select_related("subject_type").order_by("-started_at", "id")
    serializer_class = SlaClockSerializer
    permission_classes = [ModelPermissionsWithView]
    filterset_fields = ["subject_id", "kind", "state"]


class EscalationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Escalations running or run on subjects, with the policy snapshot they follow."""

    queryset = Escalation.objects.select_related("subject_type").order_by("-started_at", "-id")
    serializer_class = EscalationSerializer
    permission_classes = [ModelPermissionsWithView]
    filterset_fields = ["subject_id", "state", "policy"]
