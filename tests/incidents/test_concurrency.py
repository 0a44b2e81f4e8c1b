"""Concurrent transitions on PostgreSQL, through real HTTP requests on real connections."""

import json
import threading
import urllib.error
import urllib.request

import pytest

from config.authentication import api_token_create
from incidents.models import TimelineEvent
from incidents.services import incident_create
from tests.services import require_postgres

from .factories import UserFactory

CLIENTS = 20


def _post(url: str, token: str) -> int:
    request = urllib.request.Request(
        url,
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        body = json.loads(error.read())
        assert body["code"] == "transition_not_allowed"
        return error.code


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_acknowledges_one_wins(live_server):
    require_postgres()
    agent = UserFactory(role="agents")
    token = api_token_create(user=agent)
    incident = incident_create(by=agent, title="Everyone grabs it", impact=1, urgency=1)
    url = f"{live_server.url}/api/v1/incidents/{incident.pk}/acknowledge/"
    start = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        start.wait()
        status = _post(url, token)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200] + [409] * (CLIENTS - 1)
    events = TimelineEvent.objects.filter(incident=incident, transition="acknowledge")
    assert events.count() == 1
    incident.refresh_from_db()
    assert incident.state == "acknowledged"
