"""The post-mortems API: post-mortems and their transitions, reviewers, action items, links, the Markdown
export, similar past incidents, and the metrics (summary and time series, JSON or CSV)."""

import csv
import io
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import PermissionDenied
from config.filters import DeclaredQueryParams
from config.permissions import ModelPermissionsWithView, acting_user
from incidents.selectors import incident_list

from .. import services
from ..knowledge import similar_incidents
from ..models import ActionItem, Postmortem
from ..params import metrics_query_parse
from ..selectors import action_items_overdue, metrics_summary, metrics_timeseries, postmortem_list
from .serializers import (
    ActionItemCreateSerializer,
    ActionItemSerializer,
    ActionItemWriteSerializer,
    ApproveSerializer,
    LinkCreateSerializer,
    LinkSerializer,
    NoteSerializer,
    PostmortemCreateSerializer,
    PostmortemSerializer,
    PostmortemUpdateSerializer,
    ReviewerAddSerializer,
    ReviewerSerializer,
)

REPORTS_PERMISSION = "postmortems.view_reports"


class PostmortemViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Post-mortems: list (filter `state`), open one for an incident (`{"incident": id}`; 200 with the one it
    has already), retrieve, edit the sections of a draft. Transitions: `POST .../<id>/<transition>/`."""

    serializer_class = PostmortemSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = Postmortem.objects.none()
    filterset_fields = ["state"]

    def get_queryset(self) -> QuerySet[Postmortem]:
        return postmortem_list().prefetch_related(
            "reviewers__reviewer", "action_items__owner", "links__target_type"
        )

    @extend_schema(request=PostmortemCreateSerializer, responses={201: PostmortemSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PostmortemCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        incident = data.validated_data["incident"]
        if not incident_list(user=request.user).filter(pk=incident.pk).exists():
            raise PermissionDenied()
        postmortem, created = services.postmortem_open(
            record=incident, by=acting_user(request), owner=data.validated_data.get("owner")
        )
        return Response(
            PostmortemSerializer(postmortem).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=PostmortemUpdateSerializer, responses={200: PostmortemSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        postmortem = self.get_object()
        data = PostmortemUpdateSerializer(
            data=request.data, context={"request": request}, partial=kwargs.get("partial", False)
        )
        data.is_valid(raise_exception=True)
        postmortem = services.postmortem_update(
            postmortem_id=postmortem.pk, by=acting_user(request), changes=dict(data.validated_data)
        )
        return Response(PostmortemSerializer(postmortem).data)


def _postmortem_visible(request: Request, pk: int) -> Postmortem:
    if not request.user.has_perm("postmortems.view_postmortem"):
        raise PermissionDenied()
    return get_object_or_404(Postmortem, pk=pk)


class PostmortemTransitionView(APIView):
    """submit, revise, publish. 409 with the state and the allowed transitions; publishing something not
    ready answers 409 `postmortem_not_ready` with the `blockers`."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_postmortems_transition",
        request=NoteSerializer,
        responses={200: PostmortemSerializer},
        parameters=[
            OpenApiParameter(
                "transition", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Postmortem.TRANSITIONS
            )
        ],
    )
    def post(self, request: Request, pk: int, transition: str) -> Response:
        _postmortem_visible(request, pk)
        data = NoteSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        postmortem = services.postmortem_transition(
            postmortem_id=pk, name=transition, by=acting_user(request), note=data.validated_data["note"]
        )
        return Response(PostmortemSerializer(postmortem).data)


class PostmortemRefreshView(APIView):
    """Rebuild a draft's timeline and response speed from the reviewed record (edits to them are lost)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: PostmortemSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _postmortem_visible(request, pk)
        postmortem = services.postmortem_refresh_from_record(postmortem_id=pk, by=acting_user(request))
        return Response(PostmortemSerializer(postmortem).data)


class PostmortemApproveView(APIView):
    """A reviewer approves the post-mortem in review."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ApproveSerializer, responses={200: ReviewerSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _postmortem_visible(request, pk)
        data = ApproveSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        row = services.postmortem_approve(
            postmortem_id=pk, by=acting_user(request), comment=data.validated_data["comment"]
        )
        return Response(ReviewerSerializer(row).data)


