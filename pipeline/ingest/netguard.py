"""Refuse to connect to private, loopback and other non-public addresses.

The check runs where the socket connects, after DNS resolution, on every connection (so on
every redirect hop too): a public name that resolves to 10.0.0.1 is caught, and the socket is
opened to the very address that was checked, so a second lookup cannot swap it (DNS
rebinding). `host:port` pairs the user allowed in sources.yaml skip the check.

It reaches httpx through public seams only: `GuardedBackend` is an httpcore network backend
(httpcore's documented `network_backend=` of `AsyncConnectionPool`), and `GuardedTransport` is
an `httpx.AsyncBaseTransport` (httpx's documented custom-transport API) over that pool.

    httpcore.ConnectError
     └─ GuardError            the guard would not connect; carries the host
         ├─ AddressRefused    the name resolved to a non-public address
         └─ DnsFailed         the name did not resolve
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager

import anyio
import httpcore
import httpx

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


class GuardError(httpcore.ConnectError):
    """A connection the guard would not open to `host` (the name as the URL gave it)."""

    def __init__(self, message: str, host: str) -> None:
        super().__init__(message)
        self.host = host


class AddressRefused(GuardError):
    """`host` resolved to `address`, which is not on the public internet."""

    def __init__(self, host: str, port: int, address: Address) -> None:
        super().__init__(
            f"{REFUSED_MARK} {address} for {host}:{port} (allow it under network.allow in sources.yaml)",
            host,
        )
        self.port = port
        self.address = address


class DnsFailed(GuardError):
    """`host` did not resolve to any address."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"DNS lookup failed for {host}: {reason}", host)


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
            raise DnsFailed(host, str(exc)) from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:  # fail closed
            raise DnsFailed(host, "no address")
        # every answer is checked, not just the one we connect to: a resolver that mixes a
        # public address with a private one is hostile, and the next lookup may prefer either
        for ip in addresses:
            if not is_public(ip):
                raise AddressRefused(host, port, ip)
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


# httpcore's exceptions and the httpx ones our callers catch, most specific first (httpx's
# own transport maps them the same way, but that mapping is private to it).
_TO_HTTPX: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """Raise httpcore's errors as httpx's, the original (a GuardError, say) as the cause."""
    try:
        yield
    except Exception as exc:
        for core, public in _TO_HTTPX:
            if isinstance(exc, core):
                raise public(str(exc)) from exc
        raise


class _Body(httpx.AsyncByteStream):
    """An httpcore response body, read as httpx reads a transport's stream."""

    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for chunk in self._response.aiter_stream():
                yield chunk

    async def aclose(self) -> None:
        with _as_httpx_errors():
            await self._response.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport whose every connection is made by `GuardedBackend`: HTTP/1.1, TLS
    verified by `ssl_context`, no proxy ever. Pass it to `httpx.AsyncClient(transport=...)`."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        allow: frozenset[str] = frozenset(),
        max_connections: int = 10,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=GuardedBackend(allow),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):  # an async client always sends one
            raise TypeError("GuardedTransport serves httpx.AsyncClient only")
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,  # the timeouts httpx was given travel here
        )
        with _as_httpx_errors():
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        with _as_httpx_errors():
            await self._pool.aclose()
