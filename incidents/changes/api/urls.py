from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from ...models import Change
from . import views

router = SimpleRouter()
router.register("changes", views.ChangeViewSet, basename="change")

urlpatterns = [
    # Before the router: "calendar" is not an id.
    path("changes/calendar/", views.ChangeCalendarView.as_view(), name="change-calendar"),
    *router.urls,
    re_path(
        rf"^changes/(?P<pk>[0-9]+)/(?P<transition>{'|'.join(Change.TRANSITIONS)})/$",
        views.ChangeTransitionView.as_view(),
        name="change-transition",
    ),
    path("changes/<int:pk>/log/", views.ChangeLogView.as_view(), name="change-log"),
]
