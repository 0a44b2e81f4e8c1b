"""Approvers deciding at the same moment, over real HTTP on real connections (PostgreSQL): every decision is
counted once, and the change is approved exactly once."""

import threading
import urllib.error
import urllib.request

import pytest

from config.authentication import api_token_create
from incidents.changes.services import change_create, change_transition
from incidents.models import ChangeApproval, ChangeLogEntry
from tests.incidents.factories import ServiceFactory, UserFactory
from tests.services import require_postgres

APPROVERS = 6


def _post(url: str, token: str) -> int:
    request = urllib.request.Request(
        url,
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_are_each_counted_and_approve_once(live_server):
    require_postgres()
    change = change_create(
        by=None, title="Swap the load balancer", risk_level="critical", services=[ServiceFactory()]
    )
    change_transition(change_id=change.pk, name="submit", by=None)
    people = [UserFactory(role="managers" if i == 0 else "agents") for i in range(APPROVERS)]
    tokens = [api_token_create(user=person) for person in people]
    url = f"{live_server.url}/api/v1/changes/{change.pk}/approve/"
    start = threading.Barrier(APPROVERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def client(token: str) -> None:
        start.wait()
        status = _post(url, token)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=client, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Critical needs 3 approvals, one of them a manager's: whoever comes after the change is approved is told
    # it is no longer waiting (409); nobody's decision is lost or counted twice.
    change.refresh_from_db()
    assert change.state == "approved"
    approvals = ChangeApproval.objects.filter(change=change)
    assert statuses.count(200) == approvals.count()
    assert set(statuses) <= {200, 409}
    assert approvals.filter(as_manager=True).count() == 1
    assert approvals.count() >= 3
    assert ChangeLogEntry.objects.filter(change=change, transition="approve").count() == 1
