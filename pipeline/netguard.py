"""Refuse to connect to private, loopback and other non-public addresses.

The check runs where the socket connects, after DNS resolution, on every connection (so on
every redirect hop too): a public name that resolves to 10.0.0.1 is caught, and the socket is
opened to the very address that was checked, so a second lookup cannot swap it (DNS
rebinding). `host:port` pairs the user allowed in sources.yaml skip the check.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import anyio
import httpcore

REFUSED_MARK = "refused non-public address"

# Ranges refused even where Python's `is_global` has been wrong or lags behind IANA.
_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32",
    )
)  # fmt: skip
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(ip: Address) -> bool:
    """True for an address on the public internet; False for private, loopback, link-local,
    CGNAT, multicast, reserved, and IPv6 forms that embed such an IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            return is_public(ip.sixtofour)
    if any(ip in net for net in _BLOCKED if net.version == ip.version):
        return False
    return bool(ip.is_global) and not ip.is_multicast


def normalize_allow(pairs: Iterable[str]) -> frozenset[str]:
    """ "[::1]:8080" and "127.0.0.1:8080" as httpcore names them: host (no brackets) and port."""
    out = set()
    for pair in pairs:
        host, _, port = pair.strip().lower().rpartition(":")
        out.add(f"{host.strip('[]')}:{port}")
    return frozenset(out)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks every address, then connects."""

    def __init__(self, allow: frozenset[str] = frozenset()) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow = allow

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if f"{host.lower().strip('[]')}:{port}" in self._allow:
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"DNS lookup failed for {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:  # fail closed
            raise httpcore.ConnectError(f"DNS lookup failed for {host}: no address")
        for ip in addresses:
            if not is_public(ip):
                raise httpcore.ConnectError(
                    f"{REFUSED_MARK} {ip} for {host}:{port} (allow it under network.allow in sources.yaml)"
                )
        return await self._inner.connect_tcp(str(addresses[0]), port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
