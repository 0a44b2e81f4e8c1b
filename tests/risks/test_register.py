"""The risk register: the matrix and its levels, risks through the API, the state machine (409 with state and
allowed), assessments and their history, acceptance, reviews, links, reported risks, outside changes and
escalation per level."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from escalation.models import Notification
from escalation.timers import timer_sweep
from risks.models import RiskHistory, RiskMatrix, matrix_default
from risks.models.matrix import default_cells
from risks.services import risk_create
from tests.escalation.factories import StakeholderGroupFactory
from tests.incidents.factories import IncidentFactory, ServiceFactory, TeamFactory, UserFactory

from .factories import AreaFactory, RiskMatrixFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def post(api, path, body=None, status=200):
    response = api.post(path, body or {}, format="json")
    assert response.status_code == status, response.content
    return response.json()


# --- the matrix -------------------------------------------------------------------------------------------


def test_the_default_matrix_is_5x5_with_labels_and_iso_levels():
    matrix = matrix_default()
    assert matrix.size == 5
    assert matrix.likelihood_labels[-1] == "almost certain"
    assert matrix.level(1, 1) == "low"
    assert matrix.level(2, 2) == "low"
    assert matrix.level(3, 3) == "medium"
    assert matrix.level(4, 4) == "high"
    assert matrix.level(5, 4) == "critical"
    assert matrix.colour("critical") == "#c62828"


@pytest.mark.parametrize("size", [3, 4, 5, 6])
def test_every_size_gets_a_full_grid_whose_level_grows_with_likelihood_and_impact(size):
    matrix = RiskMatrixFactory(size=size)
    matrix.full_clean()
    order = ["low", "medium", "high", "critical"]
    for likelihood in range(1, size + 1):
        for impact in range(1, size + 1):
            level = matrix.level(likelihood, impact)
            if likelihood < size:
                assert order.index(matrix.level(likelihood + 1, impact)) >= order.index(level)
            if impact < size:
                assert order.index(matrix.level(likelihood, impact + 1)) >= order.index(level)
    assert matrix.level(size, size) == "critical"
    assert matrix.level(1, 1) == "low"


@pytest.mark.parametrize("size", [2, 7])
def test_a_matrix_outside_3_to_6_is_refused(size):
    with pytest.raises(ValidationError):
        RiskMatrix(name="odd", size=size).full_clean()


def test_configured_cells_and_labels_are_checked_and_used():
    cells = default_cells(3)
    cells[0][0] = "high"
    matrix = RiskMatrix(
        name="3x3", size=3, likelihood_labels=["a", "b", "c"], impact_labels=["x", "y", "z"], cells=cells
    )
    matrix.full_clean()
    matrix.save()
    assert matrix.level(1, 1) == "high"
    bad = RiskMatrix(name="bad", size=3, cells=[["low"] * 3] * 2, likelihood_labels=["a"])
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert {"cells", "likelihood_labels"} <= set(error.value.message_dict)


def test_matrix_api_refuses_a_wrong_grid(api, as_role):
    as_role("managers")
    response = api.post(
        "/api/v1/risk-matrices/", {"name": "4x4", "size": 4, "cells": [["low", "bogus"]]}, format="json"
    )
    assert response.status_code == 400
    assert "cells" in response.json()["fields"]
    body = post(api, "/api/v1/risk-matrices/", {"name": "4x4", "size": 4}, status=201)
    assert len(body["cells"]) == 4
    assert len(body["likelihood_labels"]) == 4


# --- risks through the API --------------------------------------------------------------------------------


def test_a_manager_registers_assesses_treats_and_closes_a_risk(api, as_role):
    manager = as_role("managers")
    area = AreaFactory()
    body = post(
        api,
        "/api/v1/risks/",
        {
            "title": "Backup router switched off",
            "area": area.pk,
            "category": "system_failure",
            "owner": manager.pk,
        },
        status=201,
    )
    pk = body["id"]
    assert body["state"] == "identified"
    assert body["level"] == ""
    assert body["reference"] == f"RSK-{pk:06d}"
    # assess needs a likelihood and an impact first: 409 with the state and what is allowed.
    response = api.post(f"/api/v1/risks/{pk}/assess/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["state"] == "identified"
    assert response.json()["allowed"] == ["close"]
    assessed = post(
        api,
        f"/api/v1/risks/{pk}/assessments/",
        {
            "inherent_likelihood": 4,
            "inherent_impact": 5,
            "residual_likelihood": 2,
            "residual_impact": 4,
            "note": "x",
        },
    )
    assert assessed["state"] == "assessed"
    assert assessed["level"] == "medium"  # residual 2 x 4 = 8 of 25
    post(api, f"/api/v1/risks/{pk}/treat/", {"note": "add monitoring"})
    response = api.post(f"/api/v1/risks/{pk}/reopen/", {}, format="json")
    assert response.status_code == 409
    assert set(response.json()["allowed"]) == {"monitor", "close"}
    post(api, f"/api/v1/risks/{pk}/monitor/")
    closed = post(api, f"/api/v1/risks/{pk}/close/", {"note": "router replaced"})
    assert closed["state"] == "closed"
    assert closed["closed_at"]
    history = api.get(f"/api/v1/risks/{pk}/history/").json()
    transitions = [(row["from_state"], row["to_state"]) for row in history if row["kind"] == "transition"]
    assert transitions == [
        ("identified", "assessed"),
        ("assessed", "treating"),
        ("treating", "monitoring"),
        ("monitoring", "closed"),
    ]
    assert all(row["by"] == manager.pk for row in history)
    assert history[-1]["note"] == "router replaced"


def test_every_assessment_is_kept_and_a_level_going_up_reaches_its_audience(api, as_role):
    as_role("managers")
    board = UserFactory(email="board@example.org")
    StakeholderGroupFactory(name="Board", audience="management", users=[board])
    from risks.models import LevelEscalation

    LevelEscalation.objects.create(level="critical", audience="management")
    area = AreaFactory()
    pk = post(
        api, "/api/v1/risks/", {"title": "Supplier", "area": area.pk, "category": "supplier"}, status=201
    )["id"]
    post(api, f"/api/v1/risks/{pk}/assessments/", {"inherent_likelihood": 2, "inherent_impact": 2})
    assert not Notification.objects.filter(address="board@example.org").exists()
    body = post(api, f"/api/v1/risks/{pk}/assessments/", {"inherent_likelihood": 5, "inherent_impact": 5})
    assert body["level"] == "critical"
    assessments = api.get(f"/api/v1/risks/{pk}/assessments/").json()
    assert [(a["previous_level"], a["level"]) for a in assessments] == [("low", "critical"), ("", "low")]
    notes = Notification.objects.filter(address="board@example.org")
    assert notes.count() == 1
    assert notes.get().reason == "risk_level:critical"
    told = RiskHistory.objects.filter(risk_id=pk, kind="notified", note=board.get_username())
    assert told.count() == 1


def test_likelihood_outside_the_matrix_answers_400_naming_the_field(api, as_role):
    as_role("managers")
    area = AreaFactory(matrix=RiskMatrixFactory(size=3))
    response = api.post(
        "/api/v1/risks/",
        {
            "title": "x",
            "area": area.pk,
            "category": "process",
            "inherent_likelihood": 4,
            "inherent_impact": 1,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "inherent_likelihood" in response.json()["fields"]
    response = api.patch("/api/v1/risks/999999/", {"title": "x"}, format="json")
    assert response.status_code == 404
    pk = post(api, "/api/v1/risks/", {"title": "x", "area": area.pk, "category": "process"}, status=201)["id"]
    response = api.patch(f"/api/v1/risks/{pk}/", {"level": "low"}, format="json")
    assert response.status_code == 400
    assert "level" in response.json()["fields"]


def test_anyone_reports_a_risk_and_the_area_owner_is_reminded_to_assess_it(api, as_role):
    reporter = as_role("reporters")
    area = AreaFactory()
    with time_machine.travel(T0, tick=False):
        body = post(
            api,
            "/api/v1/risks/report/",
            {"title": "Badge readers fail open", "area": area.pk, "category": "security"},
            status=201,
        )
        assert body["state"] == "identified"
        assert body["owner"] == area.owner.pk
        assert body["reported_by"] == reporter.pk
        timer_sweep(now=T0)
    assert Notification.objects.filter(recipient=area.owner, reason="reminder").exists()
    # The reporter sees their own risk, not the others.
    other = risk_create(by=None, title="other", area=area, category="market")
    assert api.get(f"/api/v1/risks/{body['id']}/").status_code == 200
    assert api.get(f"/api/v1/risks/{other.pk}/").status_code == 404
    # Reporting does not let them change it.
    assert api.post(f"/api/v1/risks/{body['id']}/close/", {}, format="json").status_code == 403


def test_review_cadence_reminds_the_owner_then_the_owners_manager(api, as_role):
    owner = UserFactory()
    manager = UserFactory()
    team = TeamFactory(manager=manager)
    team.members.add(owner)
    area = AreaFactory()
    with time_machine.travel(T0, tick=False):
        risk = risk_create(
            by=None, title="Old", area=area, category="process", owner=owner, review_interval_days=30
        )
    assert risk.next_review_at == T0 + timedelta(days=30)
    timer_sweep(now=T0 + timedelta(days=30))
    assert Notification.objects.filter(recipient=owner, reason="reminder").count() == 1
    assert not Notification.objects.filter(recipient=manager).exists()
    timer_sweep(now=T0 + timedelta(days=37))
    assert Notification.objects.filter(recipient=manager, reason="reminder").count() == 1


def test_a_review_moves_the_cadence_and_the_old_reminder_does_nothing(api, as_role):
    as_role("managers")
    owner = UserFactory()
    with time_machine.travel(T0, tick=False):
        risk = risk_create(
            by=None, title="Old", area=AreaFactory(), category="process", owner=owner, review_interval_days=30
        )
    with time_machine.travel(T0 + timedelta(days=20), tick=False):
        body = post(api, f"/api/v1/risks/{risk.pk}/review/", {"note": "still fine"})
    assert body["next_review_at"].startswith("2026-04-21")
    timer_sweep(now=T0 + timedelta(days=31))
    assert not Notification.objects.filter(recipient=owner).exists()


def test_an_acceptance_expiring_reminds_the_owner_and_the_approver(api, as_role):
    approver = as_role("managers")
    owner = UserFactory()
    with time_machine.travel(T0, tick=False):
        risk = risk_create(
            by=None,
            title="Legacy OS",
            area=AreaFactory(),
            category="system_failure",
            owner=owner,
            review_interval_days=0,
        )
        response = api.post(
            f"/api/v1/risks/{risk.pk}/accept/", {"reason": "x", "expires_on": "2026-03-01"}, format="json"
        )
        assert response.status_code == 400
        assert "expires_on" in response.json()["fields"]
        body = post(
            api, f"/api/v1/risks/{risk.pk}/accept/", {"reason": "replaced in Q3", "expires_on": "2026-06-30"}
        )
    assert body["treatment"] == "accept"
    assert body["acceptance_approver"] == approver.pk
    timer_sweep(now=datetime(2026, 6, 10, tzinfo=UTC))
    assert not Notification.objects.filter(reason="reminder").exists()
    timer_sweep(now=datetime(2026, 6, 17, tzinfo=UTC))
    told = set(Notification.objects.filter(reason="reminder").values_list("recipient", flat=True))
    assert told == {owner.pk, approver.pk}


def test_links_to_services_incidents_and_post_mortems(api, as_role):
    as_role("managers")
    risk = risk_create(by=None, title="Router", area=AreaFactory(), category="system_failure")
    service = ServiceFactory()
    incident = IncidentFactory()
    link = post(
        api,
        f"/api/v1/risks/{risk.pk}/links/",
        {"target_type": "incidents.service", "target_id": service.pk},
        status=201,
    )
    post(
        api,
        f"/api/v1/risks/{risk.pk}/links/",
        {"target_type": "incidents.incident", "target_id": incident.pk},
        status=201,
    )
    from tests.incidents.changes.factories import new_change
    from tests.incidents.problems.factories import open_problem

    problem = open_problem()
    change = new_change()
    post(
        api,
        f"/api/v1/risks/{risk.pk}/links/",
        {"target_type": "incidents.problem", "target_id": problem.pk},
        status=201,
    )
    post(
        api,
        f"/api/v1/risks/{risk.pk}/links/",
        {"target_type": "incidents.change", "target_id": change.pk},
        status=201,
    )
    response = api.post(
        f"/api/v1/risks/{risk.pk}/links/",
        {"target_type": "incidents.category", "target_id": 1},
        format="json",
    )
    assert response.status_code == 400

    response = api.post(
        f"/api/v1/risks/{risk.pk}/links/",
        {"target_type": "incidents.service", "target_id": 999999},
        format="json",
    )
    assert response.status_code == 404
    body = api.get(f"/api/v1/risks/{risk.pk}/").json()
    assert {row["target_type"] for row in body["links"]} == {
        "incidents.service",
        "incidents.incident",
        "incidents.problem",
        "incidents.change",
    }
    assert api.delete(f"/api/v1/risks/{risk.pk}/links/{link['id']}/").status_code == 204


def test_an_outside_change_opens_a_review_of_every_open_risk_in_the_area(api, as_role):
    manager = as_role("managers")
    area = AreaFactory()
    owner = UserFactory()
    with time_machine.travel(T0, tick=False):
        risks = [
            risk_create(by=None, title=f"r{n}", area=area, category="regulation", owner=owner)
            for n in range(2)
        ]
        closed = risk_create(by=None, title="closed", area=area, category="regulation", owner=owner)
        from risks.services import risk_transition

        risk_transition(risk_id=closed.pk, name="close", by=None)
        elsewhere = risk_create(
            by=None, title="elsewhere", area=AreaFactory(), category="market", owner=owner
        )
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        body = post(
            api,
            "/api/v1/outside-changes/",
            {"area": area.pk, "kind": "regulation", "title": "New data-protection law"},
            status=201,
        )
    assert body["reviews_opened"] == 2
    assert body["recorded_by"] == manager.pk
    for risk in risks:
        assert RiskHistory.objects.filter(risk=risk, kind="review_opened").exists()
    assert not RiskHistory.objects.filter(risk__in=[closed, elsewhere], kind="review_opened").exists()
    timer_sweep(now=T0 + timedelta(days=1, minutes=1))
    assert Notification.objects.filter(recipient=owner, reason="reminder").count() == 2


def test_risks_need_permission_to_add_and_reporters_see_only_theirs(api, as_role):
    as_role("reporters")
    area = AreaFactory()
    response = api.post(
        "/api/v1/risks/", {"title": "x", "area": area.pk, "category": "process"}, format="json"
    )
    assert response.status_code == 403
    risk_create(by=None, title="secret", area=area, category="process")
    assert api.get("/api/v1/risks/").json()["count"] == 0


def test_the_schema_renders(api, as_role):
    as_role("managers")
    response = api.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/kris/{id}/readings/" in response.content


def test_a_post_mortem_creates_a_risk_of_a_future_related_incident_linked_to_it(api, as_role):
    from incidents.services import incident_create
    from postmortems.services import postmortem_open

    as_role("managers")
    incident = incident_create(by=None, title="Outage", impact=1, urgency=1)
    postmortem, _created = postmortem_open(record=incident, by=None)
    area = AreaFactory()
    body = post(
        api,
        "/api/v1/risks/",
        {
            "title": "Backup switched off",
            "area": area.pk,
            "category": "system_failure",
            "postmortem": postmortem.pk,
        },
        status=201,
    )
    assert body["links"][0]["target_type"] == "postmortems.postmortem"
    assert body["links"][0]["target_id"] == postmortem.pk
    response = api.post(
        "/api/v1/risks/",
        {"title": "x", "area": area.pk, "category": "process", "postmortem": 999999},
        format="json",
    )
    assert response.status_code == 404
    # The post-mortem links the risk from its side (its own links API knows risks now).
    link = api.post(
        f"/api/v1/postmortems/{postmortem.pk}/links/",
        {"target_type": "risks.risk", "target_id": body["id"], "purpose": "future_risk"},
        format="json",
    )
    assert link.status_code == 201, link.content


def test_the_review_reminder_says_what_is_due_in_the_owners_language(db):
    from escalation.models import UserProfile

    owner = UserFactory()
    UserProfile.objects.create(user=owner, language="ja")
    with time_machine.travel(T0, tick=False):
        risk_create(
            by=None, title="Old", area=AreaFactory(), category="process", owner=owner, review_interval_days=7
        )
    timer_sweep(now=T0 + timedelta(days=7))
    note = Notification.objects.get(recipient=owner, reason="reminder")
    assert "リスク" in note.title
    assert "Old" in note.title


def test_a_critical_risk_pages_the_levels_policy_until_someone_assesses_it(api, as_role):
    from escalation.models import Escalation
    from tests.escalation.factories import EscalationLevelFactory

    as_role("managers")
    ciso = UserFactory(email="ciso@example.org")
    level = EscalationLevelFactory(users=[ciso])
    board = UserFactory(email="board@example.org")
    EscalationLevelFactory(policy=level.policy, users=[board], delay=timedelta(hours=1))
    post(api, "/api/v1/risk-level-escalations/", {"level": "critical", "policy": level.policy.pk}, status=201)
    area = AreaFactory()
    body = post(
        api,
        "/api/v1/risks/",
        {
            "title": "Ransomware",
            "area": area.pk,
            "category": "security",
            "inherent_likelihood": 5,
            "inherent_impact": 5,
        },
        status=201,
    )
    assert body["level"] == "critical"
    escalation = Escalation.objects.get()
    assert escalation.state == "active"
    assert Notification.objects.filter(recipient=ciso).exists()
    post(api, f"/api/v1/risks/{body['id']}/assessments/", {"residual_likelihood": 3, "residual_impact": 5})
    escalation.refresh_from_db()
    assert escalation.state == "acknowledged"
    assert escalation.acknowledged_at is not None
    timer_sweep(now=escalation.started_at + timedelta(hours=2))
    assert not Notification.objects.filter(recipient=board).exists()


def test_the_radar_page_reads_right_to_left_in_persian(client):
    client.force_login(UserFactory(role="managers"))
    page = client.get("/reports/risk-radar/", HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert 'dir="rtl"' in page
    assert "رادار ریسک" in page
    assert "نقشهٔ حرارتی" in page


def test_anyone_reports_a_risk_with_the_form(client):
    from risks.models import Risk

    reporter = UserFactory(role="reporters")
    area = AreaFactory(name="Front desk")
    assert client.get("/report-risk/").status_code == 302  # to the sign-in page
    client.force_login(reporter)
    page = client.get("/report-risk/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "위험 보고" in page
    response = client.post("/report-risk/", {"title": "", "area": area.pk, "category": "security"})
    assert response.status_code == 400
    response = client.post(
        "/report-risk/",
        {"title": "Visitors tailgate through the door", "area": area.pk, "category": "security"},
    )
    assert response.status_code == 200
    risk = Risk.objects.get()
    assert risk.state == "identified"
    assert risk.reported_by == reporter
    assert risk.owner == area.owner
    assert risk.reference in response.content.decode()
