"""Similar past incidents, in every language the product ships."""

import pytest

from incidents.models import Incident
from postmortems.knowledge import bigram_similarity, similar_incidents
from tests.incidents.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def resolved(title: str, **fields) -> Incident:
    incident = IncidentFactory(title=title, **fields)
    Incident.objects.filter(pk=incident.pk).update(state="resolved", resolution_notes=f"fixed {title}")
    return incident


@pytest.mark.parametrize(
    ("new", "same", "other"),
    [
        ("Checkout returns 502 errors", "checkout returned 502 after deploy", "Printer out of paper"),
        ("결제 서버 장애 발생", "결제 서버 장애", "프린터 용지 부족"),
        ("サーバーが応答しません", "サーバー応答なし", "プリンターの紙切れ"),
        ("伺服器當機", "伺服器無回應", "印表機缺紙"),
        ("سرور از کار افتاد", "سرور کار نمی کند", "چاپگر کاغذ ندارد"),
    ],
)
def test_the_most_similar_resolved_incident_of_the_service_comes_first(new, same, other):
    service = ServiceFactory()
    match = resolved(same, service=service)
    resolved(other, service=service)
    IncidentFactory(title=same, service=service)  # open: not knowledge yet
    resolved(same)  # another service
    incident = IncidentFactory(title=new, service=service)
    found = similar_incidents(incident=incident)
    assert found[0]["id"] == match.pk
    assert found[0]["same_service"] is True
    assert found[0]["resolution_notes"] == f"fixed {same}"
    assert all(row["id"] != incident.pk for row in found)


def test_bigram_similarity_bounds():
    assert bigram_similarity("abc", "abc") == 1.0
    assert bigram_similarity("abc", "xyz") == 0.0
    assert 0 < bigram_similarity("결제 서버 장애", "결제 서버") < 1


def test_the_api_answers_similar_incidents(api, as_role):
    as_role("agents")
    service = ServiceFactory()
    match = resolved("Disk full on db-1", service=service)
    incident = IncidentFactory(title="Disk full on db-2", service=service)
    body = api.get(f"/api/v1/incidents/{incident.pk}/similar/").json()
    assert body["similar"][0]["reference"] == match.reference
    as_role("reporters")
    assert api.get(f"/api/v1/incidents/{incident.pk}/similar/").status_code == 404
