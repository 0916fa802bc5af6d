"""Shared helpers for the unit tests: small article factories and real loopback servers."""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from postgres_server import PostgresServer, running_server

from pipeline.cli import main as cli_main
from pipeline.config import load_config
from pipeline.ingest.fetch import FetchSettings
from pipeline.ingest.urls import article_id, canonical_url
from pipeline.models import Article
from pipeline.run import RunOptions, RunResult, run_brief

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files in tests/data/golden/ from this run (tests/test_golden.py)",
    )


DATA = Path(__file__).resolve().parent / "data" / "unit"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def make_article(
    url: str,
    text: str,
    *,
    title: str = "",
    source: str = "Example News",
    published: datetime | None = None,
    extracted: bool = True,
) -> Article:
    """An article as extract_article would make it: id and canonical URL from `url`."""
    canonical = canonical_url(url)
    return Article(
        id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source=source,
        title=title or text.split(".")[0],
        text=text,
        published=published,
        extracted=extracted,
        found_at=((source, url),),
    )


def free_port() -> int:
    """A loopback port nobody listens on (for servers that cannot bind port 0 themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A loopback port where connections are refused."""
    return free_port()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections (the kernel completes the handshake from the
    listen backlog) but never reads or answers: a server that hangs."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    host, port = listener.getsockname()
    try:
        yield f"http://{host}:{port}"
    finally:
        listener.close()


# -- hostile input: a loopback web site the test scripts, and a newsroom to run briefs in ----------

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
_FIXTURE_HEADER = re.compile(rb"<!--\s*Description:\s*(?P<what>.+?)\s*Expect:\s*(?P<expect>.+?)\s*-->", re.S)


@dataclass(frozen=True)
class HostileFixture:
    """A hostile body from tests/data/hostile, with what its header comment says about it."""

    name: str
    body: bytes
    description: str
    expect: str


def hostile(name: str, base: str = "http://127.0.0.1") -> HostileFixture:
    """Load tests/data/hostile/NAME; `{{site}}` in it becomes `base` (the serving site)."""
    raw = (HOSTILE / name).read_bytes()
    header = _FIXTURE_HEADER.search(raw)
    if header is None:
        raise AssertionError(f"{name} lacks its <!-- Description: ... Expect: ... --> header")
    return HostileFixture(
        name,
        raw.replace(b"{{site}}", base.encode()),
        " ".join(header["what"].decode("ascii").split()),
        " ".join(header["expect"].decode("ascii").split()),
    )


@dataclass(frozen=True)
class Reply:
    """What the loopback site answers on one path. `body` may be an iterable of chunks (streamed
    until it ends or the client hangs up); `length=False` leaves out Content-Length."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    content_type: str | None = "application/rss+xml"
    headers: Mapping[str, str] = field(default_factory=dict)
    length: bool = True


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]  # names in lower case


class LoopbackSite(ThreadingHTTPServer):
    """A web site on 127.0.0.1 whose answers the test sets per path; it records every request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SiteHandler)
        self.routes: dict[str, Reply | Callable[[SeenRequest], Reply]] = {}
        self.requests: list[SeenRequest] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def allow(self, host: str = "127.0.0.1") -> str:
        """The network.allow entry that lets dailybrief fetch from this site."""
        return f"{host}:{self.port}"

    def serve(self, path: str, reply: Reply | Callable[[SeenRequest], Reply] | bytes) -> None:
        self.routes[path] = Reply(body=reply) if isinstance(reply, bytes) else reply

    def hits(self, path: str | None = None) -> int:
        return sum(1 for r in self.requests if path is None or r.path == path)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up mid-answer is what these tests are about


class _SiteHandler(BaseHTTPRequestHandler):
    server: LoopbackSite

    def do_GET(self) -> None:
        seen = SeenRequest(self.path, {k.lower(): v for k, v in self.headers.items()})
        self.server.requests.append(seen)
        route = self.server.routes.get(self.path)
        if route is None:
            reply = Reply(404, b"not found", "text/plain")
        else:
            reply = route(seen) if callable(route) else route
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if isinstance(reply.body, bytes):
            if reply.length:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self.end_headers()  # HTTP/1.0 without a length: the body ends when the connection does
        try:
            for chunk in reply.body:
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def make_site() -> Iterator[Callable[[], LoopbackSite]]:
    """Start loopback web sites on demand; all are shut down after the test."""
    sites: list[LoopbackSite] = []

    def start() -> LoopbackSite:
        site = LoopbackSite()
        threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.shutdown()
        site.server_close()


