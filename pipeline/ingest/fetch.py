"""Fetch feeds and pages over HTTP: bounded, polite, concurrent.

One `httpx.AsyncClient` per call of `fetch_all`, with `trust_env=False` (an inherited proxy
must not do our DNS), connections made by `netguard.GuardedTransport` (no private addresses)
and our own redirect loop, so every hop is checked. Each request has a
total deadline that a server dribbling bytes cannot stretch, a cap on raw bytes and one on
decoded bytes (we decompress ourselves, so a gzip bomb stops at the cap), a polite
User-Agent, conditional GET, and a per-host concurrency limit. A failure's kind comes from
the classes of the exceptions raised, never from their text. The TLS settings (the system's
certificates) are loaded once per process: loading them takes about 40 ms of CPU, which a
`brief worker` fetching one page per call paid for every page (`make bench`, `scale.workers`).
"""

from __future__ import annotations

import asyncio
import functools
import os
import queue
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from pipeline import __version__
from pipeline.ingest.failures import classify_error, retry_after
from pipeline.ingest.netguard import GuardedTransport, normalize_allow
from pipeline.ingest.urls import host_of
from pipeline.models import ErrorKind, FetchRequest, FetchResult, Validators
from pipeline.settings import FETCH_KEYS

PROJECT_URL = "https://github.com/dailybrief/dailybrief"
DEFAULT_USER_AGENT = f"dailybrief/{__version__} (+{PROJECT_URL})"
FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
SNIFF_BYTES = 16  # enough of a body to recognise a binary format by its magic bytes
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
HTML_TYPES = ("text/html", "application/xhtml+xml")
BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"ID3",
    b"OggS",
    b"\x00\x00\x00",
)


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    feed_deadline: float = 30.0
    page_deadline: float = 45.0
    max_raw_bytes: int = 5 * 1024 * 1024
    max_decoded_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5
    concurrency: int = FETCH_KEYS["concurrency"].default  # sources.yaml's, declared in settings.py
    per_host: int = FETCH_KEYS["per_host"].default
    allow: tuple[str, ...] = ()  # private "host:port" pairs that may be fetched
    # the run's clock: a Retry-After date becomes a pause measured from it, not from the wall
    clock: Callable[[], datetime] = _wall_clock


