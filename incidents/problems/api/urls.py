from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from ...models import Problem
from . import views

router = SimpleRouter()
router.register("problems", views.ProblemViewSet, basename="problem")

urlpatterns = [
    # Before the router: "known-errors" and "recurring" are not ids.
    path("problems/known-errors/", views.KnownErrorsView.as_view(), name="problem-known-errors"),
    path("problems/recurring/", views.RecurringIncidentsView.as_view(), name="problem-recurring"),
    *router.urls,
    re_path(
        rf"^problems/(?P<pk>[0-9]+)/(?P<transition>{'|'.join(Problem.TRANSITIONS)})/$",
        views.ProblemTransitionView.as_view(),
        name="problem-transition",
    ),
    path("problems/<int:pk>/incidents/", views.ProblemIncidentsView.as_view(), name="problem-incidents"),
    path(
        "problems/<int:pk>/incidents/<int:incident_id>/",
        views.ProblemIncidentDeleteView.as_view(),
        name="problem-incident",
    ),
    path(
        "problems/<int:pk>/major-incidents/",
        views.ProblemMajorIncidentsView.as_view(),
        name="problem-major-incidents",
    ),
    path(
        "problems/<int:pk>/major-incidents/<int:major_incident_id>/",
        views.ProblemMajorIncidentDeleteView.as_view(),
        name="problem-major-incident",
    ),
    path("problems/<int:pk>/log/", views.ProblemLogView.as_view(), name="problem-log"),
]