@pytest.fixture
def site(make_site: Callable[[], LoopbackSite]) -> LoopbackSite:
    return make_site()


STORIES = {
    "dredging": (
        "Lindqvist approves northern channel dredging",
        "The harbour authority of Lindqvist approved a plan on Monday to dredge the northern channel. "
        "The work will let container ships with a draught of up to 16 metres reach the new terminal. "
        "Officials said the project would cost about 240 million euros over four years. "
        "Fishing groups warned that the dredging could disturb spawning grounds near the estuary.",
    ),
    "ferry": (
        "Island ferry adds two summer crossings",
        "The island ferry company published its summer timetable on Tuesday with two extra crossings. "
        "Boats will leave the mainland pier every ninety minutes from the first of June until August. "
        "Fares rise by three percent, the first increase since the company replaced its oldest vessel. "
        "Residents of the outer islands asked for an earlier morning sailing to reach jobs on the coast.",
    ),
    "lighthouse": (
        "Volunteers restore the Skarv lighthouse lens",
        "A group of forty volunteers finished restoring the nineteenth century lens of the Skarv lighthouse. "
        "The brass frame was polished by hand and three cracked prisms were replaced with new glass. "
        "The lamp will be lit again in October for the first time since the keeper retired in 1987. "
        "Visitors can climb the tower on weekends once the railing on the gallery has been repaired.",
    ),
    "orchard": (
        "Frost spares most of the valley apple orchards",
        "Growers in the Ostra valley said the late frost on Thursday damaged fewer blossoms than feared. "
        "Wind machines and sprinklers kept temperatures above freezing in most of the larger orchards. "
        "Smaller farms on the northern slope lost up to a third of their early varieties to the cold. "
        "The regional cooperative expects the harvest to be close to the average of the last ten years.",
    ),
    "library": (
        "City library opens a repair cafe for broken toasters",
        "The central library will host a repair cafe every second Saturday starting next month. "
        "Retired electricians and tailors offer to fix toasters, lamps, bicycles and torn coats for free. "
        "Organisers hope to keep several tonnes of household goods out of the municipal landfill each year. "
        "Visitors must bring the broken item themselves and stay while the volunteers work on it.",
    ),
    "glacier": (
        "Survey finds the Hvit glacier retreated forty metres",
        "Researchers from the polar institute measured the snout of the Hvit glacier in late September. "
        "It had retreated about forty metres since last year, faster than the average of the past decade. "
        "Meltwater from the glacier feeds the river that powers two small hydroelectric plants downstream. "
        "The team will install automatic cameras to photograph the ice front every day through the winter.",
    ),
}


