"""Editions: three editions sharing 100 feeds on a loopback server, one slot (synthetic, no data).

Each edition reads 60 of the 100 feeds (overlapping: every feed is read by one to three
editions); each feed has three items, each item a page of its own. The figure is the pages
fetched over the distinct pages asked for: 1.0 when every page is fetched once, however many
editions read its feed (the reading stage is shared, `run.run_editions`).
"""

from __future__ import annotations

import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipeline.config import load_config
from pipeline.run import RunOptions, run_editions

from .core import Figure, Options, Report, at_most

FEEDS = 100
ITEMS = 3
SLOT = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
WORDS = "harbour ferry channel orchard glacier library lighthouse council budget bridge".split()


def run(options: Options, report: Report) -> None:
    feeds = 20 if options.limit is not None else FEEDS
    hits: Counter[str] = Counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hits))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            editions = _make(Path(tmp), server.server_address[1], feeds)
    finally:
        server.shutdown()
        server.server_close()
    pages = {p: n for p, n in hits.items() if p.startswith("/page/")}
    if len(pages) != feeds * ITEMS or editions != 3:
        raise AssertionError(f"{len(pages)} pages asked for, {editions} editions made")
    report.add(
        Figure(
            "scale.editions",
            f"3 editions sharing {feeds} feeds, one slot: pages fetched / distinct pages",
            sum(pages.values()) / len(pages),
            None,
            "",
            "",
            "synthetic feeds on loopback",
            len(pages),
            target=at_most(1.0),
            note=f"{sum(hits.values())} requests in all for {feeds} feeds and {len(pages)} pages",
        )
    )


def _handler(hits: Counter[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits[self.path] += 1
            if self.path.startswith("/feed/"):
                n = int(self.path.rsplit("/", 1)[1])
                port = int(self.headers.get("Host", "").rsplit(":", 1)[-1])
                body, kind = _feed(n, port), "application/rss+xml"
            else:
                body, kind = _page(self.path), "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _feed(n: int, port: int) -> bytes:
    items = "".join(
        f"<item><title>Story {n}-{i} on the {WORDS[(n + i) % len(WORDS)]}</title>"
        f"<link>http://127.0.0.1:{port}/page/{n}/{i}</link><guid>s{n}-{i}</guid>"
        "<pubDate>Tue, 10 Nov 2026 08:00:00 GMT</pubDate></item>"
        for i in range(ITEMS)
    )
    channel = f"<channel><title>Feed {n}</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def _page(path: str) -> bytes:
    seed = sum(map(ord, path))
    words = [WORDS[(seed + k) % len(WORDS)] for k in range(6)]
    text = "".join(
        f"<p>The {words[k % 6]} report number {seed + k} said the {words[(k + 1) % 6]} plan went on.</p>"
        for k in range(6)
    )
    body = f"<body><article><h1>{path}</h1>{text}</article></body>"
    return f"<html><head><title>{path}</title></head>{body}</html>".encode()


def _make(root: Path, port: int, feeds: int) -> int:
    lines = [
        "brief:\n  title: Editions Bench\n  output: output\n  state: state",
        f'network:\n  allow: ["127.0.0.1:{port}"]',
        "feeds:",
        *(f'  - {{url: "http://127.0.0.1:{port}/feed/{n}", name: "Feed {n}"}}' for n in range(feeds)),
        "editions:",
    ]
    for e in range(3):  # edition e reads 60% of the feeds, starting at its own offset
        chosen = [(e * feeds // 5 + k) % feeds for k in range(feeds * 3 // 5)]
        lines.append(f"  - id: edition-{e}\n    feeds: [" + ", ".join(f'"Feed {n}"' for n in chosen) + "]")
    (root / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(root / "sources.yaml")
    made = run_editions(config, slot=SLOT, clock=lambda: SLOT, options=RunOptions(send=False))
    return sum(o.result is not None for o in made.values())
