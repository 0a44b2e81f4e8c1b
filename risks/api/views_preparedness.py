"""The risks API, continued: precursor rules and warnings, drills and their runs, response checklists, the
reporting procedures and their acknowledgements, emergency contacts (JSON, vCard, CSV)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import PermissionDenied
from config.filters import DeclaredQueryParams
from config.permissions import ModelPermissionsWithView, acting_user, permission_require
from escalation.api.views.base import AuditedViewSetMixin
from escalation.models import Team

from .. import drills, precursors, procedures
from ..contacts import contacts_csv, contacts_vcard
from ..models import (
    Drill,
    DrillStep,
    EmergencyContact,
    PrecursorRule,
    PrecursorWarning,
    ReportingProcedure,
    ResponseChecklist,
)
from .serializers import (
    DrillFindingSerializer,
    DrillRunCreateSerializer,
    DrillRunSerializer,
    DrillScheduleSerializer,
    DrillSerializer,
    DrillStepCreateSerializer,
    DrillStepSerializer,
    EmergencyContactSerializer,
    PrecursorRuleSerializer,
    PrecursorWarningSerializer,
    ProcedureAcknowledgementsSerializer,
    ProcedureAcknowledgeSerializer,
    ProcedurePublishSerializer,
    ProcedureVersionSerializer,
    ReportingProcedureSerializer,
    ResponseChecklistSerializer,
)


class PrecursorRuleViewSet(AuditedViewSetMixin, viewsets.ModelViewSet):
    """Precursor rules: `count` incidents of priority `min_priority` or lower on a service or category within
    `window_days` raise a warning."""

    serializer_class = PrecursorRuleSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = PrecursorRule.objects.all()


class PrecursorWarningViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Precursor warnings with the incidents behind them. Accept (raise the risk's likelihood to the one
    suggested) or dismiss: `POST .../<id>/accept/`, `.../<id>/dismiss/`."""

    serializer_class = PrecursorWarningSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = PrecursorWarning.objects.prefetch_related("incidents")
    filterset_fields = ["state", "risk", "rule"]


class PrecursorDecisionView(APIView):
    @extend_schema(request=None, responses={200: PrecursorWarningSerializer})
    def post(self, request: Request, pk: int, decision: str) -> Response:
        by = acting_user(request)
        if not by.has_perm("risks.change_precursorwarning"):
            raise PermissionDenied()
        if decision == "accept":
            if not by.has_perm("risks.change_risk"):
                raise PermissionDenied()
            warning = precursors.precursor_accept(warning_id=pk, by=by)
        else:
            warning = precursors.precursor_dismiss(warning_id=pk, by=by)
        return Response(PrecursorWarningSerializer(warning).data)


class DrillViewSet(viewsets.ModelViewSet):
    """Drills: scenario, risks and services exercised, steps, schedule. `POST .../<id>/steps/`,
    `.../<id>/schedule/` (the next run is an engine timer), `.../<id>/runs/` (record a run)."""

    serializer_class = DrillSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = Drill.objects.prefetch_related("steps", "risks", "services")


class DrillStepsView(APIView):
    @extend_schema(request=DrillStepCreateSerializer, responses={201: DrillStepSerializer})
    def post(self, request: Request, pk: int) -> Response:
        if not request.user.has_perm("risks.change_drill"):
            raise PermissionDenied()
        drill = get_object_or_404(Drill, pk=pk)
        data = DrillStepCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.setdefault("position", drill.steps.count() + 1)
        step = DrillStep.objects.create(drill=drill, **values)
        return Response(DrillStepSerializer(step).data, status=status.HTTP_201_CREATED)


class DrillScheduleView(APIView):
    @extend_schema(request=DrillScheduleSerializer, responses={200: DrillSerializer})
    def post(self, request: Request, pk: int) -> Response:
        permission_require(request, "risks.change_drill")
        data = DrillScheduleSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        drill = drills.drill_schedule(
            drill_id=pk, by=acting_user(request), next_run_at=data.validated_data["next_run_at"]
        )
        return Response(DrillSerializer(drill).data)