def article_page(title: str, text: str) -> bytes:
    """A plain article page trafilatura extracts: a heading and one paragraph per sentence."""
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in text.split(". ") if s.strip())
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def rss_item(
    title: str,
    link: str = "",
    guid: str = "",
    when: datetime | None = None,
    summary: str = "",
) -> str:
    parts = [f"<title>{title}</title>"]
    if link:
        parts.append(f"<link>{link}</link>")
    if guid:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if when is not None:
        parts.append(f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>")
    if summary:
        parts.append(f"<description>{summary}</description>")
    return "<item>" + "".join(parts) + "</item>"


def rss_feed(*items: str, title: str = "Harbour News") -> bytes:
    channel = f"<channel><title>{title}</title><link>http://harbour.example/</link>{''.join(items)}</channel>"
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0">{channel}</rss>'.encode()


def story_item(site: LoopbackSite, key: str, when: datetime, guid: str = "") -> str:
    """A feed item for STORIES[key], its page served by `site` at /KEY."""
    title, text = STORIES[key]
    site.serve(f"/{key}", Reply(body=article_page(title, text), content_type="text/html; charset=utf-8"))
    return rss_item(title, site.url(f"/{key}"), guid or key, when, text.split(". ")[0] + ".")


class Newsroom:
    """A sources.yaml in a temporary folder, real runs of the pipeline on it, and what a user
    then sees: the files of each brief and `brief status`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config_path = root / "sources.yaml"
        self.output = root / "output"

    def configure(
        self,
        feeds: Sequence[tuple[str, str]],
        allow: Sequence[str] = (),
        threads: str = "",
        fetch: str = "",
    ) -> Path:
        """Write sources.yaml: (name, url) feeds, allowed host:port pairs, raw YAML extras."""
        lines = ["brief:", "  title: Harbour Brief", "  output: output", "  state: state"]
        if allow:
            lines += ["network:", "  allow: [" + ", ".join(f'"{a}"' for a in allow) + "]"]
        if fetch:
            lines += ["fetch:", *(f"  {line}" for line in fetch.strip().splitlines())]
        lines.append("feeds:")
        for name, url in feeds:
            lines += [f'  - url: "{url}"', f'    name: "{name}"']
        if threads:
            lines += ["threads:", *(f"  {line}" for line in threads.strip().splitlines())]
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self.config_path

    def run(self, at: datetime | None = None, fetch_settings: FetchSettings | None = None) -> RunResult:
        """One run at `at` (now by default); the slot is that minute, so each run has its folder."""
        when = at or datetime.now(UTC).replace(microsecond=0)
        slot = when.replace(second=0, microsecond=0)
        return run_brief(
            load_config(self.config_path),
            slot=slot,
            clock=lambda: when,
            options=RunOptions(send=False, fetch=fetch_settings),
        )

    def status(self) -> str:
        """What `brief status` prints."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cli_main(["status", "--config", str(self.config_path)])
        return out.getvalue()

    def feed_line(self, name: str) -> str:
        """The line of `brief status` about the feed called `name`."""
        return next(line for line in self.status().splitlines() if line.startswith(name[:28]))

    def written(self) -> dict[str, str]:
        """Every file the runs wrote under output/, as text (message.eml with its parts decoded); at
        least one brief must have been written."""
        files: dict[str, str] = {}
        for path in sorted(self.output.rglob("*")):
            if not path.is_file():
                continue
            name = path.relative_to(self.output).as_posix()
            if path.suffix == ".eml":
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                parts = [str(message)] + [
                    part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
                ]
                files[name] = "\n".join(parts)
            else:
                files[name] = path.read_text(encoding="utf-8")
        # a check over every file written checks nothing when there are none
        assert any(n.endswith("/brief.json") for n in files), f"no brief was written under {self.output}"
        return files


@pytest.fixture
def newsroom(tmp_path: Path) -> Newsroom:
    return Newsroom(tmp_path)


# == Delivery and scheduling: a newsroom feed, scripted SMTP servers on loopback, the ledger ======
# (this section was appended; its imports live here so that the file above stays as it was)

import asyncio  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import trustme  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from pipeline.config import SmtpSettings  # noqa: E402
from pipeline.publish.outbox import SendPolicy  # noqa: E402
from pipeline.store import Store  # noqa: E402
from pipeline.store.records import DeliveryRecord, SlotRecord  # noqa: E402

MAIL_FROM = "Karsholm Brief <brief@karsholm.example>"
MAIL_TO = "reader@karsholm.example"


def same_bytes(received: bytes, stored: bytes, address: str = MAIL_TO) -> bool:
    """Whether the server's copy is the stored message.eml made the reader's, as the outbox makes
    it (To their address, their own Message-ID); SMTP may add the final line break."""
    from pipeline.publish.mail import personalise

    brief_id = re.search(rb"Message-ID: <brief\.([^.]+)\.", stored)
    assert brief_id, "a brief's message.eml"
    own, _ = personalise(stored, brief_id.group(1).decode(), address)
    return received.rstrip(b"\r\n") == own.rstrip(b"\r\n")


SMTP_USER = "brief-bot"
SMTP_PASSWORD = "tide-table-42"

# Three original stories: two about one bridge (a configured thread), one about a bakery.
BRIDGE_VOTE = (
    "Karsholm council votes to replace the swing bridge",
    "The Karsholm town council voted on Tuesday to replace the swing bridge over the Vessel canal. "
    "The bridge has opened for barges since 1931, but its turning gear failed twice last winter. "
    "A new fixed span would sit high enough for most barges to pass underneath without stopping traffic. "
    "Shop owners on the east bank fear months of detours while the old bridge is taken apart. "
    "The council expects construction to start next spring and to last about fourteen months.",
)
BRIDGE_COST = (
    "Engineers say repairing the Karsholm swing bridge would cost more than a new span",
    "An engineering report presented in Karsholm found that repairing the swing bridge would cost "
    "31 million kroner. "
    "A new fixed span over the Vessel canal is estimated at 27 million kroner, including the ramps. "
    "The report warns that the turning gear of the old bridge could fail again without warning. "
    "Barge operators said a higher span would spare them long waits at the canal entrance. "
    "The engineers recommended closing the bridge to heavy lorries until the council decides.",
)
BAKERY = (
    "Tallvik bakery cooperative starts a night shift",
    "The bakery cooperative in Tallvik will bake through the night from next month to supply the ferry "
    "kiosks. "
    "Six bakers have been hired, most of them apprentices who finished their training in June. "
    "The cooperative says demand for rye bread on the early crossings has doubled in two years. "
    "Neighbours asked that the delivery vans avoid the narrow lane behind the church before six.",
)
BRIDGE_THREAD = """\
- id: karsholm-bridge
  title: Karsholm bridge
  description: The replacement of the swing bridge over the Vessel canal in Karsholm.
  entities: [Karsholm]
  keywords: [swing bridge, span, turning gear]
"""
NO_WAIT = SendPolicy(delays=(0, 0, 0), sleep=lambda seconds: None)


def story_page(title: str, text: str) -> bytes:
    """An article page: a heading and one paragraph per sentence, as written."""
    paragraphs = "".join(f"<p>{s}</p>" for s in re.split(r"(?<=\.) ", text.strip()))
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def publish_news(site: LoopbackSite, when: datetime = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)) -> str:
    """Serve the three stories (pages and an RSS feed) on `site`; return the feed's URL."""
    items = []
    for n, (title, text) in enumerate((BRIDGE_VOTE, BRIDGE_COST, BAKERY)):
        path = f"/news/{n}"
        site.serve(path, Reply(body=story_page(title, text), content_type="text/html; charset=utf-8"))
        items.append(rss_item(title, site.url(path), f"karsholm-{n}", when, text.split(". ")[0] + "."))
    site.serve("/feed.xml", rss_feed(*items, title="Karsholm Courier"))
    return site.url("/feed.xml")


