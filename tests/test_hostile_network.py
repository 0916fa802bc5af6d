"""Hostile servers and addresses: bodies too big, gzip bombs, dribbling and silent servers,
redirect games, private addresses in every spelling, TLS and DNS failures.

Every server is real and on loopback (raw sockets where an HTTP library would behave too
well); addresses that are not loopback are never connected to: the guard refuses them first,
which is what those tests check. Each test looks at what a user sees: `brief status`, the
brief still written, and the kind of error.
"""

from __future__ import annotations

import functools
import gzip
import ipaddress
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from conftest import LoopbackSite, Newsroom, Reply, rss_feed, rss_item, story_item

from pipeline.ingest import netguard
from pipeline.ingest.fetch import FetchSettings, fetch_all
from pipeline.models import ErrorKind, FetchRequest

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def status_of(newsroom: Newsroom, name: str) -> str:
    """The state and last error of a feed in `brief status`."""
    line = newsroom.feed_line(name)
    match = re.fullmatch(r".{28} .{16} +\d+  (?P<state>.*)", line)
    assert match, line
    return match["state"]


def good_feed(site: LoopbackSite) -> tuple[str, str]:
    """A healthy feed on `site`, so that a run has something to write."""
    site.serve("/good.xml", rss_feed(story_item(site, "ferry", NOW - timedelta(hours=1))))
    return ("Good Feed", site.url("/good.xml"))


def brief_text(newsroom: Newsroom) -> str:
    (text,) = newsroom.output.glob("*/*/*/*/email.txt")
    return text.read_text()


# -- 3. bodies over the size cap ------------------------------------------------------------------------


