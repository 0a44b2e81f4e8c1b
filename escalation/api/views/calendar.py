"""Business calendars."""

from rest_framework import mixins, viewsets

from config.permissions import ModelPermissionsWithView

from ...models import BusinessCalendar
from ..serializers.calendar import BusinessCalendarSerializer


class BusinessCalendarViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Business calendars with their working intervals and holidays. Writing needs the model permissions
    (managers)."""

    queryset = BusinessCalendar.objects.prefetch_related("intervals", "holidays").order_by("name", "id")
    serializer_class = BusinessCalendarSerializer
    permission_classes = [ModelPermissionsWithView]