def write_sources(
    root: Path,
    feeds: Sequence[str],
    allow: Sequence[str],
    *,
    schedule: Sequence[str] = (),
    max_threads: int | None = None,
    threads: str = BRIDGE_THREAD,
    to: Sequence[str] = (MAIL_TO,),
    delivery: str = "",
) -> Path:
    """A sources.yaml in `root` with output/ and state/ beside it, mailing `to` (MAIL_TO)."""
    lines = ["brief:", "  title: Karsholm Brief", "  output: output", "  state: state"]
    if schedule:
        lines.append("  schedule: [" + ", ".join(f'"{t}"' for t in schedule) + "]")
    if max_threads is not None:
        lines.append(f"  max_threads: {max_threads}")
    lines += ["delivery:", "  to: [" + ", ".join(f'"{a}"' for a in to) + "]", f'  from: "{MAIL_FROM}"']
    lines += [f"  {line}" for line in delivery.strip().splitlines()]
    lines += ["network:", "  allow: [" + ", ".join(f'"{a}"' for a in allow) + "]", "feeds:"]
    for n, url in enumerate(feeds):
        lines += [f'  - url: "{url}"', f'    name: "{"Karsholm Courier" if n == 0 else f"Feed {n}"}"']
    if threads:
        lines += ["threads:", *(f"  {line}" for line in threads.strip().splitlines())]
    path = root / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class ScriptedMailbox:
    """What a loopback SMTP server does with each DATA: the next answer of `script`, then `default`.

    A scripted answer is an SMTP reply ("451 4.3.0 try later"), "DROP" (close the connection
    after reading the message, without answering) or "HOLD" (wait until `release` is set, then
    answer 451; the client that sent it is usually gone by then). Every message that arrives is
    kept in `data`, those answered 250 in `accepted`; `wait_data(n)` and `wait_accepted(n)` block
    until there are n of them (or a timeout passes, returning False). With `together` = n, no
    message is answered until messages have come over n connections (or a minute passes), so
    that n clients are sure to be sending at the same time.
    """

    def __init__(self) -> None:
        self.script: list[str] = []
        self.default = "250 2.0.0 accepted"
        self.data: list[bytes] = []
        self.accepted: list[bytes] = []
        self.envelopes: list[list[str]] = []  # the RCPT TO addresses of each message accepted
        self.refuse: dict[str, str] = {}  # an address: the reply to its RCPT TO ("550 5.1.1 ...")
        self.sessions: set[int] = set()  # the connections messages came over
        self.per_session: Counter[int] = Counter()  # messages accepted over each connection
        self.logins: list[tuple[str, bool, int]] = []  # (user, accepted, session)
        self.release = threading.Event()
        self.before_250: Callable[[], None] = lambda: None  # what happens once a message is kept
        # what happens as a message arrives, before it is kept: a reply returned instead of
        # keeping it (the message never committed), or None to go on
        self.intercept: Callable[[], str | None] = lambda: None
        self.together = 0
        self._arrived: set[int] = set()  # the connections a message has come over
        self._changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = bytes(envelope.content)
        instead = self.intercept()
        if instead is not None:
            return instead
        self._arrived.add(id(session))
        deadline = time.monotonic() + 60
        while len(self._arrived) < self.together and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        reply = self.script.pop(0) if self.script else self.default
        self._record(self.data, content)
        if reply == "HOLD":
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 120)
            return "451 4.3.0 held"
        if reply == "DROP":
            server.transport.close()
            return "451 4.3.0 never heard"
        if reply.startswith("250"):
            self.envelopes.append(list(envelope.rcpt_tos))
            self.sessions.add(id(session))
            self.per_session[id(session)] += 1
            self._record(self.accepted, content)
            self.before_250()
        return reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.refuse.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        user = data.login.decode() if isinstance(data, LoginPassword) else "?"
        self.logins.append((user, ok, id(session)))
        # handled=False: aiosmtpd answers 535 itself (handled=True would leave the client waiting)
        return AuthResult(success=ok, handled=False)

    def _record(self, into: list[bytes], content: bytes) -> None:
        with self._changed:
            into.append(content)
            self._changed.notify_all()

    def wait_data(self, n: int, timeout: float = 60) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.data) >= n, timeout)

    def wait_accepted(self, n: int, timeout: float = 60) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.accepted) >= n, timeout)


