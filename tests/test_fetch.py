"""fetch_all against real HTTP servers on loopback: caching, redirects, caps, deadlines; and how
a failure is classified, from the exceptions it raised."""

from __future__ import annotations

import gzip
import ipaddress
import itertools
import socket
import ssl
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from pipeline.ingest.failures import classify_error
from pipeline.ingest.fetch import FetchSettings, fetch_all, fetch_each
from pipeline.ingest.netguard import AddressRefused, DnsFailed, is_public
from pipeline.models import ErrorKind, FetchRequest, FetchResult, Validators

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbor</title></channel></rss>'
PAGE = b"<!DOCTYPE html><html><body><p>The harbor reopened at dawn.</p></body></html>"


def allowing(url: str, **overrides: Any) -> FetchSettings:
    """Settings that let fetch reach the loopback server of `url` (private addresses are refused)."""
    parts = urlsplit(url)
    return FetchSettings(allow=(f"{parts.hostname}:{parts.port}",), **overrides)


def fetch_one(request: FetchRequest, settings: FetchSettings | None = None) -> FetchResult:
    (result,) = fetch_all([request], settings or allowing(request.url))
    return result


def test_a_feed_body_is_returned_with_its_validators(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED,
        content_type="application/rss+xml",
        headers={"ETag": '"v1"', "Last-Modified": "Mon, 23 Nov 2026 10:00:00 GMT"},
    )
    url = httpserver.url_for("/feed.xml")

    result = fetch_one(FetchRequest(url, kind="feed"))

    assert result.ok and not result.not_modified
    assert result.status == 200
    assert result.body == FEED
    assert result.final_url == url
    assert result.validators == Validators('"v1"', "Mon, 23 Nov 2026 10:00:00 GMT")
    assert result.headers["content-type"].startswith("application/rss+xml")


def test_stored_validators_are_sent_back_and_a_304_means_not_modified(httpserver: HTTPServer) -> None:
    stored = Validators('"v1"', "Mon, 23 Nov 2026 10:00:00 GMT")
    httpserver.expect_request(
        "/feed.xml",
        headers={"If-None-Match": '"v1"', "If-Modified-Since": "Mon, 23 Nov 2026 10:00:00 GMT"},
    ).respond_with_data("", status=304)

    result = fetch_one(FetchRequest(httpserver.url_for("/feed.xml"), stored, kind="feed"))

    httpserver.check_assertions()
    assert result.ok
    assert result.not_modified
    assert result.body == b""
    assert result.validators == stored  # a bare 304 keeps what we had


def test_a_304_with_a_fresh_etag_updates_it(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data("", status=304, headers={"ETag": '"v2"'})
    stored = Validators('"v1"', "Mon, 23 Nov 2026 10:00:00 GMT")

    result = fetch_one(FetchRequest(httpserver.url_for("/feed.xml"), stored, kind="feed"))

    assert result.validators == Validators('"v2"', "Mon, 23 Nov 2026 10:00:00 GMT")


def test_http_errors_are_classified_by_their_class(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    httpserver.expect_request("/busy").respond_with_data("later", status=503)

    gone, busy = fetch_all(
        [FetchRequest(httpserver.url_for("/gone")), FetchRequest(httpserver.url_for("/busy"))],
        allowing(httpserver.url_for("/")),
    )

    assert not gone.ok and gone.status == 404 and gone.error_kind is ErrorKind.HTTP_4XX
    assert gone.error == "HTTP 404 NOT FOUND"
    assert not busy.ok and busy.status == 503 and busy.error_kind is ErrorKind.HTTP_5XX
    assert busy.body == b""


# a run's clock far from the wall's: a pause measured from the wall clock would not match
RUN_CLOCK = datetime(2001, 1, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "pause"),
    [
        (format_datetime(RUN_CLOCK + timedelta(hours=2), usegmt=True), timedelta(hours=2)),
        ("5400", timedelta(minutes=90)),
        (format_datetime(RUN_CLOCK + timedelta(days=30), usegmt=True), timedelta(days=7)),  # capped
    ],
)
def test_retry_after_is_measured_from_the_runs_clock(
    httpserver: HTTPServer, header: str, pause: timedelta
) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        "slow down", status=429, headers={"Retry-After": header}
    )
    url = httpserver.url_for("/feed.xml")

    result = fetch_one(FetchRequest(url, kind="feed"), allowing(url, clock=lambda: RUN_CLOCK))

    assert result.error_kind is ErrorKind.HTTP_4XX
    assert result.retry_after == RUN_CLOCK + pause