def test_a_body_over_the_cap_is_too_large_with_or_without_a_length(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    cap = 50_000
    padding = "".join(rss_item(f"Notice {n}", guid=f"n{n}", summary="x" * 200) for n in range(600))
    big = rss_feed(padding)
    assert len(big) > 2 * cap
    site.serve("/declared.xml", Reply(body=big))
    site.serve(
        "/streamed.xml", Reply(body=(big[i : i + 4096] for i in range(0, len(big), 4096)), length=False)
    )
    newsroom.configure(
        [
            ("Declared Length", site.url("/declared.xml")),
            ("Streamed", site.url("/streamed.xml")),
            good_feed(site),
        ],
        allow=[site.allow()],
    )

    result = newsroom.run(fetch_settings=FetchSettings(max_raw_bytes=cap, allow=(site.allow(),)))

    assert status_of(newsroom, "Declared Length").endswith(
        f"[too-large] response of {len(big):,} bytes is over the {cap:,}-byte cap"
    )
    assert status_of(newsroom, "Streamed").endswith("[too-large] response is over the size cap")
    assert result.stats.feeds_ok == 1
    assert "Island ferry adds two summer crossings" in brief_text(newsroom)


# -- 4. gzip bombs --------------------------------------------------------------------------------------


@functools.cache
def gzip_bomb(fill: bytes) -> bytes:
    """50 MiB of one byte, gzipped to about 50 KB."""
    return gzip.compress(fill * (50 * 1024 * 1024), compresslevel=9)


def test_a_gzip_bomb_stops_at_the_decoded_cap(newsroom: Newsroom, site: LoopbackSite) -> None:
    bomb = gzip_bomb(b"\0")
    assert len(bomb) < 100_000
    site.serve("/bomb.xml", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    # an article page that is a bomb of spaces: no binary bytes to give it away early
    site.serve(
        "/bomb.html",
        Reply(body=gzip_bomb(b" "), content_type="text/html", headers={"Content-Encoding": "gzip"}),
    )
    summary = "The harbour master published the new berth allocation for the winter season."
    site.serve(
        "/feed.xml",
        rss_feed(rss_item("Winter berths allocated", site.url("/bomb.html"), "berths", NOW, summary)),
    )
    newsroom.configure(
        [("Bomb", site.url("/bomb.xml")), ("Harbour News", site.url("/feed.xml"))], allow=[site.allow()]
    )

    result = newsroom.run()  # the real caps: 5 MiB raw, 15 MiB decoded

    assert status_of(newsroom, "Bomb").endswith("[too-large] response is over the size cap")
    assert result.stats.pages_failed == 1
    assert "Winter berths allocated" in brief_text(newsroom)


# -- 5. servers that dribble or say nothing -------------------------------------------------------------


@pytest.fixture
def dribbling_server() -> Iterator[str]:
    """Answers with headers, then one byte of body every 0.2 s, for ever (a slow loris)."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def dribble(conn: socket.socket) -> None:
        with conn:
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 1000000\r\n"
                conn.sendall(head + b"\r\n<")
                while not stop.wait(0.2):
                    conn.sendall(b" ")
            except OSError:
                return  # the client gave up

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=dribble, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def test_a_slow_loris_and_a_silent_server_hit_the_deadline(
    newsroom: Newsroom, site: LoopbackSite, dribbling_server: str, silent_server: str
) -> None:
    allow = tuple(url.removeprefix("http://") for url in (dribbling_server, silent_server, site.url("")))
    newsroom.configure(
        [
            ("Slow Loris", dribbling_server + "/feed.xml"),
            ("Silent", silent_server + "/feed.xml"),
            good_feed(site),
        ],
        allow=allow,
    )

    result = newsroom.run(fetch_settings=FetchSettings(feed_deadline=1.0, read_timeout=5.0, allow=allow))

    for name in ("Slow Loris", "Silent"):
        assert status_of(newsroom, name).endswith("[timeout] no complete answer within 1 s"), name
    assert result.stats.feeds_ok == 1
    assert "Island ferry adds two summer crossings" in brief_text(newsroom)


# -- 6. redirects ---------------------------------------------------------------------------------------


def redirect(site: LoopbackSite, path: str, to: str, status: int = 302) -> None:
    site.serve(path, Reply(status, b"", None, {"Location": to}))


def test_redirect_loops_and_chains_over_five_hops_are_refused(newsroom: Newsroom, site: LoopbackSite) -> None:
    redirect(site, "/ping.xml", "/pong.xml")
    redirect(site, "/pong.xml", "/ping.xml")
    for n in range(6):
        redirect(site, f"/hop{n}.xml", f"/hop{n + 1}.xml")
    site.serve("/hop6.xml", rss_feed(rss_item("Six hops away", guid="six", when=NOW)))
    for n in range(5):
        redirect(site, f"/ok{n}.xml", f"/ok{n + 1}.xml")
    site.serve("/ok5.xml", rss_feed(rss_item("Five hops away", guid="five", when=NOW)))
    newsroom.configure(
        [
            ("Loop", site.url("/ping.xml")),
            ("Six Hops", site.url("/hop0.xml")),
            ("Five Hops", site.url("/ok0.xml")),
        ],
        allow=[site.allow()],
    )

    newsroom.run()

    assert status_of(newsroom, "Loop").endswith(f"[redirects] redirect loop at {site.url('/ping.xml')}")
    assert status_of(newsroom, "Six Hops").endswith("[redirects] more than 5 redirects")
    assert site.hits("/hop6.xml") == 0
    assert status_of(newsroom, "Five Hops") == "ok"
    assert "Five hops away" in brief_text(newsroom)


class TlsSite(LoopbackSite):
    """A LoopbackSite speaking HTTPS with a certificate from a test CA; counts connections."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__()
        self.context = context
        self.connections = 0

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"

    def get_request(self) -> tuple[socket.socket, object]:
        conn, address = self.socket.accept()
        self.connections += 1
        # the handshake happens in the handler's thread, on its first read
        return self.context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False), address


@pytest.fixture
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_site(test_ca: trustme.CA) -> Iterator[TlsSite]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("127.0.0.1").configure_cert(context)
    site = TlsSite(context)
    threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield site
    site.shutdown()
    site.server_close()


@pytest.fixture
def trusting(test_ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test CA the one dailybrief trusts. FetchSettings has no way to name a CA, so
    this goes through OpenSSL's SSL_CERT_FILE, read when fetch makes its SSL context."""
    bundle = tmp_path / "test-ca.pem"
    test_ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


@pytest.mark.usefixtures("trusting")
def test_a_redirect_from_https_down_to_http_is_refused(
    newsroom: Newsroom, site: LoopbackSite, tls_site: TlsSite
) -> None:
    site.serve("/feed.xml", rss_feed(rss_item("Served over plain http", guid="plain", when=NOW)))
    tls_site.serve("/feed.xml", rss_feed(rss_item("Served over https", guid="tls", when=NOW)))
    redirect(tls_site, "/downgrade.xml", site.url("/feed.xml"))
    newsroom.configure(
        [("Secure", tls_site.url("/feed.xml")), ("Downgrade", tls_site.url("/downgrade.xml"))],
        allow=[site.allow(), tls_site.allow()],
    )

    newsroom.run()

    assert status_of(newsroom, "Secure") == "ok"  # the test CA is trusted: TLS itself works
    assert status_of(newsroom, "Downgrade").endswith(
        f"[refused-address] refused redirect from https to http ({site.url('/feed.xml')})"
    )
    assert site.hits() == 0
    assert "Served over plain http" not in brief_text(newsroom)


# -- 7. private addresses, however they are spelled -----------------------------------------------------

SPELLINGS = [
    "http://localhost:{port}/feed.xml",
    "http://LocalHost:{port}/feed.xml",
    "http://2130706433:{port}/feed.xml",
    "http://0x7f.0.0.1:{port}/feed.xml",
    "http://017700000001:{port}/feed.xml",
    "http://127.1:{port}/feed.xml",
    "http://0:{port}/feed.xml",
    "http://[::ffff:127.0.0.1]:{port}/feed.xml",
    "http://[::ffff:7f00:1]:{port}/feed.xml",
    "http://[::1]:{port}/feed.xml",
    "http://127.0.0.1:{port}/feed.xml",  # the right spelling, on a port nobody allowed
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://10.0.0.1/feed.xml",
    "http://100.64.0.1/feed.xml",
    "http://192.168.1.1/feed.xml",
]


@pytest.fixture
def victim(make_site: Callable[[], LoopbackSite]) -> LoopbackSite:
    """A loopback site nobody allowed: it must never receive a request."""
    target = make_site()
    target.serve("/feed.xml", rss_feed(rss_item("Internal admin feed", guid="internal", when=NOW)))
    return target


def test_feed_urls_at_private_addresses_are_refused_in_every_spelling(
    newsroom: Newsroom, site: LoopbackSite, victim: LoopbackSite
) -> None:
    feeds = [(f"Private {n}", url.format(port=victim.port)) for n, url in enumerate(SPELLINGS)]
    newsroom.configure([*feeds, good_feed(site)], allow=[site.allow()])

    result = newsroom.run(fetch_settings=FetchSettings(connect_timeout=2.0, allow=(site.allow(),)))

    for name, url in feeds:
        state = status_of(newsroom, name)
        assert "[refused-address] refused non-public address" in state, (url, state)
        assert "network.allow" in state
    assert victim.requests == []
    assert result.stats.feeds_ok == 1
    assert "Island ferry adds two summer crossings" in brief_text(newsroom)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_redirect_to_a_private_address_is_refused_at_that_hop(
    site: LoopbackSite, victim: LoopbackSite, spelling: str
) -> None:
    target = spelling.format(port=victim.port)
    redirect(site, "/moved.xml", target)

    (result,) = fetch_all(
        [FetchRequest(site.url("/moved.xml"), kind="feed")],
        FetchSettings(connect_timeout=2.0, allow=(site.allow(),)),
    )

    assert result.error_kind is ErrorKind.REFUSED, result.error
    assert result.error is not None and result.error.startswith("refused non-public address")
    assert site.hits("/moved.xml") == 1  # the first hop was fetched; the second never left
    assert victim.requests == []


class FakeDns:
    """The machine's resolver, except for the names the test gives answers to: each lookup
    of such a name takes the next answer (a list of addresses, or None for "no such name")."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[Sequence[str] | None]] = {}
        self.asked: list[str] = []
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host: bytes | str | None, port: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return self._real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        self.asked.append(name)
        answer = self.answers[name].pop(0) if len(self.answers[name]) > 1 else self.answers[name][0]
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        port_number = int(port) if isinstance(port, (int, str, bytes)) else 0
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (address, port_number, 0, 0) if ":" in address else (address, port_number),
            )
            for address in answer
        ]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    return FakeDns(monkeypatch)


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        (["10.0.0.1"], "10.0.0.1"),
        (["169.254.169.254"], "169.254.169.254"),
        (["::ffff:192.168.1.1"], "::ffff:c0a8:101"),
        (["93.184.216.34", "127.0.0.1"], "127.0.0.1"),  # one bad answer among good ones
    ],
)
def test_a_public_looking_name_whose_dns_answer_is_private_is_refused(
    site: LoopbackSite, victim: LoopbackSite, dns: FakeDns, answer: list[str], refused: str
) -> None:
    dns.answers["news.example.com"] = [answer]
    redirect(site, "/moved.xml", f"http://news.example.com:{victim.port}/feed.xml")
    settings = FetchSettings(connect_timeout=2.0, allow=(site.allow(),))

    direct, redirected = fetch_all(
        [
            FetchRequest(f"http://news.example.com:{victim.port}/feed.xml", kind="feed"),
            FetchRequest(site.url("/moved.xml"), kind="feed"),
        ],
        settings,
    )

    for result in (direct, redirected):
        assert result.error_kind is ErrorKind.REFUSED, result.error
        assert result.error == (
            f"refused non-public address {refused} for news.example.com:{victim.port}"
            " (allow it under network.allow in sources.yaml)"
        )
    assert site.hits("/moved.xml") == 1
    assert victim.requests == []


def test_the_guard_connects_to_the_address_it_checked_not_to_a_second_answer(
    site: LoopbackSite, dns: FakeDns, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the name first answers with an address that passes, then with one that
    # would not. Loopback stands in for a public address here, as no test may leave the machine.
    loopback = ipaddress.ip_address("127.0.0.1")
    real_is_public = netguard.is_public
    monkeypatch.setattr(netguard, "is_public", lambda ip: ip == loopback or real_is_public(ip))
    dns.answers["news.example.com"] = [["127.0.0.1"], None]
    site.serve("/feed.xml", rss_feed(rss_item("Checked once", guid="once", when=NOW)))

    (result,) = fetch_all(
        [FetchRequest(f"http://news.example.com:{site.port}/feed.xml", kind="feed")],
        FetchSettings(connect_timeout=2.0),
    )

    assert result.ok, result.error
    assert dns.asked == ["news.example.com"]  # one lookup: the socket went to the checked address
    assert site.requests[0].headers["host"] == f"news.example.com:{site.port}"


# -- URLs an HTTP client rejects must not stop a run ----------------------------------------------------


def test_an_entry_link_with_a_bad_port_does_not_stop_the_run(newsroom: Newsroom, site: LoopbackSite) -> None:
    summary = "The customs office at the harbour moves to the old grain warehouse in March."
    site.serve(
        "/feed.xml",
        rss_feed(
            rss_item(
                "Customs office moves", f"http://127.0.0.1:{site.port}x/customs", "customs", NOW, summary
            ),
            story_item(site, "ferry", NOW),
        ),
    )
    newsroom.configure([("Harbour News", site.url("/feed.xml"))], allow=[site.allow()])

    result = newsroom.run()

    text = brief_text(newsroom)
    assert "Customs office moves" in text
    assert "Island ferry adds two summer crossings" in text
    assert result.stats.pages_failed == 1


@pytest.mark.parametrize(
    "location", ["http://[::1/feed.xml", "http://127.0.0.1:http/feed.xml", "http://127.0.0.1:99999999999/"]
)
def test_a_redirect_to_a_malformed_url_is_an_error_not_a_crash(site: LoopbackSite, location: str) -> None:
    redirect(site, "/feed.xml", location)

    (result,) = fetch_all(
        [FetchRequest(site.url("/feed.xml"), kind="feed")], FetchSettings(allow=(site.allow(),))
    )

    assert not result.ok
    assert result.error_kind is not None


# -- 21. 401 and 403 ------------------------------------------------------------------------------------


def test_401_and_403_are_http_4xx_and_not_retried_as_someone_else(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    site.serve(
        "/members.xml",
        Reply(401, b"login first", "text/plain", {"WWW-Authenticate": 'Basic realm="members"'}),
    )
    site.serve("/bots.xml", Reply(403, b"no bots", "text/plain"))
    newsroom.configure(
        [("Members Only", site.url("/members.xml")), ("No Bots", site.url("/bots.xml")), good_feed(site)],
        allow=[site.allow()],
    )

    newsroom.run()

    assert status_of(newsroom, "Members Only").endswith("[http-4xx] HTTP 401 Unauthorized")
    assert status_of(newsroom, "No Bots").endswith("[http-4xx] HTTP 403 Forbidden")
    assert site.hits("/members.xml") == 1 and site.hits("/bots.xml") == 1
    assert {r.headers["user-agent"].split("/")[0] for r in site.requests} == {"dailybrief"}
    assert all("authorization" not in r.headers for r in site.requests)


# -- 22. TLS that is not trusted ------------------------------------------------------------------------


def test_an_untrusted_certificate_is_a_tls_error_with_no_insecure_retry(
    newsroom: Newsroom, site: LoopbackSite, tls_site: TlsSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system's CAs only: not the test CA
    tls_site.serve("/feed.xml", rss_feed(rss_item("Served over https", guid="tls", when=NOW)))
    newsroom.configure(
        [("Self Signed", tls_site.url("/feed.xml")), good_feed(site)], allow=[site.allow(), tls_site.allow()]
    )

    newsroom.run()

    state = status_of(newsroom, "Self Signed")
    assert "[tls] TLS error:" in state and "certificate verify failed" in state, state
    assert tls_site.connections == 1
    assert tls_site.requests == []  # no request was ever sent over an unverified connection


# -- 23. DNS --------------------------------------------------------------------------------------------


def test_a_name_that_does_not_resolve_is_a_dns_error(newsroom: Newsroom, site: LoopbackSite) -> None:
    newsroom.configure(
        [("Nowhere", "http://nonexistent.invalid/feed.xml"), good_feed(site)], allow=[site.allow()]
    )

    newsroom.run(fetch_settings=FetchSettings(feed_deadline=5.0, allow=(site.allow(),)))

    assert "[dns] DNS lookup failed for nonexistent.invalid" in status_of(newsroom, "Nowhere")
