"""`brief demo`: the whole pipeline, offline, on the bundled corpus.

The corpus (feeds described in `corpus/corpus.json`, article pages under `corpus/pages/`) is
served by a real HTTP server on loopback, and the brief is delivered over real SMTP to a sink
on loopback: the same code path as a real run. The feed server shows only the articles
published before its simulated clock, so three runs on three days make an archive.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

CORPUS = resources.files(__package__) / "corpus"
DEMO_SLOTS = ("2026-04-08T21:00Z", "2026-04-09T21:00Z", "2026-04-10T15:00Z")
BASE_PLACEHOLDER = "@BASE@"


def load_corpus() -> dict[str, Any]:
    """The corpus manifest: feeds, articles (with their gold labels)."""
    data: dict[str, Any] = json.loads((CORPUS / "corpus.json").read_text(encoding="utf-8"))
    return data


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class CorpusServer(ThreadingHTTPServer):
    """Serves the corpus; `now` is the simulated clock that decides which items a feed lists."""

    daemon_threads = True

    def __init__(self, now: datetime) -> None:
        super().__init__(("127.0.0.1", 0), _CorpusHandler)
        self.now = now
        self.corpus = load_corpus()
        self.requests: list[str] = []

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def feed_url(self, feed_id: str) -> str:
        return f"{self.base}/feeds/{feed_id}.xml"

    def render_feed(self, feed_id: str) -> bytes | None:
        feed = next((f for f in self.corpus["feeds"] if f["id"] == feed_id), None)
        if feed is None:
            return None
        items = [
            a
            for a in self.corpus["articles"]
            if a["feed"] == feed_id and _parse_time(a["published"]) <= self.now
        ]
        items.sort(key=lambda a: a["published"], reverse=True)
        writer = _FEED_WRITERS[str(feed.get("format", "rss"))]
        text: str = writer(feed, items, self.base)
        return text.encode("utf-8")

    def render_page(self, path: str) -> bytes | None:
        article = next((a for a in self.corpus["articles"] if a["id"] == path.strip("/")), None)
        if article is None or _parse_time(article["published"]) > self.now:
            return None
        text: str = (CORPUS / str(article["page"])).read_text(encoding="utf-8")
        return text.replace(BASE_PLACEHOLDER, self.base).encode("utf-8")


class _CorpusHandler(BaseHTTPRequestHandler):
    server: CorpusServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.requests.append(path)
        if path.startswith("/feeds/") and path.endswith(".xml"):
            body, ctype = self.server.render_feed(path[len("/feeds/") : -4]), "application/xml"
        else:
            body, ctype = self.server.render_page(path), "text/html; charset=utf-8"
        if body is None:
            self.send_error(404)
            return
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the run reports progress
        pass


def _link(article: dict[str, Any], base: str) -> str:
    query = article.get("link_query") or ""
    return f"{base}/{article['id']}" + (f"?{query}" if query else "")


def _rss(feed: dict[str, Any], items: list[dict[str, Any]], base: str) -> str:
    out = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(feed['title'])}</title><link>{base}/{feed['id']}</link>"
        f"<description>{escape(feed.get('description', ''))}</description>"
    ]
    for a in items:
        when = format_datetime(_parse_time(a["published"]))
        out.append(
            f"<item><title>{escape(a['title'])}</title><link>{escape(_link(a, base))}</link>"
            f'<guid isPermaLink="false">{escape(a["id"])}</guid><pubDate>{when}</pubDate>'
            f"<author>{escape(a.get('author', ''))}</author>"
            f"<description>{escape(a['summary'])}</description></item>"
        )
    return "".join(out) + "</channel></rss>\n"


def _atom(feed: dict[str, Any], items: list[dict[str, Any]], base: str) -> str:
    updated = items[0]["published"] if items else "2026-04-08T00:00:00Z"
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(feed['title'])}</title><id>{base}/{feed['id']}</id><updated>{updated}</updated>"
        f'<link href="{escape(base)}/{feed["id"]}"/>'
    ]
    for a in items:
        out.append(
            f"<entry><title>{escape(a['title'])}</title>"
            f'<link rel="alternate" href="{escape(_link(a, base))}"/>'
            f"<id>tag:demo,2026:{escape(a['id'])}</id><published>{a['published']}</published>"
            f"<updated>{a['published']}</updated><author><name>{escape(a.get('author', ''))}</name></author>"
            f'<summary type="html">{escape(escape(a["summary"]))}</summary></entry>'
        )
    return "".join(out) + "</feed>\n"


def _rdf(feed: dict[str, Any], items: list[dict[str, Any]], base: str) -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="{base}/{feed["id"]}"><title>{escape(feed["title"])}</title>'
        f"<link>{base}/{feed['id']}</link><description>{escape(feed.get('description', ''))}</description>"
        "<items><rdf:Seq>"
    ]
    out += [f'<rdf:li rdf:resource="{escape(_link(a, base))}"/>' for a in items]
    out.append("</rdf:Seq></items></channel>")
    for a in items:
        out.append(
            f'<item rdf:about="{escape(_link(a, base))}"><title>{escape(a["title"])}</title>'
            f"<link>{escape(_link(a, base))}</link><description>{escape(a['summary'])}</description>"
            f"<dc:date>{a['published']}</dc:date>"
            f"<dc:creator>{escape(a.get('author', ''))}</dc:creator></item>"
        )
    return "".join(out) + "</rdf:RDF>\n"


_FEED_WRITERS = {"rss": _rss, "atom": _atom, "rdf": _rdf}


@contextmanager
def serve_corpus(now: datetime) -> Iterator[CorpusServer]:
    """Run the corpus server on a free loopback port for the duration of the block."""
    server = CorpusServer(now)
    thread = threading.Thread(target=server.serve_forever, name="demo-corpus", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A free loopback port (aiosmtpd cannot bind port 0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps what it receives."""

    port: int
    messages: list[bytes]


