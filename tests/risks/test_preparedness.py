"""Drills (scheduling through an engine timer, run records, findings), response checklists as tasks on a new
incident, the reporting procedure's versions and acknowledgements, emergency contacts as vCard and CSV."""

from datetime import UTC, datetime

import pytest
import time_machine
import vobject

from escalation.models import Notification
from escalation.timers import timer_sweep
from incidents.models import IncidentCategory
from incidents.services import incident_create
from risks.models import ChecklistItem, EmergencyContact, ReportingProcedure, ResponseChecklist
from tests.incidents.factories import ServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def post(api, path, body=None, status=200):
    response = api.post(path, body or {}, format="json")
    assert response.status_code == status, response.content
    return response.json()


def test_a_drill_falls_due_on_its_timer_and_a_run_schedules_the_next(api, as_role):
    as_role("managers")
    owner = UserFactory()
    manager = UserFactory()
    TeamFactory(manager=manager).members.add(owner)
    drill = post(
        api,
        "/api/v1/drills/",
        {
            "title": "Failover to the backup network device",
            "scenario": "Core switch dies",
            "owner": owner.pk,
            "interval_days": 90,
            "services": [ServiceFactory().pk],
        },
        status=201,
    )
    pk = drill["id"]
    step = post(
        api,
        f"/api/v1/drills/{pk}/steps/",
        {"instruction": "Pull the primary uplink", "expected_result": "Backup takes over in 30 s"},
        status=201,
    )
    post(api, f"/api/v1/drills/{pk}/schedule/", {"next_run_at": "2026-03-10T09:00:00Z"})
    timer_sweep(now=datetime(2026, 3, 10, 8, 59, tzinfo=UTC))
    assert not Notification.objects.filter(recipient=owner).exists()
    timer_sweep(now=datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    timer_sweep(now=datetime(2026, 3, 10, 9, 0, 1, tzinfo=UTC))
    assert Notification.objects.filter(recipient=owner, reason="reminder").count() == 1
    timer_sweep(now=datetime(2026, 3, 12, 9, 0, 1, tzinfo=UTC))
    assert Notification.objects.filter(recipient=manager, reason="reminder").count() == 1
    with time_machine.travel(datetime(2026, 3, 12, 10, 0, tzinfo=UTC), tick=False):
        run = post(
            api,
            f"/api/v1/drills/{pk}/runs/",
            {
                "held_at": "2026-03-12T10:00:00Z",
                "participants": [owner.pk],
                "results": [{"step": step["id"], "outcome": "failed", "note": "backup device switched off"}],
                "findings": [
                    {
                        "text": "Power on the backup device and monitor it",
                        "owner": owner.pk,
                        "due_date": "2026-03-20",
                    }
                ],
            },
            status=201,
        )
    assert run["results"][0]["outcome"] == "failed"
    assert run["findings"][0]["owner"] == owner.pk
    body = api.get(f"/api/v1/drills/{pk}/").json()
    assert body["next_run_at"].startswith("2026-06-10")
    response = api.post(
        f"/api/v1/drills/{pk}/runs/",
        {"held_at": "2026-03-12T10:00:00Z", "results": [{"step": 999999, "outcome": "passed"}]},
        format="json",
    )
    assert response.status_code == 400


def test_a_response_checklist_becomes_tasks_on_a_new_incident_of_its_category(db):
    category = IncidentCategory.objects.filter(parent__isnull=False).first()
    other = (
        IncidentCategory.objects.exclude(pk__in=[category.pk, category.parent_id])
        .exclude(parent=category)
        .first()
    )
    checklist = ResponseChecklist.objects.create(category=category, name="Lost ID card")
    ChecklistItem.objects.create(checklist=checklist, position=1, title="Block the card")
    ChecklistItem.objects.create(checklist=checklist, position=2, title="Tell security")
    incident = incident_create(by=None, title="Lost badge", impact=3, urgency=3, category=category)
    assert list(incident.tasks.order_by("position").values_list("title", flat=True)) == [
        "Block the card",
        "Tell security",
    ]
    unrelated = incident_create(by=None, title="Printer", impact=3, urgency=3, category=other)
    assert not unrelated.tasks.exists()


def test_members_acknowledge_the_version_in_force_and_managers_see_who_has_not(api, as_role):
    manager = as_role("managers")
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    team = TeamFactory()
    team.members.add(alice, bob)
    procedure = post(
        api, "/api/v1/procedures/", {"name": "Security incidents", "teams": [team.pk]}, status=201
    )
    pk = procedure["id"]
    steps = [{"what": "Lost ID card", "to": "Security desk", "within_minutes": 15, "channel": "phone"}]
    response = api.post(f"/api/v1/procedures/{pk}/versions/", {"steps": [{"what": "x"}]}, format="json")
    assert response.status_code == 400
    v1 = post(api, f"/api/v1/procedures/{pk}/versions/", {"body": "v1", "steps": steps}, status=201)
    assert v1["number"] == 1
    assert Notification.objects.filter(recipient=alice, reason="procedure.published").exists()
    api.force_authenticate(alice)
    post(api, f"/api/v1/procedures/{pk}/acknowledge/", {"version": 1})
    api.force_authenticate(manager)
    assert (
        api.post(f"/api/v1/procedures/{pk}/acknowledge/", {}, format="json").status_code == 403
    )  # not a member
    state = api.get(f"/api/v1/procedures/{pk}/acknowledgements/").json()
    assert state["version"] == 1
    assert [row["username"] for row in state["acknowledged"]] == ["alice"]
    assert [row["username"] for row in state["pending"]] == ["bob"]
    # A new version: everyone acknowledges again; the old version is refused.
    post(api, f"/api/v1/procedures/{pk}/versions/", {"body": "v2", "steps": steps}, status=201)
    api.force_authenticate(bob)
    response = api.post(f"/api/v1/procedures/{pk}/acknowledge/", {"version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["version"] == 2
    post(api, f"/api/v1/procedures/{pk}/acknowledge/", {"version": 2})
    api.force_authenticate(manager)
    state = api.get(f"/api/v1/procedures/{pk}/acknowledgements/").json()
    assert [row["username"] for row in state["acknowledged"]] == ["bob"]
    assert [row["username"] for row in state["pending"]] == ["alice"]
    assert ReportingProcedure.objects.get().versions.count() == 2


def test_emergency_contacts_export_as_vcard_and_csv(api, as_role, client):
    manager = as_role("managers")
    team = TeamFactory(name="Network")
    EmergencyContact.objects.create(
        team=team,
        name="Ji-woo Park",
        role="On-call lead",
        phone="+82 2 555 0100",
        mobile="+82 10 5555 0101",
        email="jiwoo@example.org",
        position=1,
    )
    EmergencyContact.objects.create(team=team, name="=cmd()", phone="+1 555 0100", position=2)
    response = api.get(f"/api/v1/emergency-contacts/export/{team.pk}.vcf")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/vcard")
    cards = list(vobject.readComponents(response.content.decode()))
    assert cards[0].fn.value == "Ji-woo Park"
    assert {tel.value for tel in cards[0].contents["tel"]} == {"+82 2 555 0100", "+82 10 5555 0101"}
    assert cards[0].email.value == "jiwoo@example.org"
    response = api.get(f"/api/v1/emergency-contacts/export/{team.pk}.csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "name,role,organisation,phone,mobile,email"
    assert lines[1].startswith("Ji-woo Park,On-call lead")
    assert lines[2].startswith("'=cmd()")
    client.force_login(manager)
    assert client.get(f"/reports/risk-radar/contacts/{team.pk}.vcf").status_code == 200
    as_role("reporters")
    assert api.get(f"/api/v1/emergency-contacts/export/{team.pk}.csv").status_code == 403


def test_a_drill_finding_is_reminded_when_overdue_until_done(api, as_role):
    as_role("managers")
    owner = UserFactory()
    drill = post(
        api, "/api/v1/drills/", {"title": "Failover", "owner": owner.pk, "interval_days": 0}, status=201
    )
    with time_machine.travel(T0, tick=False):
        run = post(
            api,
            f"/api/v1/drills/{drill['id']}/runs/",
            {
                "held_at": "2026-03-02T09:00:00Z",
                "findings": [
                    {"text": "Backup device off", "owner": owner.pk, "due_date": "2026-03-10"},
                    {"text": "Runbook outdated", "owner": owner.pk, "due_date": "2026-03-10"},
                ],
            },
            status=201,
        )
    done = post(api, f"/api/v1/drill-findings/{run['findings'][1]['id']}/done/")
    assert done["done_at"]
    timer_sweep(now=datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    notes = Notification.objects.filter(recipient=owner, reason="reminder")
    assert notes.count() == 1
    assert "Backup device off" in notes.get().title


def test_a_parent_categorys_checklist_covers_its_children(db):
    child = IncidentCategory.objects.filter(parent__isnull=False).select_related("parent").first()
    checklist = ResponseChecklist.objects.create(category=child.parent, name="Security first steps")
    ChecklistItem.objects.create(checklist=checklist, position=1, title="Tell the security desk")
    own = ResponseChecklist.objects.create(category=child, name="Own")
    ChecklistItem.objects.create(checklist=own, position=1, title="Own step")
    incident = incident_create(by=None, title="Child", impact=3, urgency=3, category=child)
    assert set(incident.tasks.values_list("title", flat=True)) == {"Tell the security desk", "Own step"}
