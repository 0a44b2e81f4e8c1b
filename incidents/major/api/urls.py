from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from ...models import MajorIncident, Task
from . import views

router = SimpleRouter()
router.register("major-incidents", views.MajorIncidentViewSet, basename="major-incident")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("outside-people", views.OutsidePersonViewSet, basename="outside-person")

_transitions = "|".join([*MajorIncident.TRANSITIONS, "acknowledge"])
urlpatterns = [
    *router.urls,
    path(
        "major-incident-configuration/",
        views.ConfigurationView.as_view(),
        name="major-incident-configuration",
    ),
    re_path(
        rf"^major-incidents/(?P<pk>[0-9]+)/(?P<transition>{_transitions})/$",
        views.MajorIncidentTransitionView.as_view(),
        name="major-incident-transition",
    ),
    path("major-incidents/<int:pk>/roles/", views.RolesView.as_view(), name="major-incident-roles"),
    path(
        "major-incidents/<int:pk>/roles/<str:role>/", views.RoleEndView.as_view(), name="major-incident-role"
    ),
    path("major-incidents/<int:pk>/members/", views.MembersView.as_view(), name="major-incident-members"),
    path(
        "major-incidents/<int:pk>/members/<int:member_id>/leave/",
        views.MemberLeaveView.as_view(),
        name="major-incident-member-leave",
    ),
    path(
        "major-incidents/<int:pk>/objectives/",
        views.ObjectivesView.as_view(),
        name="major-incident-objectives",
    ),
    path(
        "major-incidents/<int:pk>/objectives/<int:objective_id>/",
        views.ObjectiveView.as_view(),
        name="major-incident-objective",
    ),
    path("major-incidents/<int:pk>/tasks/", views.TasksOfView.as_view(), name="major-incident-tasks"),
    path("major-incidents/<int:pk>/updates/", views.UpdatesView.as_view(), name="major-incident-updates"),
    path("major-incidents/<int:pk>/costs/", views.CostsView.as_view(), name="major-incident-costs"),
    path("major-incidents/<int:pk>/funds/", views.FundsView.as_view(), name="major-incident-funds"),
    path("major-incidents/<int:pk>/finance/", views.FinanceView.as_view(), name="major-incident-finance"),
    path(
        "major-incidents/<int:pk>/resource-requests/",
        views.ResourceRequestsView.as_view(),
        name="major-incident-resource-requests",
    ),
    path(
        "major-incidents/<int:pk>/resource-requests/<int:request_id>/decide/",
        views.ResourceDecisionView.as_view(),
        name="major-incident-resource-decide",
    ),
    path("major-incidents/<int:pk>/log/", views.LogView.as_view(), name="major-incident-log"),
    path("major-incidents/<int:pk>/incidents/", views.LinksView.as_view(), name="major-incident-links"),
    path(
        "major-incidents/<int:pk>/incidents/<int:incident_id>/",
        views.LinkDeleteView.as_view(),
        name="major-incident-unlink",
    ),
    path("major-incidents/<int:pk>/escalate/", views.EscalateView.as_view(), name="major-incident-escalate"),
    path(
        "major-incidents/<int:pk>/apply-template/",
        views.TemplateApplyView.as_view(),
        name="major-incident-apply-template",
    ),
    path(
        "major-incidents/<int:pk>/notifications/",
        views.NotificationsView.as_view(),
        name="major-incident-notifications",
    ),
    re_path(
        rf"^tasks/(?P<pk>[0-9]+)/(?P<transition>{'|'.join(Task.TRANSITIONS)})/$",
        views.TaskTransitionView.as_view(),
        name="task-transition",
    ),
]