class DrillRunsView(DeclaredQueryParams, APIView):
    @extend_schema(responses={200: DrillRunSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        if not request.user.has_perm("risks.view_drillrun"):
            raise PermissionDenied()
        drill = get_object_or_404(Drill, pk=pk)
        return Response(
            DrillRunSerializer(drill.runs.prefetch_related("results", "findings"), many=True).data
        )

    @extend_schema(request=DrillRunCreateSerializer, responses={201: DrillRunSerializer})
    def post(self, request: Request, pk: int) -> Response:
        permission_require(request, "risks.add_drillrun")
        data = DrillRunCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        run = drills.drill_run_record(drill_id=pk, by=acting_user(request), **data.validated_data)
        return Response(DrillRunSerializer(run).data, status=status.HTTP_201_CREATED)


class ResponseChecklistViewSet(viewsets.ModelViewSet):
    """Response checklists per incident category: their items become tasks on every new incident of it."""

    serializer_class = ResponseChecklistSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = ResponseChecklist.objects.prefetch_related("items")


class ReportingProcedureViewSet(viewsets.ModelViewSet):
    """Reporting procedures. Publish a version: `POST .../<id>/versions/`; acknowledge the version in force:
    `POST .../<id>/acknowledge/`; who has and who has not: `GET .../<id>/acknowledgements/`."""

    serializer_class = ReportingProcedureSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = ReportingProcedure.objects.prefetch_related("teams")


class ProcedureVersionsView(APIView):
    @extend_schema(request=ProcedurePublishSerializer, responses={201: ProcedureVersionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        permission_require(request, "risks.add_procedureversion")
        data = ProcedurePublishSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        version = procedures.procedure_publish(
            procedure_id=pk, by=acting_user(request), **data.validated_data
        )
        return Response(ProcedureVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class ProcedureAcknowledgeView(APIView):
    """Any member of the procedure's teams acknowledges the version in force (409 when `version` is given
    and is not it)."""

    @extend_schema(
        request=ProcedureAcknowledgeSerializer, responses={200: ProcedureAcknowledgementsSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ProcedureAcknowledgeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        row = procedures.procedure_acknowledge(
            procedure_id=pk, by=acting_user(request), number=data.validated_data.get("version")
        )
        return Response({"version": row.version.number, "user": row.user_id, "at": row.at})


class ProcedureAcknowledgementsView(DeclaredQueryParams, APIView):
    @extend_schema(responses={200: ProcedureAcknowledgementsSerializer})
    def get(self, request: Request, pk: int) -> Response:
        if not request.user.has_perm("risks.view_procedureacknowledgement"):
            raise PermissionDenied()
        procedure = get_object_or_404(ReportingProcedure, pk=pk)
        return Response(
            ProcedureAcknowledgementsSerializer(procedures.procedure_acknowledgements(procedure)).data
        )


class EmergencyContactViewSet(viewsets.ModelViewSet):
    """A team's emergency contacts. Export for work phones: `GET .../export/<team_id>.vcf` and `.csv`."""

    serializer_class = EmergencyContactSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = EmergencyContact.objects.all()
    filterset_fields = ["team"]

    def get_queryset(self) -> QuerySet[EmergencyContact]:
        return EmergencyContact.objects.select_related("team")


class EmergencyContactExportView(DeclaredQueryParams, APIView):
    @extend_schema(responses={(200, "text/vcard"): OpenApiTypes.STR, (200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request, team_id: int, fmt: str) -> Any:
        if not request.user.has_perm("risks.view_emergencycontact"):
            raise PermissionDenied()
        team = get_object_or_404(Team, pk=team_id)
        if fmt == "vcf":
            response = HttpResponse(contacts_vcard(team), content_type="text/vcard; charset=utf-8")
        else:
            response = HttpResponse(contacts_csv(team), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="emergency-contacts-{team.pk}.{fmt}"'
        return response


class DrillFindingDoneView(APIView):
    """A drill's finding was dealt with: its overdue reminder stops."""

    @extend_schema(request=None, responses={200: DrillFindingSerializer})
    def post(self, request: Request, pk: int) -> Response:
        finding = drills.finding_done(finding_id=pk, by=acting_user(request))
        return Response(DrillFindingSerializer(finding).data)
