"""Outgoing HTTP to addresses users give us (notification webhooks): public addresses only, and
the connection goes to the address that was checked.

``public_destination(url)`` resolves the URL's host once and refuses it when any address it
resolves to is not public, whatever its spelling: IPv4 written in decimal, octal or hex
(``http://2130706433/``, resolved as the C library reads them), IPv6 that embeds an IPv4 address
(``::127.0.0.1``, ``::ffff:10.0.0.1``, 6to4, Teredo, NAT64) judged by that IPv4 address.
``pinned_session(destination)`` then connects to that very address, with the URL's host name in
the ``Host`` header, as TLS server name and for the certificate check: a second DNS answer
(rebinding) is never asked for. ``NOTIFY_ALLOW_PRIVATE_ADDRESSES`` lifts the public-only rule
(tests, a private network), not the pinning.

Libraries that make their own connections (Apprise's services) cannot be handed a pinned
session: ``public_resolution()`` checks, in the current thread, every address any host name
resolves to before the library connects to it (``socket.getaddrinfo`` is wrapped once, at
import; other threads resolve as before). The address connected to is the address checked, so
a second DNS answer cannot reach a private address, nor can a redirect or a service's own host.
"""

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class UnsafeDestination(ValueError):
    """The URL may not be called; ``permanent`` unless its host could not be resolved."""

    def __init__(self, message: str, *, permanent: bool = True):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Destination:
    url: str
    hostname: str
    address: Address  # where to connect: checked, never resolved again


def embedded_ipv4(address: Address) -> Address:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64), else
    the address itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's (obfuscated) address, decoded
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public(address: Address) -> bool:
    """Reachable on the public Internet: not loopback, private, link-local, shared, reserved,
    unspecified or multicast, in any of its IPv6 spellings."""
    for candidate in {address, embedded_ipv4(address)}:
        if not candidate.is_global or candidate.is_multicast or candidate.is_reserved:
            return False
    return True


def _split(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeDestination("not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination("URL must be http(s) with a host")
    return parts.hostname, port


def _resolve(hostname: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(hostname, port, proto=socket.IPPROTO_TCP)
    except UnicodeError:  # not a host name at all (IDNA refuses it): it never will resolve
        raise UnsafeDestination(f"{hostname!r} is not a valid host name") from None
    except socket.gaierror as exc:
        raise UnsafeDestination(f"cannot resolve {hostname}: {exc}", permanent=False) from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _refuse_private(hostname: str, addresses: list[Address]) -> None:
    if settings.NOTIFY_ALLOW_PRIVATE_ADDRESSES:
        return
    for address in addresses:
        if not is_public(address):
            raise UnsafeDestination(f"{hostname} resolves to a non-public address ({address})")


def public_address(hostname: str, port: int) -> Address:
    """Resolve ``hostname`` (a name, or an IP address in any spelling, IPv6 with or without
    brackets) once; its first address, when every address it has is public."""
    hostname = hostname.removeprefix("[").removesuffix("]")
    addresses = _resolve(hostname, port)
    _refuse_private(hostname, addresses)
    return addresses[0]


def public_destination(url: str) -> Destination:
    """Resolve ``url``'s host once; its address, when every address it has is public."""
    hostname, port = _split(url)
    return Destination(url, hostname, public_address(hostname, port))


@dataclass
class Refusals:
    """What ``public_resolution`` refused in its thread: the reasons, last one last."""

    reasons: list[str] = field(default_factory=list)


_guarded = threading.local()
_system_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, port, *args, **kwargs):
    """``socket.getaddrinfo``; inside ``public_resolution``, an answer with a non-public
    address is refused as a failed lookup (the library reports it like any other)."""
    infos = _system_getaddrinfo(host, port, *args, **kwargs)
    refusals = getattr(_guarded, "refusals", None)
    if refusals is None or settings.NOTIFY_ALLOW_PRIVATE_ADDRESSES:
        return infos
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        _refuse_private(name, [ipaddress.ip_address(i[4][0].split("%")[0]) for i in infos])
    except UnsafeDestination as exc:
        refusals.reasons.append(str(exc))
        raise socket.gaierror(socket.EAI_NONAME, str(exc)) from None
    return infos


socket.getaddrinfo = _getaddrinfo


@contextmanager
def public_resolution() -> Iterator[Refusals]:
    """While inside, every host name this thread resolves must resolve to public addresses
    only (unless ``NOTIFY_ALLOW_PRIVATE_ADDRESSES``); what was refused is collected."""
    outer = getattr(_guarded, "refusals", None)
    _guarded.refusals = refusals = Refusals()
    try:
        yield refusals
    finally:
        _guarded.refusals = outer


class PinnedAddressAdapter(HTTPAdapter):
    """Connects to ``destination.address``; TLS names and checks ``destination.hostname``."""

    def __init__(self, destination: Destination):
        self.destination = destination
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        hostname = self.destination.hostname
        super().init_poolmanager(
            connections,
            maxsize,
            block,
            server_hostname=hostname,
            assert_hostname=hostname,
            **pool_kwargs,
        )

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        address = self.destination.address
        host = f"[{address}]" if address.version == 6 else str(address)
        netloc = f"{host}:{parts.port}" if parts.port else host
        request.headers["Host"] = parts.netloc.rpartition("@")[2]
        request.url = parts._replace(netloc=netloc).geturl()
        return super().send(request, **kwargs)


def pinned_session(destination: Destination) -> requests.Session:
    """A session whose requests to ``destination.url``'s origin go to the checked address."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would resolve the host again
    parts = urlsplit(destination.url)
    session.mount(f"{parts.scheme}://", PinnedAddressAdapter(destination))
    return session
