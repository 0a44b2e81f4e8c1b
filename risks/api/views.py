"""The risks API: the register and its transitions, assessments, acceptance, links and history; areas and
matrices; outside changes; KRIs, their readings (pushed by token or integration key) and acknowledgement; the
radar."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.authentication import TokenAuthentication
from config.errors import NotFound, PermissionDenied
from config.filters import DeclaredQueryParams
from config.permissions import ModelPermissionsWithView, acting_user, permission_require
from escalation.api.views.base import AuditedViewSetMixin

from .. import kris, radar, services
from ..links import VIEW_PERMISSIONS
from ..models import KRI, Area, LevelEscalation, OutsideChange, RadarSnapshot, Risk, RiskMatrix
from ..selectors import kri_list, risk_list
from .auth import IntegrationKeyAuthentication, ReadingsThrottle, UserOrIntegration
from .serializers import (
    AreaSerializer,
    KRIReadingSerializer,
    KRISerializer,
    KRIStateChangeSerializer,
    LevelEscalationSerializer,
    OutsideChangeCreateSerializer,
    OutsideChangeSerializer,
    RadarSnapshotSerializer,
    ReadingsAcceptedSerializer,
    RiskAcceptSerializer,
    RiskAssessmentSerializer,
    RiskAssessSerializer,
    RiskCreateSerializer,
    RiskHistorySerializer,
    RiskLinkCreateSerializer,
    RiskLinkSerializer,
    RiskMatrixSerializer,
    RiskNoteSerializer,
    RiskReportSerializer,
    RiskSerializer,
    RiskUpdateSerializer,
)


class RiskViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The risk register: list (filter `state`, `area`, `level`, `category`), create, retrieve, edit.
    Transitions: `POST .../<id>/<transition>/`; assessments: `POST .../<id>/assess/`."""

    serializer_class = RiskSerializer
    queryset = Risk.objects.none()
    filterset_fields = ["state", "area", "level", "category", "owner"]

    def get_queryset(self) -> QuerySet[Risk]:
        return risk_list(user=self.request.user).prefetch_related("links__target_type")

    @extend_schema(request=RiskCreateSerializer, responses={201: RiskSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        permission_require(request, "risks.add_risk")
        data = RiskCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        postmortem = values.pop("postmortem", None)
        if postmortem is not None and not request.user.has_perm("postmortems.view_postmortem"):
            raise NotFound(
                _("%(kind)s %(id)s does not exist.") % {"kind": "postmortems.postmortem", "id": postmortem}
            )
        risk = services.risk_create(by=acting_user(request), postmortem_id=postmortem, **values)
        return Response(RiskSerializer(risk).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RiskUpdateSerializer, responses={200: RiskSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        risk = self.get_object()
        data = RiskUpdateSerializer(
            data=request.data, context={"request": request}, partial=kwargs.get("partial", False)
        )
        data.is_valid(raise_exception=True)
        risk = services.risk_update(
            risk_id=risk.pk, by=acting_user(request), changes=dict(data.validated_data)
        )
        return Response(RiskSerializer(risk).data)


def _visible_risk(request: Request, pk: int) -> Risk:
    risk = risk_list(user=request.user).filter(pk=pk).first()
    if risk is None:
        raise NotFound()
    return risk


class RiskReportView(APIView):
    """Anyone signed in reports a risk that no rule covers: it lands as `identified` for the area's owner."""

    @extend_schema(request=RiskReportSerializer, responses={201: RiskSerializer})
    def post(self, request: Request) -> Response:
        data = RiskReportSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        risk = services.risk_create(by=acting_user(request), reported=True, **data.validated_data)
        return Response(RiskSerializer(risk).data, status=status.HTTP_201_CREATED)


class RiskTransitionView(APIView):
    """assess, treat, monitor, close, reopen. 409 with the state and the allowed transitions."""

    @extend_schema(
        operation_id="v1_risks_transition",
        request=RiskNoteSerializer,
        responses={200: RiskSerializer},
        parameters=[
            OpenApiParameter("transition", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Risk.TRANSITIONS)
        ],
    )
    def post(self, request: Request, pk: int, transition: str) -> Response:
        _visible_risk(request, pk)
        data = RiskNoteSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        risk = services.risk_transition(
            risk_id=pk, name=transition, by=acting_user(request), note=data.validated_data["note"]
        )
        return Response(RiskSerializer(risk).data)


class RiskAssessmentsView(DeclaredQueryParams, APIView):
    """GET the history of assessments; POST a new assessment (likelihood and impact, inherent and residual).
    The first assessment of an identified risk also moves it to `assessed`."""

    @extend_schema(responses={200: RiskAssessmentSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        risk = _visible_risk(request, pk)
        return Response(RiskAssessmentSerializer(risk.assessments.all(), many=True).data)

    @extend_schema(request=RiskAssessSerializer, responses={200: RiskSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _visible_risk(request, pk)
        data = RiskAssessSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        note = values.pop("note", "")
        controls = values.pop("controls", None)
        risk = services.risk_assess(
            risk_id=pk, by=acting_user(request), note=note, controls=controls, **values
        )
        return Response(RiskSerializer(risk).data)


class RiskReviewView(APIView):
    """The owner reviewed the risk without changing it: the next review is scheduled."""

    @extend_schema(request=RiskNoteSerializer, responses={200: RiskSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _visible_risk(request, pk)
        data = RiskNoteSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        risk = services.risk_review(risk_id=pk, by=acting_user(request), note=data.validated_data["note"])
        return Response(RiskSerializer(risk).data)


class RiskAcceptView(APIView):
    """Accept the risk until a date, with a reason; the approver is the caller."""

    @extend_schema(request=RiskAcceptSerializer, responses={200: RiskSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _visible_risk(request, pk)
        data = RiskAcceptSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        risk = services.risk_accept(risk_id=pk, by=acting_user(request), **data.validated_data)
        return Response(RiskSerializer(risk).data)


class RiskHistoryView(DeclaredQueryParams, APIView):
    @extend_schema(responses={200: RiskHistorySerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        risk = _visible_risk(request, pk)
        return Response(RiskHistorySerializer(risk.history.all(), many=True).data)


class RiskLinksView(APIView):
    """Link the risk to a service, an incident, a problem, a change or a post-mortem (`target_type` is
    `incidents.service`, `incidents.incident`, `incidents.problem`, `incidents.change` or
    `postmortems.postmortem`)."""

    @extend_schema(request=RiskLinkCreateSerializer, responses={201: RiskLinkSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _visible_risk(request, pk)
        data = RiskLinkCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["target_type"] == "incidents.incident":
            from incidents.selectors import incident_list

            if not incident_list(user=request.user).filter(pk=values["target_id"]).exists():
                raise NotFound()
        permission = VIEW_PERMISSIONS.get(values["target_type"])
        if permission is not None and not request.user.has_perm(permission):
            raise NotFound()
        link = services.risk_link_add(
            risk_id=pk,
            by=acting_user(request),
            kind=values["target_type"],
            target_id=values["target_id"],
            note=values["note"],
        )
        return Response(RiskLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class RiskLinkView(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int, link_id: int) -> Response:
        _visible_risk(request, pk)
        services.risk_link_remove(risk_id=pk, link_id=link_id, by=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AreaViewSet(viewsets.ModelViewSet):
    """Business processes or areas: risks are mapped per area; the radar alerts above `radar_threshold`."""

    serializer_class = AreaSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = Area.objects.all()


class RiskMatrixViewSet(AuditedViewSetMixin, viewsets.ModelViewSet):
    """Risk matrices (3 x 3 to 6 x 6): labels, the level of every cell and the colours."""

    serializer_class = RiskMatrixSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = RiskMatrix.objects.all()


class LevelEscalationViewSet(viewsets.ModelViewSet):
    """Escalation per risk level: the policy paged and the audience told when a risk of the level is raised or
    its level goes up."""

    serializer_class = LevelEscalationSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = LevelEscalation.objects.all()


class OutsideChangeViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Outside changes (a new regulation, a supplier failure, a market shift): recording one opens a review of
    every open risk in its area."""

    serializer_class = OutsideChangeSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = OutsideChange.objects.select_related("area")

    @extend_schema(request=OutsideChangeCreateSerializer, responses={201: OutsideChangeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = OutsideChangeCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        change = services.outside_change_record(by=acting_user(request), **data.validated_data)
        return Response(OutsideChangeSerializer(change).data, status=status.HTTP_201_CREATED)


class KRIViewSet(AuditedViewSetMixin, viewsets.ModelViewSet):
    """Key risk indicators. Readings: `POST .../<id>/readings/`; acknowledge a red: `POST .../<id>/acknowledge/`."""

    serializer_class = KRISerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = KRI.objects.none()
    filterset_fields = ["state", "source", "is_active"]

    def get_queryset(self) -> QuerySet[KRI]:
        return kri_list(user=self.request.user)


class KRIReadingsView(DeclaredQueryParams, APIView):
    """Push readings: one (`{"value": 81.5, "at": "2026-03-02T10:00:00Z"}`), a list, or
    `{"readings": [...]}`; `at` defaults to now. All or nothing: a non-numeric value, a time in the future or
    an unknown key answers 400 naming the reading. Authenticated by API token or by an integration's key in
    `X-Vigil-Integration-Key`. GET lists the latest readings."""

    authentication_classes = [IntegrationKeyAuthentication, TokenAuthentication]
    permission_classes = [UserOrIntegration]
    throttle_classes = [ReadingsThrottle]
    parser_classes = [JSONParser]

    def _kri(self, request: Request, pk: int) -> KRI:
        if request.user.is_authenticated:
            kri = kri_list(user=request.user).filter(pk=pk).first()
        else:
            kri = KRI.objects.filter(pk=pk).first()
        if kri is None:
            raise NotFound(_("Key risk indicator %(id)s does not exist.") % {"id": pk}, kri=pk)
        return kri

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: ReadingsAcceptedSerializer})
    def post(self, request: Request, pk: int) -> Response:
        kri = self._kri(request, pk)
        readings = kris.readings_parse(request.data, now=timezone.now())
        by = request.user if request.user.is_authenticated else None
        kri = kris.readings_record(kri_id=kri.pk, readings=readings, by=by)
        return Response(
            {"kri": kri.pk, "accepted": len(readings), "state": kri.state, "value": kri.value},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={200: KRIReadingSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        if not request.user.is_authenticated:
            raise PermissionDenied()
        kri = self._kri(request, pk)
        return Response(KRIReadingSerializer(kri.readings.all()[:500], many=True).data)


class KRIStateChangesView(DeclaredQueryParams, APIView):
    @extend_schema(responses={200: KRIStateChangeSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        kri = get_object_or_404(kri_list(user=request.user), pk=pk)
        return Response(KRIStateChangeSerializer(kri.state_changes.all()[:200], many=True).data)


class KRIAcknowledgeView(APIView):
    """The owner has seen the red: its escalation stops (409 unless the KRI is red)."""

    @extend_schema(request=None, responses={200: KRISerializer})
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(kri_list(user=request.user), pk=pk)
        kri = kris.kri_acknowledge(kri_id=pk, by=acting_user(request))
        return Response(KRISerializer(kri).data)


class RadarView(DeclaredQueryParams, APIView):
    """The latest week's radar (GET) or a snapshot computed now (POST: on demand, managers)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RadarSnapshotSerializer(many=True)})
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("risks.view_radarsnapshot"):
            raise PermissionDenied()
        from ..selectors import radar_latest

        return Response(RadarSnapshotSerializer(radar_latest(), many=True).data)

    @extend_schema(request=None, responses={200: RadarSnapshotSerializer(many=True)})
    def post(self, request: Request) -> Response:
        if not request.user.has_perm("risks.add_radarsnapshot"):
            raise PermissionDenied()
        rows = radar.radar_snapshot(at=timezone.now())
        return Response(RadarSnapshotSerializer(rows, many=True).data)


class RadarHistoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = RadarSnapshotSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = RadarSnapshot.objects.select_related("area")
    filterset_fields = ["area", "week_start"]
