"""The audit log of configuration changes: managers read it; nobody writes it through the API."""

import django_filters
from django.db.models import Q, QuerySet
from rest_framework import mixins, viewsets

from config.filters import STRICT_LIST_BACKENDS, UtcDateTimeFilter, VisibleFilterBackend, VisibleFilterSet
from config.permissions import ModelPermissionsWithView

from ...models import AuditEntry
from ..serializers.audit import AuditEntrySerializer


class AuditEntryFilter(VisibleFilterSet):
    kind = django_filters.CharFilter(method="filter_kind", max_length=200, help_text="app_label.model")
    since = UtcDateTimeFilter(field_name="at", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["action", "via", "object_id", "actor"]

    def filter_kind(self, queryset: QuerySet[AuditEntry], name: str, value: str) -> QuerySet[AuditEntry]:
        app_label, _, model = value.partition(".")
        return queryset.filter(Q(content_type__app_label=app_label, content_type__model=model.lower()))


class AuditEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Configuration changes, newest first: who, when, through what, the row before and after. Filters:
    `kind` (`escalation.escalationpolicy`), `object_id`, `actor`, `action`, `via`, `since`, `until`."""

    queryset = AuditEntry.objects.select_related("content_type").order_by("-at", "-id")
    serializer_class = AuditEntrySerializer
    permission_classes = [ModelPermissionsWithView]
    filter_backends = [*STRICT_LIST_BACKENDS, VisibleFilterBackend]
    filterset_class = AuditEntryFilter
