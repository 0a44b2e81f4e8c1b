from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from ..models import ActionItem, Postmortem
from . import views

router = SimpleRouter()
router.register("postmortems", views.PostmortemViewSet, basename="postmortem")
router.register("action-items", views.ActionItemViewSet, basename="actionitem")

urlpatterns = [
    *router.urls,
    re_path(
        rf"^postmortems/(?P<pk>[0-9]+)/(?P<transition>{'|'.join(Postmortem.TRANSITIONS)})/$",
        views.PostmortemTransitionView.as_view(),
        name="postmortem-transition",
    ),
    path("postmortems/<int:pk>/approve/", views.PostmortemApproveView.as_view(), name="postmortem-approve"),
    path("postmortems/<int:pk>/refresh/", views.PostmortemRefreshView.as_view(), name="postmortem-refresh"),
    path(
        "postmortems/<int:pk>/reviewers/",
        views.PostmortemReviewersView.as_view(),
        name="postmortem-reviewers",
    ),
    path(
        "postmortems/<int:pk>/reviewers/<int:user_id>/",
        views.PostmortemReviewerView.as_view(),
        name="postmortem-reviewer",
    ),
    path("postmortems/<int:pk>/links/", views.PostmortemLinksView.as_view(), name="postmortem-links"),
    path(
        "postmortems/<int:pk>/links/<int:link_id>/",
        views.PostmortemLinkView.as_view(),
        name="postmortem-link",
    ),
    path(
        "postmortems/<int:pk>/markdown/", views.PostmortemMarkdownView.as_view(), name="postmortem-markdown"
    ),
    re_path(
        rf"^action-items/(?P<pk>[0-9]+)/(?P<transition>{'|'.join(ActionItem.TRANSITIONS)})/$",
        views.ActionItemTransitionView.as_view(),
        name="actionitem-transition",
    ),
    path("incidents/<int:pk>/similar/", views.SimilarIncidentsView.as_view(), name="incident-similar"),
    path("metrics/summary/", views.MetricsSummaryView.as_view(), name="metrics-summary"),
    path("metrics/timeseries/", views.MetricsTimeseriesView.as_view(), name="metrics-timeseries"),
]
