"""Readings pushed at once by several monitoring tools (real HTTP requests on real connections, PostgreSQL):
every reading is stored once, the KRI is evaluated one batch after the other, and a red is told once."""

import json
import threading
import urllib.request

import pytest

from escalation.models import Notification
from risks.models import KRIReading, KRIStateChange
from risks.services import risk_create
from tests.incidents.factories import IntegrationFactory, UserFactory
from tests.services import require_postgres

from .factories import AreaFactory, KRIFactory

CLIENTS = 8
PER_BATCH = 25


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_are_all_stored_and_red_is_told_once(live_server):
    require_postgres()
    owner = UserFactory()
    risk = risk_create(by=None, title="Capacity", area=AreaFactory(), category="system_failure", owner=owner)
    kri = KRIFactory(yellow=80, red=90, hysteresis=2)
    kri.risks.add(risk)
    key = IntegrationFactory().key
    url = f"{live_server.url}/api/v1/kris/{kri.pk}/readings/"
    start = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        body = json.dumps([{"value": 95 + (i % 3)} for i in range(PER_BATCH)]).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"X-Vigil-Integration-Key": key, "Content-Type": "application/json"},
        )
        start.wait()
        with urllib.request.urlopen(request, timeout=60) as response, lock:
            statuses.append(response.status)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [201] * CLIENTS
    assert KRIReading.objects.filter(kri=kri).count() == CLIENTS * PER_BATCH
    assert list(KRIStateChange.objects.filter(kri=kri).values_list("to_state", flat=True)) == ["red"]
    assert Notification.objects.filter(recipient=owner, reason="kri.red").count() == 1
