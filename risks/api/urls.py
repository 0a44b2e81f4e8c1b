from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from ..models import Risk
from . import views

router = SimpleRouter()
router.register("risks", views.RiskViewSet, basename="risk")
router.register("risk-areas", views.AreaViewSet, basename="riskarea")
router.register("risk-matrices", views.RiskMatrixViewSet, basename="riskmatrix")
router.register("outside-changes", views.OutsideChangeViewSet, basename="outsidechange")
router.register("kris", views.KRIViewSet, basename="kri")
router.register("risk-radar/history", views.RadarHistoryViewSet, basename="radarsnapshot")

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
]
