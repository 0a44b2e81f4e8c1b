"""Outbound requests go to public addresses only (escalation/outbound.py): refused at save time with a 400,
and refused at send time on the address actually connected to, unless VIGIL_OUTBOUND_ALLOW allows it.

The test settings allow loopback for the other tests' receivers; these tests empty the list to prove the refusal
against the same real receiver on 127.0.0.1."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.channels import REFUSED_ERROR
from escalation.models import Channel, ContactMethod, DeliveryAttempt, Notification
from escalation.outbound import address_public
from escalation.outbox import notification_deliver, notification_write
from tests.escalation.factories import ContactMethodFactory
from tests.escalation.receiver import webhook_receiver
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def write(address: str, channel: str = Channel.WEBHOOK, **fields) -> Notification:
    notification = notification_write(
        subject=IncidentFactory(),
        reason="test",
        channel=channel,
        address=address,
        idempotency_key=f"k-{address}",
        title="Hello",
        body="World",
        payload={"event": "test"},
        **fields,
    )
    assert notification is not None
    return notification


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space (CGNAT)
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
    ],
)
def test_non_public_addresses_are_not_public(address):
    assert not address_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address):
    assert address_public(ipaddress.ip_address(address))


@given(
    st.ip_addresses(network="10.0.0.0/8")
    | st.ip_addresses(network="127.0.0.0/8")
    | st.ip_addresses(v=6, network="fc00::/7")
)
def test_no_private_or_loopback_address_is_public(ip):
    assert not address_public(ip)


def test_a_webhook_to_loopback_is_refused_at_send_time_and_nothing_reaches_it(settings):
    """Saved while loopback was allowed (or DNS said otherwise): the guard checks the address it connects to."""
    settings.VIGIL_OUTBOUND_ALLOW = []
    with webhook_receiver() as receiver:
        notification = write(receiver.url)
        assert notification_deliver(notification_id=notification.pk) == "retry"
        # By name too: localhost resolves to loopback at connect time.
        by_name = write(receiver.url.replace("127.0.0.1", "localhost"))
        assert notification_deliver(notification_id=by_name.pk) == "retry"
    assert receiver.requests == []
    assert {attempt.error for attempt in DeliveryAttempt.objects.all()} == {REFUSED_ERROR}
    assert "127.0.0.1" not in REFUSED_ERROR


def test_an_apprise_url_to_loopback_is_refused_at_send_time(settings):
    settings.VIGIL_OUTBOUND_ALLOW = []
    with webhook_receiver() as receiver:
        notification = write(receiver.url.replace("http://", "json://"), channel=Channel.APPRISE)
        assert notification_deliver(notification_id=notification.pk) == "retry"
    assert receiver.requests == []
    notification.refresh_from_db()
    assert notification.last_error == REFUSED_ERROR


def test_an_operator_allows_a_host_by_name(settings):
    settings.VIGIL_OUTBOUND_ALLOW = ["localhost"]
    with webhook_receiver() as receiver:
        allowed = write(receiver.url.replace("127.0.0.1", "localhost"))
        assert notification_deliver(notification_id=allowed.pk) == "sent"
        # The name is allowed, not the address behind it.
        by_address = write(receiver.url)
        assert notification_deliver(notification_id=by_address.pk) == "retry"
    assert len(receiver.requests) == 1


def test_an_operator_allows_a_network(settings):
    settings.VIGIL_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    with webhook_receiver() as receiver:
        notification = write(receiver.url)
        assert notification_deliver(notification_id=notification.pk) == "sent"
    assert len(receiver.requests) == 1


def test_the_answer_of_a_receiver_is_never_stored(settings):
    with webhook_receiver() as receiver:
        receiver.statuses = [500]
        notification = write(receiver.url)
        assert notification_deliver(notification_id=notification.pk) == "retry"
    notification.refresh_from_db()
    assert notification.last_error == "HTTP 500"
    assert DeliveryAttempt.objects.get().status_code == 500


@pytest.mark.parametrize(
    ("channel", "address"),
    [
        (Channel.WEBHOOK, "http://127.0.0.1:8080/hook"),
        (Channel.WEBHOOK, "http://169.254.169.254/latest/meta-data/"),
        (Channel.WEBHOOK, "http://[::1]/"),
        (Channel.WEBHOOK, "http://localhost/"),
        (Channel.WEBHOOK, "https://10.0.0.5/"),
        (Channel.APPRISE, "json://192.168.0.10/notify"),
        (Channel.APPRISE, "mmost://127.0.0.1/abcdefghijklmnopqrstuvwxyz"),
    ],
)
def test_contact_methods_to_internal_addresses_are_refused_with_a_400(
    api, as_role, settings, channel, address
):
    settings.VIGIL_OUTBOUND_ALLOW = []
    as_role("agents")
    response = api.post("/api/v1/contact-methods/", {"channel": channel, "address": address}, format="json")
    assert response.status_code == 400, response.content
    assert "not a public address" in str(response.json())
    assert not ContactMethod.objects.exists()


def test_a_public_webhook_is_accepted_and_an_allowed_network_too(api, as_role, settings):
    settings.VIGIL_OUTBOUND_ALLOW = []
    as_role("agents")
    public = api.post(
        "/api/v1/contact-methods/",
        {"channel": "webhook", "address": "https://93.184.215.14/hook"},
        format="json",
    )
    assert public.status_code == 201, public.content
    settings.VIGIL_OUTBOUND_ALLOW = ["10.0.0.0/8"]
    internal = api.post(
        "/api/v1/contact-methods/", {"channel": "webhook", "address": "https://10.0.0.5/hook"}, format="json"
    )
    assert internal.status_code == 201, internal.content


def test_webhook_subscriptions_to_internal_addresses_are_refused(api, as_role, settings):
    settings.VIGIL_OUTBOUND_ALLOW = []
    as_role("managers")
    response = api.post(
        "/api/v1/webhook-subscriptions/",
        {"name": "probe", "url": "http://169.254.169.254/latest/"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["url"]


def test_the_admin_form_refuses_an_internal_address(settings):
    settings.VIGIL_OUTBOUND_ALLOW = []
    method = ContactMethodFactory.build(channel=Channel.WEBHOOK, address="http://192.168.1.1/")
    with pytest.raises(Exception, match="not a public address"):
        method.full_clean()


def test_a_webhook_subscription_is_checked_by_the_admins_form_too(settings):
    from escalation.models import WebhookSubscription

    settings.VIGIL_OUTBOUND_ALLOW = []
    subscription = WebhookSubscription(name="probe", url="http://10.0.0.8/hook")
    with pytest.raises(Exception, match="not a public address"):
        subscription.full_clean()
    settings.VIGIL_OUTBOUND_ALLOW = ["10.0.0.0/24"]
    subscription.full_clean()


def test_the_guard_refuses_datagrams_and_connections_alike(settings):
    """Under the guard, every socket of the thread is checked: a UDP datagram to loopback too (Apprise has
    plugins that send UDP), while outside it nothing is checked."""
    import socket

    from escalation.outbound import OutboundRefused, outbound_guard

    settings.VIGIL_OUTBOUND_ALLOW = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        with outbound_guard() as guard, pytest.raises(OutboundRefused):
            udp.sendto(b"probe", ("127.0.0.1", 9))
        assert guard.refused == ["127.0.0.1"]
        udp.sendto(b"not guarded", ("127.0.0.1", 9))
    with socket.socket() as tcp, outbound_guard(), pytest.raises(OutboundRefused):
        tcp.connect(("169.254.169.254", 80))
    # A name given to connect() itself is resolved after any check: refused, whatever it resolves to.
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
        outbound_guard(),
        pytest.raises(OutboundRefused),
    ):
        udp.sendto(b"probe", ("localhost", 9))