class _SinkHandler:
    def __init__(self, messages: list[bytes]) -> None:
        self.messages = messages

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(bytes(envelope.original_content or envelope.content))
        return "250 OK: queued by the dailybrief demo sink"


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    messages: list[bytes] = []
    port = free_port()
    controller = Controller(_SinkHandler(messages), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpSink(port, messages)
    finally:
        controller.stop()


def demo_config_text(server: CorpusServer, output: Path, state: Path) -> str:
    """A sources.yaml for the corpus server: its feeds, the two seed threads, loopback allowed."""
    host, port = server.server_address[:2]
    feeds = "\n".join(
        f"  - url: {server.feed_url(f['id'])}\n    name: {json.dumps(f['title'])}"
        for f in server.corpus["feeds"]
    )
    shipped = resources.files(__package__) / "threads.yaml"
    return (
        "brief:\n"
        '  title: "AI Daily Brief (demo)"\n'
        '  audience: "AI engineers and tech leads"\n'
        '  schedule: ["15:00", "21:00"]\n'
        f"  output: {json.dumps(str(output))}\n"
        f"  state: {json.dumps(str(state))}\n"
        "delivery:\n"
        '  to: ["reader@example.com"]\n'
        '  from: "dailybrief demo <brief@dailybrief.invalid>"\n'
        f'network:\n  allow: ["{host!s}:{port}"]\n'
        f"feeds:\n{feeds}\n" + shipped.read_text(encoding="utf-8")
    )


def reset(folder: Path) -> None:
    """Empty a demo folder so the demo starts from nothing each time."""
    if folder.exists():
        shutil.rmtree(folder)


def slot_clock(slot: datetime) -> datetime:
    """The simulated time a demo run happens: a couple of minutes after its slot."""
    return slot.astimezone(UTC) + timedelta(minutes=2)


@dataclass(frozen=True)
class DemoResult:
    config_path: Path
    runs: list[Any]  # run.RunResult of each slot, oldest first
    received: list[Path]  # the message the SMTP sink received, saved beside each brief


def run_demo(folder: Path, progress: Any = None) -> DemoResult:
    """Serve the corpus, run one brief per demo slot, deliver each to the SMTP sink."""
    from pipeline.config import SmtpSettings, load_config
    from pipeline.operate.schedule import parse_slot
    from pipeline.publish.archive import write_file
    from pipeline.run import run_brief

    output, state = folder / "output", folder / "state"
    reset(output)
    reset(state)
    folder.mkdir(parents=True, exist_ok=True)
    slots = [parse_slot(s) for s in DEMO_SLOTS]
    runs: list[Any] = []
    received: list[Path] = []
    with serve_corpus(slot_clock(slots[0])) as server, smtp_sink() as sink:
        config_path = folder / "sources.yaml"
        config_path.write_text(demo_config_text(server, output, state), encoding="utf-8")
        config = load_config(config_path)
        smtp = SmtpSettings(host="127.0.0.1", port=sink.port, user=None, password=None, tls="none")
        for slot in slots:
            now = slot_clock(slot)
            server.now = now
            before = len(sink.messages)
            result = run_brief(config, slot=slot, clock=_fixed(now), smtp=smtp, progress=progress)
            runs.append(result)
            if len(sink.messages) > before:
                relative = result.brief_dir.relative_to(output) / "received.eml"
                received.append(write_file(output, relative.as_posix(), sink.messages[-1]))
    return DemoResult(config_path, runs, received)


def _fixed(now: datetime) -> Callable[[], datetime]:
    return lambda: now
