"""The risks pages in every language: nothing Vigil translates is left in English (the check of
tests/i18n/test_languages.py) on the radar, the report form and the risk admin."""

import pytest
from django.test import Client

from escalation.models import UserProfile
from risks.radar import radar_snapshot
from risks.services import risk_create
from tests.i18n.test_languages import CODES, untranslated
from tests.incidents.factories import UserFactory

from .factories import AreaFactory, KRIFactory


@pytest.mark.django_db
@pytest.mark.parametrize("code", CODES)
def test_the_risk_pages_in_each_language(client: Client, code: str) -> None:
    from django.utils import timezone

    manager = UserFactory(role="managers", is_staff=True)
    UserProfile.objects.create(user=manager, language=code)
    area = AreaFactory(name="Payments")
    risk = risk_create(
        by=None,
        title="Card processor outage",
        area=area,
        category="supplier",
        inherent_likelihood=4,
        inherent_impact=4,
    )
    kri = KRIFactory(name="CPU", yellow=80, red=90)
    kri.risks.add(risk)
    radar_snapshot(at=timezone.now())
    client.force_login(manager)
    for url in (
        "/reports/risk-radar/",
        "/report-risk/",
        "/admin/risks/",
        "/admin/risks/risk/",
        f"/admin/risks/risk/{risk.pk}/change/",
        f"/admin/risks/kri/{kri.pk}/change/",
        "/admin/risks/drill/add/",
        *(
            f"/admin/risks/{model}/"
            for model in (
                "riskmatrix",
                "area",
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
            )
        ),
        "/admin/risks/area/add/",
        "/admin/risks/kri/add/",
        "/admin/risks/riskmatrix/add/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert untranslated(response.content.decode(), code) == [], url
