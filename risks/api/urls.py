from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from ..models import Risk
from . import views, views_preparedness

router = SimpleRouter()
router.register("risks", views.RiskViewSet, basename="risk")
router.register("risk-areas", views.AreaViewSet, basename="riskarea")
router.register("risk-matrices", views.RiskMatrixViewSet, basename="riskmatrix")
router.register("risk-level-escalations", views.LevelEscalationViewSet, basename="levelescalation")
router.register("outside-changes", views.OutsideChangeViewSet, basename="outsidechange")
router.register("kris", views.KRIViewSet, basename="kri")
router.register("risk-radar/history", views.RadarHistoryViewSet, basename="radarsnapshot")
router.register("precursor-rules", views_preparedness.PrecursorRuleViewSet, basename="precursorrule")
router.register("precursor-warnings", views_preparedness.PrecursorWarningViewSet, basename="precursorwarning")
router.register("drills", views_preparedness.DrillViewSet, basename="drill")
router.register(
    "response-checklists", views_preparedness.ResponseChecklistViewSet, basename="responsechecklist"
)
router.register("procedures", views_preparedness.ReportingProcedureViewSet, basename="reportingprocedure")
router.register("emergency-contacts", views_preparedness.EmergencyContactViewSet, basename="emergencycontact")

urlpatterns = [
    path("risks/report/", views.RiskReportView.as_view(), name="risk-report"),
    path("risk-radar/", views.RadarView.as_view(), name="risk-radar"),
    *router.urls,
    re_path(
        rf"^risks/(?P<pk>[0-9]+)/(?P<transition>{'|'.join(Risk.TRANSITIONS)})/$",
        views.RiskTransitionView.as_view(),
        name="risk-transition",
    ),
    path("risks/<int:pk>/assessments/", views.RiskAssessmentsView.as_view(), name="risk-assessments"),
    path("risks/<int:pk>/review/", views.RiskReviewView.as_view(), name="risk-review"),
    path("risks/<int:pk>/accept/", views.RiskAcceptView.as_view(), name="risk-accept"),
    path("risks/<int:pk>/history/", views.RiskHistoryView.as_view(), name="risk-history"),
    path("risks/<int:pk>/links/", views.RiskLinksView.as_view(), name="risk-links"),
    path("risks/<int:pk>/links/<int:link_id>/", views.RiskLinkView.as_view(), name="risk-link"),
    path("kris/<int:pk>/readings/", views.KRIReadingsView.as_view(), name="kri-readings"),
    path("kris/<int:pk>/state-changes/", views.KRIStateChangesView.as_view(), name="kri-state-changes"),
    path("kris/<int:pk>/acknowledge/", views.KRIAcknowledgeView.as_view(), name="kri-acknowledge"),
    re_path(
        r"^precursor-warnings/(?P<pk>[0-9]+)/(?P<decision>accept|dismiss)/$",
        views_preparedness.PrecursorDecisionView.as_view(),
        name="precursorwarning-decision",
    ),
    path("drills/<int:pk>/steps/", views_preparedness.DrillStepsView.as_view(), name="drill-steps"),
    path("drills/<int:pk>/schedule/", views_preparedness.DrillScheduleView.as_view(), name="drill-schedule"),
    path("drills/<int:pk>/runs/", views_preparedness.DrillRunsView.as_view(), name="drill-runs"),
    path(
        "drill-findings/<int:pk>/done/",
        views_preparedness.DrillFindingDoneView.as_view(),
        name="drillfinding-done",
    ),
    path(
        "procedures/<int:pk>/versions/",
        views_preparedness.ProcedureVersionsView.as_view(),
        name="procedure-versions",
    ),
    path(
        "procedures/<int:pk>/acknowledge/",
        views_preparedness.ProcedureAcknowledgeView.as_view(),
        name="procedure-acknowledge",
    ),
    path(
        "procedures/<int:pk>/acknowledgements/",
        views_preparedness.ProcedureAcknowledgementsView.as_view(),
        name="procedure-acknowledgements",
    ),
    re_path(
        r"^emergency-contacts/export/(?P<team_id>[0-9]+)\.(?P<fmt>vcf|csv)$",
        views_preparedness.EmergencyContactExportView.as_view(),
        name="emergencycontact-export",
    ),
]
