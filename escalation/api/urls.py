from rest_framework.routers import SimpleRouter

from .views import BusinessCalendarViewSet, ScheduleViewSet, TeamViewSet

router = SimpleRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("calendars", BusinessCalendarViewSet, basename="calendar")
router.register("schedules", ScheduleViewSet, basename="schedule")

urlpatterns = router.urls
