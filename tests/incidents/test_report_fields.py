"""What a report must contain: occurred, detected, scope, who is affected, mitigated with the interim measure;
editable in the API and the admin, measured by the metrics, carried by the reporting rules' notice."""

import datetime as dt

import pytest
import time_machine

from escalation.models import Notification, ReportingRule
from incidents.metrics import metrics_for
from incidents.models import Incident, TimelineEvent
from tests.escalation.factories import StakeholderGroupFactory
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents/"
T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
REPORT = {
    "occurred_at": "2026-03-02T08:40:00Z",
    "detected_at": "2026-03-02T08:55:00Z",
    "impact_scope": "결제 API 전체 (모든 지역)",
    "affected_parties": "All card-paying customers",
}


def test_the_report_fields_are_set_read_and_changed_in_the_api(api, as_role):
    as_role("agents")
    with time_machine.travel(T0, tick=False):
        body = api.post(URL, {"title": "Payments down", "impact": 1, "urgency": 1, **REPORT}, format="json")
    assert body.status_code == 201, body.json()
    incident = body.json()
    assert incident["occurred_at"] == "2026-03-02T08:40:00Z"
    assert incident["impact_scope"] == REPORT["impact_scope"]
    assert incident["mitigated_at"] is None
    changed = api.patch(
        f"{URL}{incident['id']}/",
        {"mitigated_at": "2026-03-02T09:30:00Z", "interim_measure": "Traffic moved to the backup acquirer"},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["interim_measure"] == "Traffic moved to the backup acquirer"
    line = TimelineEvent.objects.filter(incident_id=incident["id"], kind="change").get()
    assert line.data["changes"]["mitigated_at"] == [None, "2026-03-02T09:30:00+00:00"]


@pytest.mark.parametrize("field", ["detected_at", "mitigated_at"])
def test_a_milestone_before_the_incident_occurred_is_refused(api, as_role, field):
    as_role("agents")
    body = {"title": "x", "impact": 3, "urgency": 3, "occurred_at": "2026-03-02T08:40:00Z"}
    answer = api.post(URL, {**body, field: "2026-03-02T08:00:00Z"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert not Incident.objects.exists()


def test_the_admin_edits_the_report(client):
    client.force_login(UserFactory(role="agents", is_staff=True))
    page = client.get("/admin/incidents/incident/add/")
    assert page.status_code == 200
    for name in REPORT | {"mitigated_at": None, "interim_measure": None}:
        assert f'name="{name}' in page.content.decode()


def test_time_to_detect_and_to_mitigate_count_plain_incidents(api, as_role):
    as_role("agents")
    with time_machine.travel(T0, tick=False):
        api.post(
            URL,
            {"title": "a", "impact": 3, "urgency": 3, **REPORT, "mitigated_at": "2026-03-02T09:20:00Z"},
            format="json",
        )
        api.post(URL, {"title": "b", "impact": 3, "urgency": 3}, format="json")  # nothing recorded
    figures = metrics_for(Incident.objects.all(), since=T0 - dt.timedelta(days=1), until=T0 + dt.timedelta(1))
    assert figures["incident_count"] == 2
    assert figures["detect_count"] == 1
    assert figures["mttd_seconds"] == 15 * 60  # 08:40 -> 08:55
    assert figures["mitigate_count"] == 1
    assert figures["mttm_seconds"] == 20 * 60  # reported 09:00 -> mitigated 09:20


def test_the_reporting_rules_notice_carries_the_report(api, as_role):
    group = StakeholderGroupFactory(audience="management", addresses="ceo@example.org\n")
    ReportingRule.objects.create(name="P1 to management", priority=1, group=group, within_minutes=15)
    as_role("agents")
    with time_machine.travel(T0, tick=False):
        api.post(URL, {"title": "Payments down", "impact": 1, "urgency": 1, **REPORT}, format="json")
    notice = Notification.objects.get(reason="report")
    assert "must be told within 15 minutes" in notice.body
    assert "Priority: P1" in notice.body
    for text in (REPORT["impact_scope"], REPORT["affected_parties"], "8:40", "8:55", "Interim measure"):
        assert text in notice.body
