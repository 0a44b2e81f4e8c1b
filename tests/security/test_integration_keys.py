"""An integration's key acts only on its own endpoints: not on another kind's, and never as an API token."""

import pytest

from incidents.models import Alert, IntegrationKind
from tests.incidents.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def test_a_key_is_not_an_api_token(client):
    integration = IntegrationFactory(kind=IntegrationKind.GENERIC)
    for path in ("/api/v1/incidents/", "/api/v1/integrations/", "/api/v1/audit-log/"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Token {integration.key}")
        assert response.status_code == 401, (path, response.content)


def test_a_key_posts_only_to_its_own_kind_of_endpoint(client):
    generic = IntegrationFactory(kind=IntegrationKind.GENERIC)
    body = {
        "version": "4",
        "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "x"}}],
    }
    response = client.post(
        f"/api/v1/integrations/{generic.key}/alertmanager/", body, content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    assert not Alert.objects.exists()
    own = client.post(
        f"/api/v1/integrations/{generic.key}/generic/",
        {"title": "disk full", "dedup_key": "d1"},
        content_type="application/json",
    )
    assert own.status_code in (200, 201, 202), own.content
