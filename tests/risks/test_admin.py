"""The risk owners' admin: the register with one button per allowed transition, saves through the services
(assessment rows and history), the KRI's acknowledge button, every page of the app renders; the list API's
query count does not grow with the number of risks."""

import pytest

from risks.models import KRI, Risk, RiskAssessment
from risks.services import risk_create
from tests.incidents.factories import ServiceFactory, UserFactory

from .factories import AreaFactory, KRIFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    manager = UserFactory(role="managers", is_staff=True)
    client.force_login(manager)
    client.manager = manager
    return client


def test_the_admin_creates_and_assesses_through_the_services(manager_client):
    area = AreaFactory()
    response = manager_client.post(
        "/admin/risks/risk/add/",
        {
            "title": "Core switch has no spare",
            "description": "",
            "area": area.pk,
            "category": "system_failure",
            "owner": manager_client.manager.pk,
            "controls": "",
            "treatment": "",
            "review_interval_days": 90,
            "inherent_likelihood": 3,
            "inherent_impact": 5,
            "residual_likelihood": "",
            "residual_impact": "",
            "assessments-TOTAL_FORMS": 0,
            "assessments-INITIAL_FORMS": 0,
            "links-TOTAL_FORMS": 0,
            "links-INITIAL_FORMS": 0,
            "history-TOTAL_FORMS": 0,
            "history-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    risk = Risk.objects.get()
    assert risk.level == "high"
    assert risk.history.filter(kind="created").exists()
    assert RiskAssessment.objects.filter(risk=risk).count() == 1


def test_the_change_form_has_one_button_per_allowed_transition_and_they_work(manager_client):
    risk = risk_create(
        by=None,
        title="Router",
        area=AreaFactory(),
        category="system_failure",
        inherent_likelihood=2,
        inherent_impact=2,
    )
    page = manager_client.get(f"/admin/risks/risk/{risk.pk}/change/").content.decode()
    assert 'data-transition="assess"' in page
    assert 'data-transition="close"' in page
    assert 'data-transition="treat"' not in page
    manager_client.post(f"/admin/risks/risk/{risk.pk}/transition/assess/")
    risk.refresh_from_db()
    assert risk.state == "assessed"
    assert risk.history.filter(kind="transition", by=manager_client.manager).exists()
    # Not allowed now: a message, no change.
    manager_client.post(f"/admin/risks/risk/{risk.pk}/transition/reopen/")
    risk.refresh_from_db()
    assert risk.state == "assessed"


def test_the_kri_acknowledge_button(manager_client):
    kri = KRIFactory()
    KRI.objects.filter(pk=kri.pk).update(state="red")
    page = manager_client.get(f"/admin/risks/kri/{kri.pk}/change/").content.decode()
    assert "/acknowledge/" in page
    manager_client.post(f"/admin/risks/kri/{kri.pk}/acknowledge/")
    kri.refresh_from_db()
    assert kri.red_acknowledged_by == manager_client.manager


@pytest.mark.parametrize(
    "model",
    [
        "riskmatrix",
        "area",
        "risk",
        "levelescalation",
        "outsidechange",
        "kri",
        "krireading",
        "radarsnapshot",
        "precursorrule",
        "precursorwarning",
        "drill",
        "drillrun",
        "responsechecklist",
        "reportingprocedure",
        "procedureversion",
        "procedureacknowledgement",
        "emergencycontact",
    ],
)
def test_every_admin_page_renders(manager_client, model):
    assert manager_client.get(f"/admin/risks/{model}/").status_code == 200


def test_listing_risks_takes_the_same_queries_for_3_or_30(api, as_role, django_assert_max_num_queries):
    as_role("managers")
    area = AreaFactory()
    service = ServiceFactory()

    def make(n: int) -> None:
        for i in range(n):
            risk = risk_create(
                by=None,
                title=f"r{i}",
                area=area,
                category="process",
                inherent_likelihood=2,
                inherent_impact=3,
            )
            from risks.services import risk_link_add

            risk_link_add(risk_id=risk.pk, by=None, kind="incidents.service", target_id=service.pk)

    make(3)
    with django_assert_max_num_queries(12) as few:
        assert api.get("/api/v1/risks/").status_code == 200
    make(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = api.get("/api/v1/risks/").json()
    assert body["count"] == 30


def test_admin_records_a_drill_run_through_the_service_and_shows_who_has_not_acknowledged(manager_client):
    import datetime as dt

    from django.utils import timezone

    from risks.models import Drill, ReportingProcedure
    from risks.procedures import procedure_publish
    from tests.incidents.factories import TeamFactory

    drill = Drill.objects.create(title="Failover", interval_days=30, owner=manager_client.manager)
    held = timezone.now().replace(microsecond=0)
    response = manager_client.post(
        "/admin/risks/drillrun/add/",
        {
            "drill": drill.pk,
            "held_at_0": held.strftime("%Y-%m-%d"),
            "held_at_1": held.strftime("%H:%M:%S"),
            "notes": "",
            "results-TOTAL_FORMS": 0,
            "results-INITIAL_FORMS": 0,
            "findings-TOTAL_FORMS": 0,
            "findings-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content[:3000]
    drill.refresh_from_db()
    assert drill.next_run_at is not None
    assert drill.next_run_at > held + dt.timedelta(days=29)
    team = TeamFactory()
    team.members.add(UserFactory(username="zoe"))
    procedure = ReportingProcedure.objects.create(name="Security")
    procedure.teams.add(team)
    procedure_publish(procedure_id=procedure.pk, by=None, body="", steps=[])
    page = manager_client.get(f"/admin/risks/reportingprocedure/{procedure.pk}/change/").content.decode()
    assert "zoe" in page


def test_the_risks_demo_loads_twice_without_adding_anything(db):
    from django.core.management import call_command

    from risks.models import Risk

    call_command("seed_demo")
    call_command("seed_risks_demo")
    count = Risk.objects.count()
    assert count == 4
    call_command("seed_risks_demo")
    assert Risk.objects.count() == count