class PostmortemReviewersView(APIView):
    """Add a reviewer (`{"reviewer": user id}`)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReviewerAddSerializer, responses={201: ReviewerSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _postmortem_visible(request, pk)
        data = ReviewerAddSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        row = services.postmortem_reviewer_add(
            postmortem_id=pk, reviewer=data.validated_data["reviewer"], by=acting_user(request)
        )
        return Response(ReviewerSerializer(row).data, status=status.HTTP_201_CREATED)


class PostmortemReviewerView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int, user_id: int) -> Response:
        _postmortem_visible(request, pk)
        services.postmortem_reviewer_remove(postmortem_id=pk, reviewer_id=user_id, by=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostmortemLinksView(APIView):
    """Link the post-mortem (or one of its action items) to a problem, change, risk or incident."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=LinkCreateSerializer, responses={201: LinkSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _postmortem_visible(request, pk)
        data = LinkCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        link = services.link_add(
            postmortem_id=pk,
            by=acting_user(request),
            kind=values["target_type"],
            target_id=values["target_id"],
            purpose=values["purpose"],
            action_item_id=values.get("action_item"),
        )
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)


class PostmortemLinkView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int, link_id: int) -> Response:
        _postmortem_visible(request, pk)
        services.link_remove(link_id=link_id, by=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostmortemMarkdownView(DeclaredQueryParams, APIView):
    """The post-mortem as Markdown (`text/markdown`), for wikis and repositories."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "text/markdown"): OpenApiTypes.STR})
    def get(self, request: Request, pk: int) -> HttpResponse:
        postmortem = _postmortem_visible(request, pk)
        text = render_to_string("postmortems/postmortem.md", postmortem_context(postmortem))
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{postmortem.reference}.md"'
        return response


def postmortem_context(postmortem: Postmortem) -> dict[str, Any]:
    """What the Markdown export and the printable page render."""
    from incidents.metrics import MEASURES

    speed = postmortem.response_speed or {}
    measures = [
        {
            "label": measure.label,
            "seconds": speed.get(f"{measure.name}_seconds"),
            "business_seconds": speed.get(f"{measure.name}_business_seconds"),
        }
        for measure in MEASURES
    ]
    return {
        "postmortem": postmortem,
        "measures": measures,
        "calendar": speed.get("calendar") or "",
        "reviewers": postmortem.reviewers.select_related("reviewer"),
        "action_items": postmortem.action_items.select_related("owner").order_by("due_date", "id"),
        "links": postmortem.links.select_related("target_type", "action_item"),
    }


class ActionItemViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Action items: list (filters `state`, `owner`, `postmortem`, `overdue=true`), create, retrieve, edit.
    Transitions: `POST .../<id>/<start|complete|cancel|reopen>/`."""

    serializer_class = ActionItemSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = ActionItem.objects.none()
    filterset_fields = ["state", "owner", "postmortem"]
    extra_query_params = ("overdue",)

    def get_queryset(self) -> QuerySet[ActionItem]:
        if self.request.query_params.get("overdue") in ("1", "true"):
            return action_items_overdue()
        return ActionItem.objects.select_related("owner").order_by("due_date", "id")

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ActionItemCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        postmortem = values.pop("postmortem")
        item = services.action_item_create(postmortem_id=postmortem.pk, by=acting_user(request), **values)
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemWriteSerializer, responses={200: ActionItemSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        data = ActionItemWriteSerializer(
            data=request.data, context={"request": request}, partial=kwargs.get("partial", False)
        )
        data.is_valid(raise_exception=True)
        item = services.action_item_update(
            item_id=item.pk, by=acting_user(request), changes=dict(data.validated_data)
        )
        return Response(ActionItemSerializer(item).data)


class ActionItemTransitionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="v1_action_items_transition",
        request=None,
        responses={200: ActionItemSerializer},
        parameters=[
            OpenApiParameter(
                "transition", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ActionItem.TRANSITIONS
            )
        ],
    )
    def post(self, request: Request, pk: int, transition: str) -> Response:
        if not request.user.has_perm("postmortems.view_actionitem"):
            raise PermissionDenied()
        item = services.action_item_transition(item_id=pk, name=transition, by=acting_user(request))
        return Response(ActionItemSerializer(item).data)


class SimilarIncidentsView(DeclaredQueryParams, APIView):
    """Past incidents like this one (same service or category, then text similarity), with how they were
    resolved and their published post-mortem."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        incident = get_object_or_404(incident_list(user=request.user), pk=pk)
        if not request.user.has_perm("incidents.view_incident"):
            raise PermissionDenied()
        return Response({"incident": incident.pk, "similar": similar_incidents(incident=incident)})


# --- metrics ----------------------------------------------------------------------------------------------


class CSVRenderer(BaseRenderer):
    """`?format=csv`: one row per group (summary) or per period and group (time series)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        rows = list(_csv_rows(data))
        if rows:
            header = list(rows[0])
            writer.writerow(header)
            for row in rows:
                writer.writerow([row.get(name, "") for name in header])
        else:
            # A period with no data is still a CSV file: its header. (An empty body lost its Content-Type:
            # DRF drops the header of an empty rendering, and schemathesis found the bare 200.)
            periodic = isinstance(data, dict) and ("series" in data or data.get("interval"))
            writer.writerow(["period", "group", "key", "label"] if periodic else ["group", "key", "label"])
        return buffer.getvalue().encode()


FIGURE_SKIP = {
    "groups",
    "series",
    "filters",
    "time_zone",
    "calendar",
    "since",
    "until",
    "first_day",
    "last_day",
    "interval",
    "group_by",
}


def _csv_rows(data: dict[str, Any]) -> Any:
    figures = lambda row: {k: v for k, v in row.items() if k not in FIGURE_SKIP}  # noqa: E731
    if "series" in data:
        for point in data["series"]:
            yield {"period": point["period"], "group": "all", "key": "", "label": "", **figures(point)}
    elif data.get("interval"):
        for group in data.get("groups", []):
            for point in group["series"]:
                yield {
                    "period": point["period"],
                    "group": data["group_by"],
                    "key": group["key"],
                    "label": group["label"],
                    **figures(point),
                }
    else:
        yield {"group": "all", "key": "", "label": "", **figures(data)}
        for group in data.get("groups", []):
            yield {"group": data["group_by"], **dict(group.items())}


class MetricsView(DeclaredQueryParams, APIView):
    """Managers' figures (`postmortems.view_reports`). JSON, or CSV with `?format=csv`."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, CSVRenderer]

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if not request.user.has_perm(REPORTS_PERMISSION):
            self.permission_denied(request, message="The reports are for managers.")

    def handle_exception(self, exc: Exception) -> Response:
        # Errors answer JSON whatever format was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)


METRICS_PARAMETERS = [
    OpenApiParameter(
        "since", OpenApiTypes.STR, description="A date or an ISO 8601 instant (default: 30 days before until)"
    ),
    OpenApiParameter(
        "until",
        OpenApiTypes.STR,
        description="Exclusive; a date or an ISO 8601 instant (default: the end of today)",
    ),
    OpenApiParameter("group_by", OpenApiTypes.STR, enum=["priority", "service", "team", "category"]),
    OpenApiParameter("priority", OpenApiTypes.STR, description="Filter: priorities, comma-separated"),
    OpenApiParameter("service", OpenApiTypes.STR, description="Filter: service ids, comma-separated"),
    OpenApiParameter("team", OpenApiTypes.STR, description="Filter: team ids, comma-separated"),
    OpenApiParameter("category", OpenApiTypes.STR, description="Filter: category ids, comma-separated"),
]


class MetricsSummaryView(MetricsView):
    """MTTA, MTTR (and time to detect, to mitigate), wall-clock and business, counts, SLA compliance and
    backlog over a range, overall and per group (docs/reports.md)."""

    query_params = tuple(parameter.name for parameter in METRICS_PARAMETERS)

    @extend_schema(parameters=METRICS_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(metrics_summary(metrics_query_parse(request.query_params)))


class MetricsTimeseriesView(MetricsView):
    """The same figures per day, week or month (`interval`), for charts."""

    query_params = (*MetricsSummaryView.query_params, "interval")

    @extend_schema(
        parameters=[
            *METRICS_PARAMETERS,
            OpenApiParameter("interval", OpenApiTypes.STR, enum=["day", "week", "month"]),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        return Response(metrics_timeseries(metrics_query_parse(request.query_params, interval=True)))
