from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import audit, calendar, contact, oncall, outbox, policy, sla, stakeholder, team, webhook

router = SimpleRouter()
router.register("teams", team.TeamViewSet, basename="team")
router.register("calendars", calendar.BusinessCalendarViewSet, basename="calendar")
router.register("schedules", oncall.ScheduleViewSet, basename="schedule")
router.register("sla-policies", sla.SlaPolicyViewSet, basename="sla-policy")
router.register("escalation-policies", policy.EscalationPolicyViewSet, basename="escalation-policy")
router.register("contact-methods", contact.ContactMethodViewSet, basename="contact-method")
router.register("notification-rules", contact.NotificationRuleViewSet, basename="notification-rule")
router.register("stakeholder-groups", stakeholder.StakeholderGroupViewSet, basename="stakeholder-group")
router.register("communication-rules", stakeholder.CommunicationRuleViewSet, basename="communication-rule")
router.register("reporting-rules", stakeholder.ReportingRuleViewSet, basename="reporting-rule")
router.register("webhook-subscriptions", webhook.WebhookSubscriptionViewSet, basename="webhook-subscription")
router.register("notifications", outbox.NotificationViewSet, basename="notification")
router.register("sla-clocks", sla.SlaClockViewSet, basename="sla-clock")
router.register("escalations", policy.EscalationViewSet, basename="escalation")
router.register("audit-log", audit.AuditEntryViewSet, basename="audit-entry")

urlpatterns = [
    *router.urls,
    path("oncall-feed/", oncall.OnCallFeedView.as_view(), name="oncall-feed"),
]