class _FetchFailed(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def fetch_all(
    requests: Sequence[FetchRequest],
    settings: FetchSettings = FetchSettings(),
    on_done: Callable[[FetchResult], None] | None = None,
    paused: Mapping[str, datetime] | None = None,
) -> list[FetchResult]:
    """Fetch every request concurrently; results in request order. Never raises for a bad URL.

    `paused` maps hosts that asked us to wait to the time they named; their requests are not
    sent. A 429 or 503 during the call pauses its host for the rest of the call.
    """
    results: dict[int, FetchResult] = {}

    def done(index: int, result: FetchResult) -> None:
        results[index] = result
        if on_done is not None:
            on_done(result)

    if requests:
        asyncio.run(_fetch_all(requests, settings, done, dict(paused or {})))
    return [results[i] for i in range(len(requests))]


def fetch_each(
    requests: Sequence[FetchRequest],
    settings: FetchSettings = FetchSettings(),
    paused: Mapping[str, datetime] | None = None,
    window: int = 0,
) -> Generator[tuple[int, FetchResult], None, None]:
    """Fetch every request as `fetch_all` does, in a thread of its own, yielding (index in
    `requests`, result) as each completes, so the caller works on one page while the next
    ones arrive. At most `window` results (default: the concurrency) wait for the caller:
    the bodies held at once stay bounded however many pages there are. Closing the
    generator early stops the fetching."""
    if not requests:
        return
    handoff = _Handoff(window or settings.concurrency)
    worker = threading.Thread(
        target=handoff.run, args=(requests, settings, dict(paused or {})), name="fetch", daemon=True
    )
    worker.start()
    try:
        for _ in requests:
            item = handoff.results.get()
            if isinstance(item, BaseException):
                raise item
            handoff.taken()
            yield item
    finally:
        handoff.stop()
        worker.join()


class _Handoff:
    """The fetching side of `fetch_each`: an event loop in its own thread, and a gate that a
    request passes before it starts and that opens again only when the caller takes a result."""

    def __init__(self, window: int) -> None:
        self.results: queue.SimpleQueue[tuple[int, FetchResult] | BaseException] = queue.SimpleQueue()
        self._window = window
        self._lock = threading.Lock()  # guards the loop's lifetime against `taken` and `stop`
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._gate: asyncio.Semaphore | None = None
        self._stopped = False

    def run(
        self, requests: Sequence[FetchRequest], settings: FetchSettings, paused: dict[str, datetime]
    ) -> None:
        try:
            asyncio.run(self._fetch(requests, settings, paused))
        except asyncio.CancelledError:
            pass  # stopped by the caller, who no longer reads the results
        except BaseException as exc:  # raised in the caller's thread, where it can be handled
            self.results.put(exc)

    async def _fetch(
        self, requests: Sequence[FetchRequest], settings: FetchSettings, paused: dict[str, datetime]
    ) -> None:
        gate = asyncio.Semaphore(self._window)
        with self._lock:
            if self._stopped:
                return
            self._loop, self._gate = asyncio.get_running_loop(), gate
            self._task = asyncio.ensure_future(
                _fetch_all(requests, settings, lambda i, r: self.results.put((i, r)), paused, gate)
            )
        try:
            await self._task
        finally:
            with self._lock:
                self._loop = None

    def taken(self) -> None:
        """The caller took a result: one more request may start."""
        with self._lock:
            if self._loop is not None and self._gate is not None:
                self._loop.call_soon_threadsafe(self._gate.release)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._loop is not None and self._task is not None:
                self._loop.call_soon_threadsafe(self._task.cancel)


@functools.cache
def _tls(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """Certificates verified against the system's store, as `ssl.create_default_context` makes
    them (OpenSSL reads `SSL_CERT_FILE` and `SSL_CERT_DIR`, so one context per value of those);
    one context for every connection of the process: it holds no connection's state."""
    return ssl.create_default_context()


async def _fetch_all(
    requests: Sequence[FetchRequest],
    settings: FetchSettings,
    on_done: Callable[[int, FetchResult], None],
    paused: dict[str, datetime],
    gate: asyncio.Semaphore | None = None,
) -> None:
    """Fetch concurrently, handing each result to `on_done` (results are not kept here: a
    caller that drops them frees their bodies); a request first passes `gate`, if any,
    which the caller releases."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    overall = asyncio.Semaphore(settings.concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}

    transport = GuardedTransport(
        ssl_context=_tls(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")),
        allow=normalize_allow(settings.allow),
        max_connections=settings.concurrency,
    )
    async with httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": settings.user_agent},
    ) as client:

        async def one(index: int, req: FetchRequest) -> None:
            if gate is not None:
                await gate.acquire()
            host = host_of(req.url)
            per_host = hosts.setdefault(host, asyncio.Semaphore(settings.per_host))
            async with overall, per_host:
                if host in paused:
                    until = paused[host].strftime("%Y-%m-%d %H:%M UTC")
                    result = _failure(
                        req,
                        req.url,
                        ErrorKind.PAUSED,
                        f"{host} asked us to wait until {until}",
                        time.monotonic(),
                    )
                else:
                    result = await _fetch_one(client, req, settings)
                    if result.retry_after is not None:
                        paused[host] = result.retry_after
            on_done(index, result)

        await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))


async def _fetch_one(client: httpx.AsyncClient, req: FetchRequest, settings: FetchSettings) -> FetchResult:
    started = time.monotonic()
    deadline = settings.feed_deadline if req.kind == "feed" else settings.page_deadline
    url = req.url
    try:
        async with asyncio.timeout(deadline):
            return await _follow(client, req, settings, started)
    except (ValueError, httpx.InvalidURL) as exc:  # a URL httpx cannot even parse
        return _failure(req, url, ErrorKind.REFUSED, f"invalid URL: {exc}", started)
    except TimeoutError:
        return _failure(req, url, ErrorKind.TIMEOUT, f"no complete answer within {deadline:.0f} s", started)
    except _FetchFailed as exc:
        return _failure(req, url, exc.kind, str(exc), started)
    except httpx.TimeoutException as exc:  # while reading the body
        return _failure(req, url, ErrorKind.TIMEOUT, f"timed out reading the body: {exc}", started)
    except httpx.HTTPError as exc:  # the server hung up mid-body, broke the protocol...
        return _failure(req, url, ErrorKind.CONNECT, f"connection broken while reading: {exc}", started)


async def _follow(
    client: httpx.AsyncClient, req: FetchRequest, settings: FetchSettings, started: float
) -> FetchResult:
    url = req.url
    seen: set[str] = set()
    moved_to: str | None = None
    headers = {
        "Accept": FEED_ACCEPT if req.kind == "feed" else PAGE_ACCEPT,
        "Accept-Encoding": "gzip, deflate",
    }
    if req.validators.etag:
        headers["If-None-Match"] = req.validators.etag
    if req.validators.last_modified:
        headers["If-Modified-Since"] = req.validators.last_modified
    for hop in range(settings.max_redirects + 1):
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise _FetchFailed(ErrorKind.REFUSED, f"refused scheme {scheme!r} in {url}")
        seen.add(url)
        try:
            request = client.build_request("GET", url, headers=headers)
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            kind, message = classify_error(exc)
            raise _FetchFailed(kind, message) from exc
        try:
            if response.status_code in (301, 302, 303, 307, 308):
                location = response.headers.get("location", "")
                if not location:
                    raise _FetchFailed(ErrorKind.HTTP_4XX, f"HTTP {response.status_code} without a Location")
                target = urljoin(url, location)
                if scheme == "https" and urlsplit(target).scheme.lower() == "http":
                    raise _FetchFailed(ErrorKind.REFUSED, f"refused redirect from https to http ({target})")
                if target in seen:
                    raise _FetchFailed(ErrorKind.TOO_MANY_REDIRECTS, f"redirect loop at {target}")
                if hop == 0 and response.status_code in (301, 308):
                    moved_to = target
                url = target
                continue
            result = await _read(response, req, url, settings, started)
            return replace(result, moved_to=moved_to) if moved_to and result.ok else result
        finally:
            await response.aclose()
    raise _FetchFailed(ErrorKind.TOO_MANY_REDIRECTS, f"more than {settings.max_redirects} redirects")


async def _read(
    response: httpx.Response, req: FetchRequest, url: str, settings: FetchSettings, started: float
) -> FetchResult:
    status = response.status_code
    headers = {k.lower(): v for k, v in response.headers.items()}
    validators = Validators(headers.get("etag"), headers.get("last-modified"))
    if status == 304:
        # A 304 may carry fresh validators; keep the stored ones for what it leaves out.
        merged = Validators(
            validators.etag or req.validators.etag, validators.last_modified or req.validators.last_modified
        )
        return FetchResult(req.url, url, 304, b"", headers, merged, elapsed=time.monotonic() - started)
    if status >= 400:
        kind = ErrorKind.HTTP_5XX if status >= 500 else ErrorKind.HTTP_4XX
        return FetchResult(
            req.url,
            url,
            status,
            b"",
            headers,
            error=f"HTTP {status} {response.reason_phrase}",
            error_kind=kind,
            elapsed=time.monotonic() - started,
            retry_after=retry_after(status, headers.get("retry-after", ""), settings.clock()),
        )
    if status != 200:
        return FetchResult(
            req.url,
            url,
            status,
            b"",
            headers,
            error=f"unexpected HTTP {status}",
            error_kind=ErrorKind.HTTP_4XX,
            elapsed=time.monotonic() - started,
        )
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > settings.max_raw_bytes:
        raise _FetchFailed(
            ErrorKind.TOO_LARGE,
            f"response of {int(length):,} bytes is over the {settings.max_raw_bytes:,}-byte cap",
        )
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if (
        req.kind == "page"
        and ctype
        and not ctype.startswith(HTML_TYPES)
        and "xml" not in ctype
        and not ctype.startswith("text/")
    ):
        raise _FetchFailed(ErrorKind.NOT_HTML, f"not a web page ({ctype})")
    body = await _read_body(
        response, headers.get("content-encoding", "").lower(), settings, req.kind == "page"
    )
    if req.kind == "page" and _binary(body[:1024]):
        raise _FetchFailed(ErrorKind.NOT_HTML, "not a web page (binary content)")
    if not body.strip():
        raise _FetchFailed(ErrorKind.EMPTY, "empty response")
    return FetchResult(req.url, url, 200, body, headers, validators, elapsed=time.monotonic() - started)


async def _read_body(
    response: httpx.Response, encoding: str, settings: FetchSettings, page: bool = False
) -> bytes:
    """Read raw bytes and decode them ourselves, counting both against their caps. For a page,
    stop at the first bytes if they are a PDF, an image, an archive or other binary."""
    decoder: zlib._Decompress | None = None
    if encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(wbits=47)
    elif encoding == "deflate":
        decoder = zlib.decompressobj(wbits=47)  # zlib-wrapped, as the standard says
    elif encoding not in ("", "identity"):
        raise _FetchFailed(ErrorKind.PARSE, f"unsupported Content-Encoding {encoding!r} (we asked for gzip)")
    raw_total = 0
    out = bytearray()
    too_large = _FetchFailed(ErrorKind.TOO_LARGE, "response is over the size cap")
    async for chunk in response.aiter_raw():
        raw_total += len(chunk)
        if raw_total > settings.max_raw_bytes:
            raise too_large
        if decoder is None:
            out += chunk
        else:
            try:
                room = settings.max_decoded_bytes - len(out) + 1
                out += decoder.decompress(chunk, room)
                if decoder.unconsumed_tail:
                    raise too_large
            except zlib.error as exc:
                raise _FetchFailed(ErrorKind.PARSE, f"bad {encoding} encoding: {exc}") from exc
        if len(out) > settings.max_decoded_bytes:
            raise too_large
        if page and len(out) >= SNIFF_BYTES and _binary(bytes(out[:1024])):
            raise _FetchFailed(ErrorKind.NOT_HTML, "not a web page (binary content)")
        page = page and len(out) < SNIFF_BYTES  # sniff once, at the start
    return bytes(out)


def _binary(head: bytes) -> bool:
    return head.startswith(BINARY_MAGIC) or b"\x00" in head


def _failure(req: FetchRequest, url: str, kind: ErrorKind, message: str, started: float) -> FetchResult:
    return FetchResult(req.url, url, 0, error=message, error_kind=kind, elapsed=time.monotonic() - started)
