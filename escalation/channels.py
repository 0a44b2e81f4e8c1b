"""The wire: how one notification leaves over e-mail, Apprise or a signed webhook.

Called only by `escalation.outbox.notification_deliver`, outside any transaction. Signature format and
headers are documented in docs/escalation.md."""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import EmailMessage

from .models import Channel, Notification
from .outbound import outbound_guard

USER_AGENT = "Vigil-Webhook/1"


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status_code: int | None = None
    error: str = ""


# What a refused delivery records: the rule, never what the address answered or which internal address it was.
REFUSED_ERROR = "Refused: the address is not public (VIGIL_OUTBOUND_ALLOW allows networks and hosts)."


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `timestamp + "." + body` under the secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def webhook_body(notification: Notification) -> bytes:
    return json.dumps(notification.payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def _secret(notification: Notification) -> str:
    if notification.subscription_id and notification.subscription:
        return notification.subscription.secret
    if notification.contact_method_id and notification.contact_method:
        return notification.contact_method.secret
    return ""


def send_webhook(notification: Notification) -> DeliveryResult:
    body = webhook_body(notification)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": notification.idempotency_key,
        "X-Vigil-Delivery": str(notification.pk),
        "X-Vigil-Event": notification.reason,
        "X-Vigil-Timestamp": timestamp,
    }
    secret = _secret(notification)
    if secret:
        headers["X-Vigil-Signature"] = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    with outbound_guard(hosts=(_host(notification.address),)) as guard:
        try:
            # The body is never read: stream=True and a close, so an answer cannot be stored or shown to agents.
            with requests.post(
                notification.address,
                data=body,
                headers=headers,
                timeout=(settings.VIGIL_WEBHOOK_CONNECT_TIMEOUT, settings.VIGIL_WEBHOOK_READ_TIMEOUT),
                allow_redirects=False,
                stream=True,
            ) as response:
                status = response.status_code
        except requests.RequestException as error:
            if guard.refused:
                return DeliveryResult(ok=False, error=REFUSED_ERROR)
            return DeliveryResult(ok=False, error=type(error).__name__)
    if 200 <= status < 300:
        return DeliveryResult(ok=True, status_code=status)
    return DeliveryResult(ok=False, status_code=status, error=f"HTTP {status}")


def send_email(notification: Notification) -> DeliveryResult:
    # A Message-ID derived from the idempotency key: a resend after a crash carries the same id, which mail
    # clients and archives use to fold duplicates.
    digest = hashlib.sha256(notification.idempotency_key.encode()).hexdigest()[:32]
    message = EmailMessage(
        subject=notification.title,
        body=notification.body,
        to=[notification.address],
        headers={"Message-ID": f"<{digest}@vigil>", "Idempotency-Key": notification.idempotency_key},
    )
    try:
        message.send(fail_silently=False)
    except Exception as error:  # SMTP and backend errors have no common base class
        return DeliveryResult(ok=False, error=f"{type(error).__name__}: {error}")
    return DeliveryResult(ok=True)


def send_apprise(notification: Notification) -> DeliveryResult:
    import apprise

    plugin = apprise.Apprise.instantiate(notification.address, suppress_exceptions=True)
    if plugin is None:
        return DeliveryResult(ok=False, error="Apprise does not understand this URL.")
    with outbound_guard(hosts=(str(getattr(plugin, "host", "") or ""),)) as guard:
        try:
            ok = plugin.notify(title=notification.title, body=notification.body)
        except Exception as error:  # plugins raise what their libraries raise
            ok, failure = False, type(error).__name__
        else:
            failure = "Apprise reported a failed delivery."
    if guard.refused:
        return DeliveryResult(ok=False, error=REFUSED_ERROR)
    return DeliveryResult(ok=bool(ok), error="" if ok else failure)


def private_address(channel: str, address: str) -> str:
    """An address fit to show someone other than its owner. Apprise URLs carry the service's tokens and
    passwords, so they are shown in Apprise's own redacted form (`tgram://1...Z/12345`)."""
    if channel != Channel.APPRISE:
        return address
    import apprise

    plugin = apprise.Apprise.instantiate(address, suppress_exceptions=True)
    if plugin is None:
        return address.split("://", 1)[0] + "://..."
    return str(plugin.url(privacy=True))


SENDERS = {Channel.WEBHOOK: send_webhook, Channel.EMAIL: send_email, Channel.APPRISE: send_apprise}


def channel_send(notification: Notification) -> DeliveryResult:
    return SENDERS[Channel(notification.channel)](notification)
