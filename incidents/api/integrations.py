"""Managing integrations, silences and reading alerts: `/api/v1/integrations/`, `/api/v1/silences/`,
`/api/v1/alerts/`. Managers manage; the key is answered once, at creation or rotation, and never listed."""

from datetime import timedelta
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.filters import VisibleFilterSet
from config.permissions import ModelPermissionsWithView, acting_user
from config.serializers import StrictFieldsMixin, VisibleRelatedField
from escalation.audit import audit_via
from escalation.models import AuditVia

from ..integrations.services import integration_create, integration_rotate_key, integration_update
from ..models import Alert, Integration, IntegrationKind, Service, Silence
from ..models.integration import default_severity_map, validate_severity_map
from ..models.silence import validate_matchers


def _django_validator(validator: Any) -> Any:
    def run(value: Any) -> None:
        try:
            validator(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    return run


class IntegrationSerializer(serializers.ModelSerializer):
    """An integration as listed: never its key (only a hint) nor its HMAC secret."""

    has_hmac_secret = serializers.SerializerMethodField()
    endpoint = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "kind",
            "service",
            "severity_map",
            "enabled",
            "key_hint",
            "key_rotated_at",
            "has_hmac_secret",
            "storm_rate_per_minute",
            "hard_cap_per_minute",
            "reopen_window_minutes",
            "heartbeat_interval_minutes",
            "last_heartbeat_at",
            "heartbeat_due_at",
            "endpoint",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_hmac_secret(self, obj: Integration) -> bool:
        return bool(obj.hmac_secret)

    def get_endpoint(self, obj: Integration) -> str:
        if obj.kind == IntegrationKind.PAGERDUTY_EVENTS:
            return "/api/v1/events/v2/enqueue"
        return f"/api/v1/integrations/<key>/{obj.kind}/"


class IntegrationWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=IntegrationKind.choices)
    service = VisibleRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    severity_map = serializers.JSONField(
        required=False, default=default_severity_map, validators=[_django_validator(validate_severity_map)]
    )
    enabled = serializers.BooleanField(required=False, default=True)
    hmac_secret = serializers.CharField(max_length=200, required=False, allow_blank=True, write_only=True)
    storm_rate_per_minute = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    hard_cap_per_minute = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    reopen_window_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 30, required=False)
    heartbeat_interval_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 7, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kwargs.get("partial"):
            for field in self.fields.values():
                field.required = False

    def validate_name(self, value: str) -> str:
        others = Integration.objects.filter(name=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(_("An integration with this name exists."))
        return value


class IntegrationCreatedSerializer(IntegrationSerializer):
    key = serializers.CharField(help_text=_("Shown this once: store it in the sending tool."))

    class Meta(IntegrationSerializer.Meta):
        fields = ["key", *IntegrationSerializer.Meta.fields]
        read_only_fields = fields


def _with_key(integration: Integration, key: str) -> dict[str, Any]:
    integration.key = key  # type: ignore[attr-defined]
    return IntegrationCreatedSerializer(integration).data


class IntegrationViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Integrations. Create answers the key once; `POST .../<id>/rotate-key/` answers a new one. There is no
    delete: alerts keep their integration, so disable it instead (`"enabled": false`)."""

    queryset = Integration.objects.select_related("service").order_by("name")
    lookup_value_regex = "[0-9]+"
    serializer_class = IntegrationSerializer
    permission_classes = [ModelPermissionsWithView]
    filterset_fields = ["kind", "enabled", "service"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The services record each change in the audit log; this says it came through the API.
        with audit_via(AuditVia.API):
            return super().dispatch(request, *args, **kwargs)

    @extend_schema(request=IntegrationWriteSerializer, responses={201: IntegrationCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = IntegrationWriteSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        integration, key = integration_create(by=acting_user(request), **data.validated_data)
        return Response(_with_key(integration, key), status=status.HTTP_201_CREATED)

    @extend_schema(request=IntegrationWriteSerializer, responses={200: IntegrationSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        integration = self.get_object()
        partial = kwargs.get("partial", False)
        data = IntegrationWriteSerializer(
            integration, data=request.data, partial=partial, context={"request": request}
        )
        data.is_valid(raise_exception=True)
        integration = integration_update(
            integration_id=integration.pk, by=acting_user(request), changes=dict(data.validated_data)
        )
        return Response(IntegrationSerializer(integration).data)

    @extend_schema(request=None, responses={200: IntegrationCreatedSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-key")
    def rotate_key(self, request: Request, pk: str) -> Response:
        integration = self.get_object()
        integration, key = integration_rotate_key(integration_id=integration.pk, by=acting_user(request))
        return Response(_with_key(integration, key))


class SilenceSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    matchers = serializers.JSONField(required=False, validators=[_django_validator(validate_matchers)])
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, default=None)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Silence
        fields = [
            "id",
            "name",
            "comment",
            "service",
            "integration",
            "matchers",
            "starts_at",
            "ends_at",
            "active",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "active", "created_by", "created_at"]

    def get_active(self, obj: Silence) -> bool:
        return obj.is_active_at(timezone.now())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        merged = {
            name: attrs.get(name, getattr(self.instance, name, None))
            for name in ("service", "integration", "matchers", "starts_at", "ends_at")
        }
        if not merged["service"] and not merged["integration"] and not merged["matchers"]:
            raise serializers.ValidationError(
                _("A silence needs a service, an integration or at least one matcher.")
            )
        if merged["starts_at"] and merged["ends_at"] and merged["ends_at"] <= merged["starts_at"]:
            raise serializers.ValidationError({"ends_at": [_("A silence must end after it starts.")]})
        return attrs


class SilenceFilter(VisibleFilterSet):
    active = django_filters.BooleanFilter(method="filter_active")
    expiring_within_minutes = django_filters.NumberFilter(
        method="filter_expiring", min_value=0, max_value=60 * 24 * 365
    )

    class Meta:
        model = Silence
        fields = ["service", "integration"]

    def filter_active(self, queryset: QuerySet[Silence], name: str, value: bool) -> QuerySet[Silence]:
        now = timezone.now()
        if value:
            return queryset.filter(starts_at__lte=now, ends_at__gt=now)
        return queryset.exclude(starts_at__lte=now, ends_at__gt=now)

    def filter_expiring(self, queryset: QuerySet[Silence], name: str, value: Any) -> QuerySet[Silence]:
        """Active silences that end within the next N minutes, soonest first."""
        now = timezone.now()
        return queryset.filter(
            starts_at__lte=now, ends_at__gt=now, ends_at__lte=now + timedelta(minutes=float(value))
        ).order_by("ends_at")


class SilenceViewSet(viewsets.ModelViewSet):
    """Silences (maintenance windows). `?active=true`, `?expiring_within_minutes=60` lists those about to end."""

    queryset = Silence.objects.select_related("created_by").order_by("ends_at", "id")
    lookup_value_regex = "[0-9]+"
    serializer_class = SilenceSerializer
    permission_classes = [ModelPermissionsWithView]
    filterset_class = SilenceFilter

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.save(created_by=acting_user(self.request))


class AlertSerializer(serializers.ModelSerializer):
    incident_reference = serializers.CharField(source="incident.reference", read_only=True, default=None)

    class Meta:
        model = Alert
        fields = [
            "id",
            "integration",
            "incident",
            "incident_reference",
            "silence",
            "dedup_key",
            "fingerprint",
            "status",
            "severity",
            "summary",
            "labels",
            "annotations",
            "details",
            "starts_at",
            "ends_at",
            "received_at",
        ]
        read_only_fields = fields


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts as received, newest first: `?incident=`, `?integration=`, `?silenced=true`."""

    queryset = Alert.objects.select_related("incident").order_by("-received_at", "-id")
    lookup_value_regex = "[0-9]+"
    serializer_class = AlertSerializer
    permission_classes = [ModelPermissionsWithView]
    filterset_fields = {
        "incident": ["exact"],
        "integration": ["exact"],
        "status": ["exact"],
        "dedup_key": ["exact"],
        "silence": ["exact", "isnull"],
    }