@dataclass
class SmtpServer:
    """A running aiosmtpd on 127.0.0.1: plain, or STARTTLS + AUTH with a trustme certificate."""

    mailbox: ScriptedMailbox
    port: int
    ca_file: str | None  # the CA that signed the server's certificate (TLS servers only)

    def settings(self, password: str = SMTP_PASSWORD) -> SmtpSettings:
        if self.ca_file is None:
            return SmtpSettings("127.0.0.1", self.port, None, None, "none")
        return SmtpSettings("127.0.0.1", self.port, SMTP_USER, password, "starttls", ca_file=self.ca_file)

    def env(self, password: str = SMTP_PASSWORD) -> dict[str, str]:
        """BRIEF_SMTP_* for the command line."""
        s = self.settings(password)
        env = {"BRIEF_SMTP_HOST": s.host, "BRIEF_SMTP_PORT": str(s.port), "BRIEF_SMTP_TLS": s.tls}
        if s.user:
            env |= {"BRIEF_SMTP_USER": s.user, "BRIEF_SMTP_PASSWORD": s.password or ""}
        if s.ca_file:
            env["BRIEF_SMTP_CA_FILE"] = s.ca_file
        return env


@pytest.fixture
def make_smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., SmtpServer]]:
    """Start SMTP servers on loopback: `make_smtp()` plain, `make_smtp(tls=True)` STARTTLS with
    AUTH required (after TLS). Held handlers are released and servers stopped after the test."""
    started: list[tuple[Controller, ScriptedMailbox]] = []

    def start(*, tls: bool = False, auth_require_tls: bool = True, auth: bool | None = None) -> SmtpServer:
        mailbox = ScriptedMailbox()
        port = free_port()  # aiosmtpd cannot bind port 0 itself
        kwargs: dict[str, Any] = {}
        ca_file = None
        if tls:
            ca = trustme.CA()
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)
            ca_path = tmp_path_factory.mktemp("smtp-ca") / "ca.pem"
            ca.cert_pem.write_to_path(str(ca_path))
            ca_file = str(ca_path)
            kwargs |= {"tls_context": server_ctx, "require_starttls": True}
        if auth if auth is not None else tls:
            kwargs |= {
                "authenticator": mailbox.authenticate,
                "auth_required": True,  # no MAIL FROM before a successful AUTH
                "auth_require_tls": auth_require_tls,
            }
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append((controller, mailbox))
        return SmtpServer(mailbox, port, ca_file)

    yield start
    for controller, mailbox in started:
        mailbox.release.set()
        controller.stop()


