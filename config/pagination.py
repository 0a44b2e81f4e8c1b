"""Page-number pagination with `?page_size=` up to 500, and a capped count for searches."""

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response


class CappedCountPaginator(Paginator):
    """Counts at most `VIGIL_SEARCH_COUNT_MAX` rows: a search for a frequent word (two characters in a million
    incidents) would spend as long counting every match as finding the best ones, for a figure nobody pages
    through. `capped` tells whether there are more than the count says."""

    @cached_property
    def count(self) -> int:
        limit = settings.VIGIL_SEARCH_COUNT_MAX
        object_list = self.object_list
        if not isinstance(object_list, QuerySet):
            return super().count
        # Without the order (a search's is by rank: it would rank every match to count the first ones).
        counted = object_list.order_by().values("pk")[: limit + 1].count()
        self.capped = counted > limit
        return min(counted, limit)

    capped = False


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        searching = bool(request.query_params.get("search", "").strip())
        self.django_paginator_class = CappedCountPaginator if searching else Paginator
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        paginator = self.page.paginator if self.page is not None else None
        response.data["count_capped"] = getattr(paginator, "capped", False)
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["count_capped"] = {
            "type": "boolean",
            "description": (
                "True when a search matched more than VIGIL_SEARCH_COUNT_MAX rows: `count` is that limit, "
                "and the pages stop there (narrow the search to see the rest)."
            ),
        }
        return paginated
