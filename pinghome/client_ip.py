"""The client's address, believing X-Forwarded-For only from configured trusted proxies."""

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=1)
def _trusted(config: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in config)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(meta: dict) -> str | None:
    """REMOTE_ADDR, or, when it is a trusted proxy, the right-most untrusted X-Forwarded-For hop."""
    remote = meta.get("REMOTE_ADDR") or None
    networks = _trusted(tuple(settings.TRUSTED_PROXIES))
    if not networks or remote is None or not _is_trusted(remote, networks):
        return _valid(remote)
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return _valid(hop)
    return _valid(hops[0]) if hops else _valid(remote)


@lru_cache(maxsize=4096)  # senders are few: most requests come from an address seen before
def _valid(address: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None