def open_store(state_dir: Path) -> Store:
    """The state of this test's backend: SQLite in `state_dir`, or the PostgreSQL database that
    `on_each_backend` named in BRIEF_DATABASE_URL (as the config of the test reads it)."""
    return Store(state_dir, os.environ.get("BRIEF_DATABASE_URL") or None)


def ledger(state_dir: Path) -> tuple[dict[str, SlotRecord], dict[str, DeliveryRecord]]:
    """The ledger's slots and the outbox's deliveries, by slot and by brief id."""
    store = open_store(state_dir)
    try:
        return {s.slot: s for s in store.slots()}, {d.brief_id: d for d in store.deliveries()}
    finally:
        store.close()


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def brief_cli(*args: str) -> CliResult:
    """`brief ARGS` in this process, as main() runs it: exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli_main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return CliResult(code, out.getvalue(), err.getvalue())


def brief_process(*args: str, env: Mapping[str, str] | None = None, **popen: Any) -> subprocess.Popen[str]:
    """`python -m pipeline ARGS` as a child process, BRIEF_SMTP_* taken from `env` only."""
    return python_process("-m", "pipeline", *args, env=env, **popen)


def python_process(*args: str, env: Mapping[str, str] | None = None, **popen: Any) -> subprocess.Popen[str]:
    """`python ARGS` as a child process (`-c CODE ...`), BRIEF_SMTP_* taken from `env` only."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BRIEF_SMTP")}
    return subprocess.Popen(
        [sys.executable, *args],
        env=clean | dict(env or {}),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


@contextlib.contextmanager
def brief_workers(
    sources: Path, count: int, *args: str, env: Mapping[str, str] | None = None
) -> Iterator[list[subprocess.Popen[str]]]:
    """`count` processes of `brief worker --config SOURCES --concurrency 4 ARGS` (BRIEF_SMTP_* from
    `env` only: the SMTP server they send the briefs with), stopped (SIGTERM, then killed if they
    linger) after the block."""
    started = [
        brief_process("worker", "--config", str(sources), "--concurrency", "4", *args, env=env)
        for _ in range(count)
    ]
    try:
        yield started
    finally:
        for worker in started:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in started:
            try:
                worker.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.communicate()


# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test session (skipped, saying why, when it cannot start)."""
    try:
        with running_server(free_port()) as server:
            yield server
    except (FileNotFoundError, KeyError, subprocess.CalledProcessError) as exc:
        detail = (
            exc.stderr.decode(errors="replace")[-400:]
            if isinstance(exc, subprocess.CalledProcessError)
            else ""
        )
        pytest.skip(f"no PostgreSQL server for the tests: {exc} {detail}".strip())


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The address of a new, empty, migrated PostgreSQL database."""
    return postgres_server.database()


@pytest.fixture
def postgres_env(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`postgres_url`, named in BRIEF_DATABASE_URL too: every config the test loads (and every
    `brief` child process it starts) keeps its state there."""
    monkeypatch.setenv("BRIEF_DATABASE_URL", postgres_url)
    return postgres_url


@pytest.fixture
def on_each_backend(database: str | None, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The test runs once with SQLite and once with PostgreSQL: every config it loads (and
    every `brief` child process it starts) finds the database in BRIEF_DATABASE_URL."""
    if database is None:
        monkeypatch.delenv("BRIEF_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("BRIEF_DATABASE_URL", database)
    return database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    """The store's backend for a test that runs against both: None is SQLite in the state
    folder, else a fresh PostgreSQL database's address."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_url"))