def wrapping(outer: httpx.HTTPError, *inner: BaseException, context_only: bool = False) -> httpx.HTTPError:
    """`outer` raised from the first of `inner`, that one from the next...: as httpx raises its
    error from httpcore's, raised from the socket's. `context_only` links them as a re-raise
    `from None` leaves them: by `__context__` alone."""
    chain = [outer, *inner]
    for exc, cause in itertools.pairwise(chain):
        exc.__context__ = cause
        if context_only:
            exc.__suppress_context__ = True
        else:
            exc.__cause__ = cause
    return outer


UNTRUSTED = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
REFUSED = AddressRefused("news.example.com", 80, ipaddress.ip_address("10.0.0.1"))
NO_NAME = "[Errno -3] Temporary failure in name resolution"


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (
            wrapping(
                httpx.ConnectError(UNTRUSTED),
                httpcore.ConnectError(UNTRUSTED),
                ssl.SSLCertVerificationError(),
            ),
            ErrorKind.TLS,
            f"TLS error: {UNTRUSTED}",
        ),
        # the same words, but what failed was not TLS: the text does not decide
        (
            wrapping(httpx.ConnectError(UNTRUSTED), ConnectionRefusedError()),
            ErrorKind.CONNECT,
            f"cannot connect: {UNTRUSTED}",
        ),
        (
            wrapping(httpx.ConnectError("DNS lookup failed for news.example.com")),
            ErrorKind.CONNECT,
            "cannot connect: DNS lookup failed for news.example.com",
        ),
        (wrapping(httpx.ConnectError(str(REFUSED)), REFUSED), ErrorKind.REFUSED, str(REFUSED)),
        (
            wrapping(
                httpx.ConnectError("no"), DnsFailed("news.example.com", "no address"), context_only=True
            ),
            ErrorKind.DNS,
            "DNS lookup failed for news.example.com: no address",
        ),
        # an allowed host that the OS could not resolve, in words we never listed
        (
            wrapping(
                httpx.ConnectError(NO_NAME), httpcore.ConnectError(NO_NAME), socket.gaierror(-3, NO_NAME)
            ),
            ErrorKind.DNS,
            f"DNS lookup failed: {NO_NAME}",
        ),
        (httpx.ConnectTimeout("slow"), ErrorKind.TIMEOUT, "connect timed out: slow"),
        (
            httpx.PoolTimeout("busy"),
            ErrorKind.TIMEOUT,
            "timed out waiting for a free connection (pool timeout): busy",
        ),
        (
            httpx.ReadTimeout("quiet"),
            ErrorKind.TIMEOUT,
            "timed out waiting for the server to answer (read timeout): quiet",
        ),
        (httpx.RemoteProtocolError("garbled"), ErrorKind.CONNECT, "RemoteProtocolError: garbled"),
        (httpx.ConnectError(""), ErrorKind.CONNECT, "cannot connect: ConnectError"),
    ],
)
def test_a_failure_is_classified_by_the_classes_it_wraps_not_by_its_text(
    error: httpx.HTTPError, kind: ErrorKind, message: str
) -> None:
    assert classify_error(error) == (kind, message)


