"""Where Vigil may connect to on someone's behalf: webhooks, Apprise URLs and contact-method tests.

A URL typed by a user must not turn the worker into a probe of the internal network (loopback, cloud
metadata on link-local addresses, private ranges). Two checks, one rule (`address_allowed`):

- at save time (`url_check`, from the models' `clean()`): a literal address or a name that resolves to a
  non-public address is refused with a clear error. DNS can change after the save, so this is only a courtesy.
- at send time (`outbound_guard`): while a delivery runs, every socket the thread opens (requests, Apprise's
  plugins, smtplib, whatever library a plugin uses) is checked on the address it actually connects to, through
  Python's `socket.connect` audit event. The check and the connection use the same address, so a name that
  resolves to a public address at check time and to 127.0.0.1 at connect time cannot slip through.

An operator allows on-premises receivers with `VIGIL_OUTBOUND_ALLOW` (comma-separated CIDRs and host names)."""

from __future__ import annotations

import contextvars
import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundRefused(OSError):
    """A connection to an address that is not public and not allowed. An OSError, so that every library
    treats it as a failed connection (closes the socket, tries the next address, reports a failure)."""


@dataclass(frozen=True)
class Allowance:
    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()


def allowance() -> Allowance:
    """`VIGIL_OUTBOUND_ALLOW` parsed: entries that parse as an address or a network are networks, the rest
    host names (compared without case and without a trailing dot)."""
    networks: list[IPNetwork] = []
    hosts: set[str] = set()
    for entry in getattr(settings, "VIGIL_OUTBOUND_ALLOW", []):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.lower().rstrip("."))
    return Allowance(tuple(networks), frozenset(hosts))


def _normalised(ip: IPAddress) -> IPAddress:
    # ::ffff:127.0.0.1 reaches 127.0.0.1: judge the IPv4 address it carries.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_public(ip: IPAddress) -> bool:
    """Global unicast: not loopback, link-local, private, shared (CGNAT), reserved, multicast or unspecified."""
    ip = _normalised(ip)
    return ip.is_global and not ip.is_multicast


def address_allowed(ip: IPAddress, allowed: Allowance | None = None) -> bool:
    allowed = allowance() if allowed is None else allowed
    ip = _normalised(ip)
    return address_public(ip) or any(
        ip in network for network in allowed.networks if ip.version == network.version
    )


def host_allowed_by_name(host: str, allowed: Allowance | None = None) -> bool:
    allowed = allowance() if allowed is None else allowed
    return host.lower().rstrip(".") in allowed.hosts


REFUSED_MESSAGE = _("%(host)s is not a public address; Vigil does not send to it (see VIGIL_OUTBOUND_ALLOW).")


def host_check(host: str) -> None:
    """Save-time check of a host name or literal address. A name that does not resolve now is accepted: the
    send-time guard decides when it is used."""
    host = host.strip("[]")
    if not host or host_allowed_by_name(host):
        return
    allowed = allowance()
    try:
        addresses: set[IPAddress] = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}
    if not all(address_allowed(ip, allowed) for ip in addresses):
        raise ValidationError(REFUSED_MESSAGE, code="address_not_public", params={"host": host})


def url_check(url: str) -> None:
    """Save-time check of a URL's host (webhooks, Apprise URLs with a host)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return  # the URL validators say what is wrong with it
    host_check(host)


# ---- send time -------------------------------------------------------------------------------------------


@dataclass
class Guard:
    allowed: Allowance
    # Addresses of the host names the operator allowed, resolved when the guard starts.
    extra: set[IPAddress] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)

    def check(self, ip: IPAddress) -> bool:
        return ip in self.extra or _normalised(ip) in self.extra or address_allowed(ip, self.allowed)


_current: contextvars.ContextVar[Guard | None] = contextvars.ContextVar("vigil_outbound_guard", default=None)
_hook_lock = threading.Lock()
_hook_installed = False


# Connections (TCP, and UDP sockets that connect first) and datagrams sent to an address (Apprise's syslog-like
# plugins send UDP without connecting).
_GUARDED_EVENTS = frozenset({"socket.connect", "socket.sendto"})


def _audit(event: str, args: tuple) -> None:
    if event not in _GUARDED_EVENTS:
        return
    guard = _current.get()
    if guard is None:
        return
    sock, address = args[0], args[1]
    if not isinstance(address, tuple) or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets (a local syslog, say) are no network probe
    host = str(address[0])
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        # A name handed to connect() is resolved inside the call, after any check we could make here: a name
        # that answers differently each time (DNS rebinding) would slip through. The libraries we use resolve
        # first and connect to addresses; a name is refused unless the operator allowed it by name.
        if host_allowed_by_name(host, guard.allowed):
            return
        guard.refused.append(host)
        raise OutboundRefused(
            f"refused to connect to {host} by name: only checked addresses are reached"
        ) from None
    if not guard.check(ip):
        guard.refused.append(str(ip))
        raise OutboundRefused(f"refused to connect to {ip}: not a public address")


def _install() -> None:
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            # Audit hooks cannot be removed: this one does nothing unless a guard is active in this context.
            sys.addaudithook(_audit)
            _hook_installed = True


@contextmanager
def outbound_guard(*, hosts: tuple[str, ...] = ()) -> Iterator[Guard]:
    """Refuse every connection this thread (and the threads Apprise starts with a copy of its context) opens
    to a non-public, non-allowed address while the block runs. `hosts`: the names the delivery is for; those
    the operator allowed by name have their addresses allowed for this delivery."""
    _install()
    guard = Guard(allowed=allowance())
    for host in hosts:
        if host and host_allowed_by_name(host, guard.allowed):
            try:
                infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except OSError:
                continue
            guard.extra |= {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}
    token = _current.set(guard)
    try:
        yield guard
    finally:
        _current.reset(token)
