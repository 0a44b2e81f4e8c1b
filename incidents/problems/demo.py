"""Problems, known errors and changes in the demo, loaded by `manage.py seed_demo`: a known error on checkout
with its workaround, and the change that fixes it, approved and scheduled for next week. Found again by their
titles, so running the demo twice adds nothing."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from ..changes.services import change_create, change_decide, change_transition
from ..models import Change, IncidentCategory, Problem, ProblemChangeConfiguration, Service
from .services import problem_open, problem_transition

PROBLEM_TITLE = "[demo] Payment gateway connection pool runs dry under load"
CHANGE_TITLE = "[demo] Raise the payment gateway pool and add a circuit breaker"


def demo_problems_and_changes(*, agent: User, approver: User, services: dict[str, Service]) -> int:
    created = 0
    ProblemChangeConfiguration.load()
    problem = Problem.objects.filter(title=PROBLEM_TITLE).first()
    if problem is None and "checkout" in services:
        problem = problem_open(
            by=agent,
            title=PROBLEM_TITLE,
            symptoms="Checkout answers 502 for some customers at peak hours.",
            priority=2,
            services=[services["checkout"]],
            category=IncidentCategory.objects.filter(code="system-outage").first(),
            root_cause="The gateway client keeps 10 connections; each timed-out call holds one for 30 s.",
        )
        problem = problem_transition(
            problem_id=problem.pk,
            name="record_known_error",
            by=agent,
            workaround="Restart the payment gateway pods (kubectl rollout restart deploy/pgw): the pool refills.",
        )
        created += 1
    if problem is not None and not Change.objects.filter(title=CHANGE_TITLE).exists():
        start = (timezone.now() + timedelta(days=7)).replace(hour=6, minute=0, second=0, microsecond=0)
        change = change_create(
            by=agent,
            title=CHANGE_TITLE,
            risk_level="medium",
            services=list(problem.services.all()),
            problem=problem,
            planned_start=start,
            planned_end=start + timedelta(hours=1),
            implementation_plan="Deploy pgw-client 2.4 with pool_size=50 and the breaker on; watch the error rate.",
            rollback_plan="Roll the deployment back to the previous revision.",
            test_plan="Checkout smoke test; a 10-minute load test at twice the peak rate.",
        )
        change_transition(change_id=change.pk, name="submit", by=agent)
        change_decide(change_id=change.pk, by=approver, decision="approved")
        change_transition(change_id=change.pk, name="schedule", by=agent, confirm=True)
        created += 1
    return created
