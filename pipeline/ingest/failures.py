"""What a failed request means: a host's request to wait (429/503 with Retry-After), and the
kind of a failure before any response, told by the classes of its exceptions, never their text."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from pipeline.ingest.netguard import AddressRefused, DnsFailed
from pipeline.models import ErrorKind

DEFAULT_PAUSE = timedelta(hours=1)  # a 429 that names no time
MAX_PAUSE = timedelta(days=7)


def retry_after(status: int, value: str, now: datetime) -> datetime | None:
    """When a 429 or 503 received at `now` says to come back: Retry-After in seconds or as
    an HTTP date, measured from `now` (the run's clock, so a run at a fixed time is repeatable).

    A 429 without the header still pauses the host, for DEFAULT_PAUSE; a 503 without it
    is an ordinary failure. A pause is capped at MAX_PAUSE.
    """
    if status not in (429, 503):
        return None
    value = value.strip()
    when: datetime | None = None
    if value.isdigit():
        when = now + timedelta(seconds=int(value))
    elif value:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    if when is None:
        return now + DEFAULT_PAUSE if status == 429 else None
    return min(max(when, now), now + MAX_PAUSE)


_TIMEOUTS = (
    (httpx.ConnectTimeout, "connect timed out"),
    (httpx.ReadTimeout, "timed out waiting for the server to answer (read timeout)"),
    (httpx.WriteTimeout, "timed out sending the request (write timeout)"),
    (httpx.PoolTimeout, "timed out waiting for a free connection (pool timeout)"),
)


def classify_error(exc: httpx.HTTPError) -> tuple[ErrorKind, str]:
    """The kind of a request that failed with `exc` before any response, and the message a
    user sees. Decided by the classes of `exc` and of the exceptions it wraps, never by text."""
    text = str(exc)
    if isinstance(exc, httpx.TimeoutException):
        # httpx often gives no text for a timeout: say which wait ran out
        what = next((said for kind, said in _TIMEOUTS if isinstance(exc, kind)), "timed out")
        return ErrorKind.TIMEOUT, f"{what}: {text}" if text else what
    if not isinstance(exc, httpx.ConnectError):
        return ErrorKind.CONNECT, f"{type(exc).__name__}: {text}"
    for inner in _wrapped(exc):
        if isinstance(inner, AddressRefused):
            return ErrorKind.REFUSED, str(inner)
        if isinstance(inner, DnsFailed):
            return ErrorKind.DNS, str(inner)
        if isinstance(inner, ssl.SSLError):
            return ErrorKind.TLS, f"TLS error: {text}"
        if isinstance(inner, socket.gaierror):  # an allowed host, resolved by the OS at connect
            return ErrorKind.DNS, f"DNS lookup failed: {text}"
    return ErrorKind.CONNECT, f"cannot connect: {text or type(exc).__name__}"


def _wrapped(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps, outermost first. httpx raises its own error from httpcore's,
    which httpcore raised from the socket's; its pool re-raises with `from None`, which drops
    `__cause__` but keeps `__context__`, so both links are followed."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ if current.__cause__ is not None else current.__context__
