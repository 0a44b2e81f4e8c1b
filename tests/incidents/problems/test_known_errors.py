"""The problem and known-error flow from an incident: search known errors by service, category and text, link
the incident and get the workaround on its timeline; recurring incidents and the one-click problem; the major
incident's root cause."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from config.errors import Conflict, PermissionDenied
from incidents.major.services import major_incident_transition
from incidents.models import IncidentCategory, TimelineEvent
from incidents.problems.selectors import known_error_search, recurring_incidents
from incidents.problems.services import (
    problem_link_incident,
    problem_link_major_incident,
    problem_open_from_recurring,
)
from incidents.services import incident_create
from tests.incidents.factories import IncidentFactory, ServiceFactory, UserFactory
from tests.incidents.major.factories import declare

from .factories import known_error, open_problem

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _category(code: str = "system-outage") -> IncidentCategory:
    return IncidentCategory.objects.get(code=code)


def test_an_agent_finds_the_known_error_of_the_incident_and_the_workaround_lands_on_its_timeline() -> None:
    agent = UserFactory(role="agents")
    checkout = ServiceFactory(name="checkout")
    error = known_error(
        by=agent,
        title="Payment gateway pool exhausted",
        symptoms="Checkout answers 502 after a deploy",
        services=[checkout],
        category=_category(),
        workaround="Restart the payment-gateway pods: kubectl rollout restart deploy/pgw",
    )
    open_problem(by=agent, title="Unrelated, still unknown", services=[checkout])  # not a known error
    incident = incident_create(
        by=agent,
        title="Checkout 502 for everyone",
        impact=1,
        urgency=1,
        service=checkout,
        category=_category(),
    )
    found = list(known_error_search(user=agent, incident=incident, text="502"))
    assert found == [error]
    link = problem_link_incident(problem_id=error.pk, incident_id=incident.pk, by=agent)
    assert link.workaround_applied_at is not None
    copied = TimelineEvent.objects.get(incident=incident, kind="comment", data__workaround=True)
    assert "kubectl rollout restart deploy/pgw" in copied.note
    assert error.reference in copied.note
    assert copied.actor == agent
    assert TimelineEvent.objects.filter(incident=incident, data__problem=error.pk).count() == 2
    # Linking again copies nothing more.
    problem_link_incident(problem_id=error.pk, incident_id=incident.pk, by=agent)
    assert TimelineEvent.objects.filter(incident=incident, data__workaround=True).count() == 1


def test_known_errors_are_searched_by_service_and_category() -> None:
    agent = UserFactory(role="agents")
    db, web = ServiceFactory(), ServiceFactory()
    on_db = known_error(title="Replica lag", services=[db], category=_category())
    on_web = known_error(title="Cache stampede", services=[web], category=_category("operator-error"))
    anywhere = known_error(title="Expired certificate")
    assert set(known_error_search(user=agent, service_id=db.pk)) == {on_db, anywhere}
    assert set(known_error_search(user=agent, category_id=_category("operator-error").pk)) == {
        on_web,
        anywhere,
    }
    assert set(known_error_search(user=agent, service_id=web.pk, text="stampede")) == {on_web}
    assert list(known_error_search(user=UserFactory(role="reporters"))) == []


def test_the_text_search_reaches_the_words_of_linked_incidents() -> None:
    """The incidents' words go through the incident search, so a known error is found by what its incidents
    said even when its own text says it differently."""
    agent = UserFactory(role="agents")
    error = known_error(title="Gateway pool exhausted")
    incident = IncidentFactory(title="Zahlungen schlagen fehl", description="timeout beim bezahlen")
    problem_link_incident(problem_id=error.pk, incident_id=incident.pk, by=None)
    assert list(known_error_search(user=agent, text="bezahlen")) == [error]
    assert list(known_error_search(user=agent, text="pool")) == [error]
    assert list(known_error_search(user=agent, text="printer")) == []


def test_text_without_spaces_is_found_inside_the_problem() -> None:
    agent = UserFactory(role="agents")
    error = known_error(title="決済ゲートウェイの接続プールが枯渇", workaround="ポッドを再起動する")
    assert list(known_error_search(user=agent, text="接続プール")) == [error]


def test_linking_to_a_problem_that_is_not_a_known_error_copies_nothing() -> None:
    problem = open_problem(workaround="Not confirmed yet")
    incident = IncidentFactory()
    link = problem_link_incident(problem_id=problem.pk, incident_id=incident.pk, by=None)
    assert link.workaround_applied_at is None
    assert not TimelineEvent.objects.filter(incident=incident, kind="comment").exists()


def test_a_reporter_cannot_link_someone_elses_incident() -> None:
    problem = open_problem()
    incident = IncidentFactory()
    with pytest.raises(PermissionDenied) as refused:
        problem_link_incident(
            problem_id=problem.pk, incident_id=incident.pk, by=UserFactory(role="reporters")
        )
    assert refused.value.status == 403


def test_recurring_incidents_without_a_problem() -> None:
    db, web = ServiceFactory(name="db"), ServiceFactory(name="web")
    outage = _category()
    with time_machine.travel(T0, tick=False):
        for days in (1, 2, 3):
            IncidentFactory(service=db, category=outage, reported_at=T0 - timedelta(days=days))
        IncidentFactory(
            service=db, category=outage, reported_at=T0 - timedelta(days=30)
        )  # outside the window
        IncidentFactory(service=web, category=outage, reported_at=T0 - timedelta(days=1))
        IncidentFactory(service=web, category=outage, reported_at=T0 - timedelta(days=2))
        rows = recurring_incidents(window_days=7, min_incidents=3)
        assert [(r["service"], r["category_id"], r["count"]) for r in rows] == [("db", outage.pk, 3)]
        assert [r["service"] for r in recurring_incidents(window_days=7, min_incidents=2)] == ["db", "web"]
        assert [r["count"] for r in recurring_incidents(window_days=60, min_incidents=3)] == [4]
        # One click: a problem with the window's incidents, and the row is gone.
        problem = problem_open_from_recurring(
            by=UserFactory(role="agents"), service_id=db.pk, category_id=outage.pk
        )
        assert problem.incidents.count() == 3
        assert list(problem.services.all()) == [db]
        assert problem.category == outage
        assert recurring_incidents(window_days=7, min_incidents=3) == []
        # A new incident there is explained by the active problem: still not recurring.
        IncidentFactory(service=db, category=outage, reported_at=T0)
        IncidentFactory(service=db, category=outage, reported_at=T0)
        IncidentFactory(service=db, category=outage, reported_at=T0)
        assert recurring_incidents(window_days=7, min_incidents=3) == []
        with pytest.raises(Conflict):
            problem_open_from_recurring(by=None, service_id=db.pk, category_id=outage.pk)


def test_the_recurring_defaults_come_from_the_configuration() -> None:
    from incidents.models import ProblemChangeConfiguration

    db = ServiceFactory()
    with time_machine.travel(T0, tick=False):
        IncidentFactory(service=db, reported_at=T0 - timedelta(days=1))
        IncidentFactory(service=db, reported_at=T0 - timedelta(days=1))
        assert recurring_incidents() == []
        config = ProblemChangeConfiguration.load()
        config.recurring_min_incidents = 2
        config.save()
        assert [r["count"] for r in recurring_incidents()] == [2]


def test_a_linked_problem_lets_the_major_incident_resolve_without_a_reason() -> None:
    from incidents.major.command import role_assign

    major = declare(by=None)
    role_assign(major_incident_id=major.pk, role="commander", user=UserFactory(), by=None)
    major_incident_transition(major_incident_id=major.pk, name="investigate", by=None)
    from incidents.major.common import ConditionNotMet

    with pytest.raises(ConditionNotMet):
        major_incident_transition(major_incident_id=major.pk, name="resolve", by=None)
    problem = open_problem()
    problem_link_major_incident(problem_id=problem.pk, major_incident_id=major.pk, by=None)
    assert major_incident_transition(major_incident_id=major.pk, name="resolve", by=None).state == "resolved"
    assert major.log.filter(data__problem=problem.pk).exists()
