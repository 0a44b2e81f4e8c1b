"""The problem desk in the admin: pages render, buttons go through the services, the recurring incidents page
opens a problem in one click."""

import pytest

from incidents.models import Problem, ProblemLogEntry
from tests.incidents.factories import IncidentFactory, ServiceFactory, UserFactory

from .factories import open_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    user = UserFactory(role="agents", is_staff=True)
    client.force_login(user)
    return user


def test_the_change_page_shows_the_buttons_and_they_use_the_services(client, agent):
    problem = open_problem()
    url = f"/admin/incidents/problem/{problem.pk}/change/"
    html = client.get(url).content.decode()
    assert 'data-transition="investigate"' in html
    assert 'data-transition="record_known_error"' in html  # the workaround can be written in the form
    assert 'data-transition="close"' not in html
    refused = client.post(
        f"/admin/incidents/problem/{problem.pk}/transition/record_known_error/", follow=True
    )
    assert "needs a workaround" in refused.content.decode()
    client.post(
        f"/admin/incidents/problem/{problem.pk}/transition/record_known_error/",
        {"workaround": "Restart the pool", "note": "seen twice"},
    )
    problem.refresh_from_db()
    assert (problem.state, problem.workaround) == ("known_error", "Restart the pool")
    assert ProblemLogEntry.objects.get(problem=problem, kind="transition").actor == agent


def test_adding_a_problem_in_the_admin_opens_it_through_the_service(client, agent):
    service = ServiceFactory()
    response = client.post(
        "/admin/incidents/problem/add/",
        {
            "title": "Slow logins",
            "priority": 3,
            "services": [service.pk],
            "symptoms": "",
            "root_cause": "",
            "workaround": "",
            "resolution": "",
            "owner": "",
            "team": "",
            "category": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    problem = Problem.objects.get(title="Slow logins")
    assert problem.created_by == agent
    assert ProblemLogEntry.objects.filter(problem=problem, kind="opened").exists()


def test_recurring_incidents_page_and_one_click(client, agent):
    service = ServiceFactory(name="vpn")
    for _ in range(3):
        IncidentFactory(service=service)
    page = client.get("/admin/incidents/problem/recurring/")
    assert page.status_code == 200
    assert "vpn" in page.content.decode()
    response = client.post("/admin/incidents/problem/recurring/", {"service": service.pk, "category": ""})
    problem = Problem.objects.get()
    assert response["Location"].endswith(f"/admin/incidents/problem/{problem.pk}/change/")
    assert problem.incidents.count() == 3
    assert "No recurring incidents" in client.get("/admin/incidents/problem/recurring/").content.decode()


def test_the_list_links_to_the_recurring_page(client, agent):
    open_problem(title="Listed")
    html = client.get("/admin/incidents/problem/").content.decode()
    assert "Listed" in html
    assert "/admin/incidents/problem/recurring/" in html


def test_from_an_incident_page_to_its_known_errors_and_back_with_the_workaround(client, agent):
    from incidents.models import TimelineEvent

    from .factories import known_error

    service = ServiceFactory()
    error = known_error(title="Token cache stale", services=[service], workaround="Flush the token cache.")
    incident = IncidentFactory(service=service, title="Logins fail")
    html = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    assert f"/admin/incidents/problem/known-errors/?incident={incident.pk}" in html
    page = client.get("/admin/incidents/problem/known-errors/", {"incident": incident.pk}).content.decode()
    assert "Flush the token cache." in page
    assert f'data-link="{error.pk}"' in page
    response = client.post(
        "/admin/incidents/problem/known-errors/", {"incident": incident.pk, "problem": error.pk}
    )
    assert response["Location"].endswith(f"/admin/incidents/incident/{incident.pk}/change/")
    assert TimelineEvent.objects.filter(incident=incident, data__workaround=True).exists()


def test_a_known_errors_workaround_cannot_be_emptied_in_the_form(client, agent):
    from .factories import known_error

    error = known_error(title="Kept")
    response = client.post(
        f"/admin/incidents/problem/{error.pk}/change/",
        {
            "title": "Kept",
            "priority": 3,
            "symptoms": "",
            "root_cause": "",
            "workaround": "",
            "resolution": "",
            "owner": "",
            "team": "",
            "category": "",
            "problemincident_set-TOTAL_FORMS": 0,
            "problemincident_set-INITIAL_FORMS": 0,
            "incident_links-TOTAL_FORMS": 0,
            "incident_links-INITIAL_FORMS": 0,
            "log-TOTAL_FORMS": 0,
            "log-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200  # the form again, with the error next to the field
    assert "A known error needs a workaround." in response.content.decode()
    error.refresh_from_db()
    assert error.workaround
