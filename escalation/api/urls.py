from rest_framework.routers import SimpleRouter

from . import engine_views
from .views import BusinessCalendarViewSet, ScheduleViewSet, TeamViewSet

router = SimpleRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("calendars", BusinessCalendarViewSet, basename="calendar")
router.register("schedules", ScheduleViewSet, basename="schedule")
router.register("sla-policies", engine_views.SlaPolicyViewSet, basename="sla-policy")
router.register("escalation-policies", engine_views.EscalationPolicyViewSet, basename="escalation-policy")
router.register("contact-methods", engine_views.ContactMethodViewSet, basename="contact-method")
router.register("notification-rules", engine_views.NotificationRuleViewSet, basename="notification-rule")
router.register("stakeholder-groups", engine_views.StakeholderGroupViewSet, basename="stakeholder-group")
router.register("communication-rules", engine_views.CommunicationRuleViewSet, basename="communication-rule")
router.register("reporting-rules", engine_views.ReportingRuleViewSet, basename="reporting-rule")
router.register(
    "webhook-subscriptions", engine_views.WebhookSubscriptionViewSet, basename="webhook-subscription"
)
router.register("notifications", engine_views.NotificationViewSet, basename="notification")
router.register("sla-clocks", engine_views.SlaClockViewSet, basename="sla-clock")
router.register("escalations", engine_views.EscalationViewSet, basename="escalation")

urlpatterns = router.urls