def test_a_cycle_of_wrapped_errors_is_classified_without_looping() -> None:
    outer, inner = httpx.ConnectError("round"), httpcore.ConnectError("and round")
    wrapping(outer, inner)
    inner.__context__ = outer

    assert classify_error(outer) == (ErrorKind.CONNECT, "cannot connect: round")


def test_results_come_back_in_request_order(httpserver: HTTPServer) -> None:
    for n in range(5):
        httpserver.expect_request(f"/p{n}").respond_with_data(f"<p>page {n}</p>", content_type="text/html")

    results = fetch_all(
        [FetchRequest(httpserver.url_for(f"/p{n}")) for n in range(5)], allowing(httpserver.url_for("/"))
    )

    assert [r.body for r in results] == [f"<p>page {n}</p>".encode() for n in range(5)]


def test_pages_handed_over_one_by_one_are_each_fetched_once(httpserver: HTTPServer) -> None:
    for n in range(20):
        httpserver.expect_request(f"/p{n}").respond_with_data(f"<p>page {n}</p>", content_type="text/html")
    requests = [FetchRequest(httpserver.url_for(f"/p{n}")) for n in range(20)]

    handed = dict(fetch_each(requests, allowing(httpserver.url_for("/"), concurrency=2), window=3))

    assert sorted(handed) == list(range(20))
    assert all(handed[n].body == f"<p>page {n}</p>".encode() for n in range(20))


def test_a_caller_that_stops_taking_pages_stops_the_fetching(httpserver: HTTPServer) -> None:
    for n in range(50):
        httpserver.expect_request(f"/p{n}").respond_with_data(f"<p>page {n}</p>", content_type="text/html")
    requests = [FetchRequest(httpserver.url_for(f"/p{n}")) for n in range(50)]
    settings = allowing(httpserver.url_for("/"), concurrency=2)

    pages = fetch_each(requests, settings, window=3)
    taken = [next(pages) for _ in range(4)]
    pages.close()  # returns once the fetching has stopped
    served = len(httpserver.log)

    assert all(result.ok for _, result in taken)
    # at most what was taken and the window that waited to be taken: not all 50
    assert served <= len(taken) + 3


def redirect(httpserver: HTTPServer, path: str, to: str, status: int = 302) -> None:
    httpserver.expect_request(path).respond_with_data("", status=status, headers={"Location": to})


def test_a_redirect_chain_is_followed_and_the_final_url_recorded(httpserver: HTTPServer) -> None:
    redirect(httpserver, "/old", "/moved", 301)
    redirect(httpserver, "/moved", httpserver.url_for("/newest"), 307)
    httpserver.expect_request("/newest").respond_with_data(PAGE, content_type="text/html")

    result = fetch_one(FetchRequest(httpserver.url_for("/old")))

    assert result.ok
    assert result.body == PAGE
    assert result.url == httpserver.url_for("/old")
    assert result.final_url == httpserver.url_for("/newest")


def test_five_redirects_are_followed(httpserver: HTTPServer) -> None:
    for n in range(5):
        redirect(httpserver, f"/hop{n}", f"/hop{n + 1}")
    httpserver.expect_request("/hop5").respond_with_data(PAGE, content_type="text/html")

    result = fetch_one(FetchRequest(httpserver.url_for("/hop0")))

    assert result.ok
    assert result.final_url == httpserver.url_for("/hop5")


def test_a_sixth_redirect_is_one_too_many(httpserver: HTTPServer) -> None:
    for n in range(6):
        redirect(httpserver, f"/hop{n}", f"/hop{n + 1}")
    httpserver.expect_request("/hop6").respond_with_data(PAGE, content_type="text/html")

    result = fetch_one(FetchRequest(httpserver.url_for("/hop0")))

    assert not result.ok
    assert result.error_kind is ErrorKind.TOO_MANY_REDIRECTS


