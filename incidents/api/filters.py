import django_filters
from django.db.models import QuerySet

from config.filters import UtcDateTimeFilter, VisibleFilterSet
from config.permissions import acting_user

from ..models import Incident, IncidentState, Priority, Source
from ..selectors import incident_search


class IncidentFilter(VisibleFilterSet):
    """Filters of the incident list. Several values of one filter are OR'ed: `?state=new&state=acknowledged`."""

    state = django_filters.MultipleChoiceFilter(choices=IncidentState.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    source = django_filters.MultipleChoiceFilter(choices=Source.choices)
    reported_after = UtcDateTimeFilter(field_name="reported_at", lookup_expr="gte")
    reported_before = UtcDateTimeFilter(field_name="reported_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search", max_length=200)

    class Meta:
        model = Incident
        fields = ["state", "priority", "service", "team", "assignee", "category", "source", "parent"]

    def filter_search(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        request = self.request
        return incident_search(queryset, value, user=acting_user(request) if request is not None else None)
