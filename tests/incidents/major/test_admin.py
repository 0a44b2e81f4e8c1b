"""The commanders' desk in the admin: pages render, buttons and forms go through the services."""

import pytest

from incidents.models import Cost, MajorIncident, RoleAssignment, Task
from tests.incidents.factories import IncidentFactory, UserFactory

from .factories import declare

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    user = UserFactory(role="agents", is_staff=True)
    client.force_login(user)
    return user


def test_the_change_page_shows_the_transitions_and_assigning_a_role_enables_investigate(client, agent):
    major = declare(by=None)
    url = f"/admin/incidents/majorincident/{major.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-transition="acknowledge"' in html
    assert 'data-transition="investigate"' not in html, "no commander yet"
    assert 'data-transition="cancel"' in html
    client.post(
        f"/admin/incidents/majorincident/{major.pk}/assign-role/", {"role": "commander", "user": agent.pk}
    )
    assert RoleAssignment.objects.get(major_incident=major, role="commander").user == agent
    assert 'data-transition="investigate"' in client.get(url).content.decode()
    client.post(f"/admin/incidents/majorincident/{major.pk}/transition/investigate/")
    major.refresh_from_db()
    assert major.state == "investigating"
    refused = client.post(f"/admin/incidents/majorincident/{major.pk}/transition/resolve/", follow=True)
    assert "problem record" in refused.content.decode()


def test_declaring_from_selected_incidents(client, agent):
    first, second = IncidentFactory(priority=2), IncidentFactory(priority=1)
    response = client.post(
        "/admin/incidents/incident/",
        {"action": "declare_major_incident", "_selected_action": [first.pk, second.pk]},
    )
    major = MajorIncident.objects.get()
    assert response["Location"] == f"/admin/incidents/majorincident/{major.pk}/change/"
    assert major.primary_incident == second, "the highest priority is the primary one"
    assert major.declared_via == "admin"


def test_inline_rows_are_saved_through_the_services(client, agent):
    major = declare(by=None)
    url = f"/admin/incidents/majorincident/{major.pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    data = {
        name: form.initial.get(name) or "" for name in ("title", "summary", "severity", "cause", "impact")
    }
    data.update({"customer_impact": "", "bridge_url": "", "war_room": "", "resolution_summary": ""})
    data["services"] = []
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = formset.formset.prefix
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{prefix}-{name}"] = management.initial.get(name, management[name].value())
        for index, row in enumerate(formset.formset.initial_forms):
            data[f"{prefix}-{index}-id"] = row.instance.pk
            data[f"{prefix}-{index}-{formset.formset.fk.name}"] = major.pk
    costs = "costs"
    data[f"{costs}-TOTAL_FORMS"] = 1
    data.update({f"{costs}-0-category": "staff", f"{costs}-0-amount": "-3", f"{costs}-0-currency": "EUR"})
    refused = client.post(url, {k: v for k, v in data.items() if v is not None})
    assert refused.status_code == 200, "a negative amount is refused by the form"
    assert not Cost.objects.exists()
    data[f"{costs}-0-amount"] = "30"
    tasks = "tasks"
    data[f"{tasks}-TOTAL_FORMS"] = 1
    data.update(
        {f"{tasks}-0-title": "Call the supplier", f"{tasks}-0-owner_user": agent.pk, f"{tasks}-0-priority": 2}
    )
    data[f"{tasks}-0-position"] = 1
    saved = client.post(url, {k: v for k, v in data.items() if v is not None})
    assert saved.status_code == 302, saved.context and [
        f.errors for f in saved.context["inline_admin_formsets"][0].formset.forms
    ]
    assert Cost.objects.get().recorded_by == agent
    assert Task.objects.get().created_by == agent
    assert major.log.filter(kind="finance").exists()