def test_a_redirect_loop_is_detected(httpserver: HTTPServer) -> None:
    redirect(httpserver, "/ping", "/pong")
    redirect(httpserver, "/pong", "/ping")

    result = fetch_one(FetchRequest(httpserver.url_for("/ping")))

    assert result.error_kind is ErrorKind.TOO_MANY_REDIRECTS
    assert result.error is not None and "loop" in result.error


def test_a_redirect_to_a_local_file_is_refused(httpserver: HTTPServer) -> None:
    redirect(httpserver, "/sneaky", "file:///etc/passwd")

    result = fetch_one(FetchRequest(httpserver.url_for("/sneaky")))

    assert result.error_kind is ErrorKind.REFUSED
    assert result.body == b""


def test_a_redirect_without_a_location_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/nowhere").respond_with_data("", status=302)

    result = fetch_one(FetchRequest(httpserver.url_for("/nowhere")))

    assert not result.ok
    assert result.error is not None and "without a Location" in result.error


def test_a_declared_length_over_the_cap_is_too_large(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000, content_type="text/html")

    url = httpserver.url_for("/big")

    result = fetch_one(FetchRequest(url), allowing(url, max_raw_bytes=1000))

    assert result.error_kind is ErrorKind.TOO_LARGE
    assert result.body == b""


def test_a_streamed_body_without_length_stops_at_the_cap(httpserver: HTTPServer) -> None:
    def endless_chunks() -> object:
        for _ in range(100):
            yield b"<p>" + b"y" * 1000 + b"</p>"

    httpserver.expect_request("/stream").respond_with_response(
        Response(endless_chunks(), content_type="text/html")  # type: ignore[arg-type]
    )

    url = httpserver.url_for("/stream")

    result = fetch_one(FetchRequest(url), allowing(url, max_raw_bytes=10_000))

    assert result.error_kind is ErrorKind.TOO_LARGE


def test_a_gzip_body_is_decoded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        gzip.compress(FEED), content_type="application/rss+xml", headers={"Content-Encoding": "gzip"}
    )

    result = fetch_one(FetchRequest(httpserver.url_for("/feed.xml"), kind="feed"))

    assert result.ok
    assert result.body == FEED


def test_a_deflate_body_is_decoded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page").respond_with_data(
        zlib.compress(PAGE), content_type="text/html", headers={"Content-Encoding": "deflate"}
    )

    assert fetch_one(FetchRequest(httpserver.url_for("/page"))).body == PAGE


def test_a_gzip_bomb_stops_at_the_decoded_cap(httpserver: HTTPServer) -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024), compresslevel=9)  # ~20 KB on the wire
    httpserver.expect_request("/bomb.xml").respond_with_data(
        bomb, content_type="application/rss+xml", headers={"Content-Encoding": "gzip"}
    )
    settings = allowing(httpserver.url_for("/"), max_decoded_bytes=1024 * 1024)

    result = fetch_one(FetchRequest(httpserver.url_for("/bomb.xml"), kind="feed"), settings)

    assert len(bomb) < settings.max_raw_bytes
    assert result.error_kind is ErrorKind.TOO_LARGE
    assert result.body == b""


def test_a_corrupt_gzip_body_is_a_parse_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        b"\x1f\x8b\x08\x00garbage-not-deflate", headers={"Content-Encoding": "gzip"}
    )

    result = fetch_one(FetchRequest(httpserver.url_for("/feed.xml"), kind="feed"))

    assert result.error_kind is ErrorKind.PARSE


def test_a_page_that_is_a_pdf_is_not_html(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/report.pdf").respond_with_data(
        b"%PDF-1.7 binary", content_type="application/pdf"
    )

    result = fetch_one(FetchRequest(httpserver.url_for("/report.pdf"), kind="page"))

    assert result.error_kind is ErrorKind.NOT_HTML
    assert result.error is not None and "application/pdf" in result.error


def test_a_pdf_served_as_html_is_still_not_html(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/article").respond_with_data(b"%PDF-1.7 binary", content_type="text/html")

    result = fetch_one(FetchRequest(httpserver.url_for("/article"), kind="page"))

    assert result.error_kind is ErrorKind.NOT_HTML


def test_an_empty_body_is_reported_as_empty(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/blank").respond_with_data(b"  \n", content_type="text/html")

    assert fetch_one(FetchRequest(httpserver.url_for("/blank"))).error_kind is ErrorKind.EMPTY


def test_every_request_says_it_is_dailybrief(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(FEED, content_type="application/rss+xml")
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html")

    fetch_all(
        [
            FetchRequest(httpserver.url_for("/feed.xml"), kind="feed"),
            FetchRequest(httpserver.url_for("/page")),
        ],
        allowing(httpserver.url_for("/")),
    )

    agents = [request.headers["User-Agent"] for request, _ in httpserver.log]
    assert len(agents) == 2
    assert all(a.startswith("dailybrief/") for a in agents)
    feed_request = next(r for r, _ in httpserver.log if r.path == "/feed.xml")
    assert "application/rss+xml" in feed_request.headers["Accept"]


def test_a_server_that_never_answers_hits_the_deadline(silent_server: str) -> None:
    settings = allowing(silent_server, page_deadline=1.0, read_timeout=5)

    result = fetch_one(FetchRequest(silent_server + "/article"), settings)

    assert not result.ok
    assert result.error_kind is ErrorKind.TIMEOUT
    assert result.body == b""


def test_a_server_that_stops_answering_says_which_wait_ran_out(silent_server: str) -> None:
    settings = allowing(silent_server, page_deadline=10.0, read_timeout=1)

    result = fetch_one(FetchRequest(silent_server + "/article"), settings)

    assert result.error_kind is ErrorKind.TIMEOUT
    assert result.error == "timed out waiting for the server to answer (read timeout)"  # not "timed out: "


def test_a_refused_connection_is_a_connect_error_not_an_exception(closed_port: int) -> None:
    result = fetch_one(FetchRequest(f"http://127.0.0.1:{closed_port}/feed.xml", kind="feed"))

    assert not result.ok
    assert result.status == 0
    assert result.error_kind is ErrorKind.CONNECT


def test_a_non_http_url_is_refused_without_raising() -> None:
    result = fetch_one(FetchRequest("file:///etc/passwd", kind="feed"))

    assert result.error_kind is ErrorKind.REFUSED


def test_no_requests_means_no_results() -> None:
    assert fetch_all([]) == []


# -- the private-address guard -------------------------------------------------------------------


def test_a_loopback_server_not_allowed_in_the_config_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(FEED, content_type="application/rss+xml")

    result = fetch_one(FetchRequest(httpserver.url_for("/feed.xml"), kind="feed"), FetchSettings())

    assert result.error_kind is ErrorKind.REFUSED
    assert result.error is not None and "network.allow" in result.error
    assert httpserver.log == []  # the request never reached the server


def test_a_redirect_to_a_private_address_is_refused_at_that_hop(
    httpserver: HTTPServer, closed_port: int
) -> None:
    redirect(httpserver, "/out", f"http://127.0.0.1:{closed_port}/admin")

    result = fetch_one(FetchRequest(httpserver.url_for("/out")))

    assert result.error_kind is ErrorKind.REFUSED  # refused by the guard, never connected


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/feed.xml",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_and_metadata_addresses_are_refused(url: str) -> None:
    result = fetch_one(FetchRequest(url, kind="feed"), FetchSettings(connect_timeout=2))

    assert result.error_kind is ErrorKind.REFUSED


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("100.64.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::a00:1", False),  # NAT64 form of 10.0.0.1
        ("2002:c0a8:101::1", False),  # 6to4 form of 192.168.1.1
        ("fd00::1", False),
        ("224.0.0.1", False),
    ],
)
def test_only_public_internet_addresses_count_as_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public
