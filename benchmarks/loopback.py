"""A loopback HTTP server for the speed benchmarks, RSS feeds that link to its pages, a
sources.yaml that lets the pipeline reach it, and distinct variants of the dev pages."""

from __future__ import annotations

import hashlib
import html
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

Resolver = Callable[[str], tuple[bytes, str] | None]  # path → (body, content type), or None for 404


class Server(ThreadingHTTPServer):
    """Serves what `resolve` gives for a path, after `delay` seconds; honours If-None-Match."""

    daemon_threads = True
    request_queue_size = 256  # many connections at once must not wait for SYN retries

    def __init__(self, resolve: Resolver, delay: float = 0.0, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), _Handler)
        self.resolve = resolve
        self.delay = delay
        self.hits = 0
        self.not_modified = 0
        self._lock = threading.Lock()

    @property
    def host_port(self) -> str:
        host, port = self.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def base(self) -> str:
        return f"http://{self.host_port}"


class _Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: with Nagle on, the second waits for the client's
    # delayed ACK (40 ms on Linux), which would be measured as the fetcher's slowness
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        with self.server._lock:
            self.server.hits += 1
        if self.server.delay:
            time.sleep(self.server.delay)
        found = self.server.resolve(self.path.split("?", 1)[0])
        if found is None:
            self.send_error(404)
            return
        body, ctype = found
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            with self.server._lock:
                self.server.not_modified += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(resolve: Resolver, delay: float = 0.0) -> Iterator[Server]:
    server = Server(resolve, delay)
    thread = threading.Thread(target=server.serve_forever, name="benchmark-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Item:
    path: str  # of the page on the server
    title: str
    published: datetime


def rss(title: str, items: Sequence[Item], base: str) -> bytes:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{base}/</link><description>benchmark feed</description>"
    ]
    for it in items:
        out.append(
            f"<item><title>{escape(it.title)}</title><link>{escape(base + it.path)}</link>"
            f'<guid isPermaLink="false">{escape(it.path)}</guid>'
            f"<pubDate>{format_datetime(it.published)}</pubDate>"
            f"<description>{escape(it.title)}</description></item>"
        )
    return ("".join(out) + "</channel></rss>\n").encode("utf-8")


def write_config(folder: Path, server: Server, feed_paths: Sequence[str]) -> Path:
    """A sources.yaml in `folder` reading `feed_paths` from the server, state and output beside it."""
    lines = [
        "brief:",
        '  title: "Benchmark Brief"',
        "  output: output",
        "  state: state",
        "network:",
        f'  allow: ["{server.host_port}"]',
        "feeds:",
    ]
    for n, path in enumerate(feed_paths):
        lines += [f"  - url: {server.base}{path}", f"    name: Feed {n}"]
    config = folder / "sources.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def page_title(body: bytes, fallback: str) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
    text = html.unescape(match.group(1).decode("utf-8", "replace")) if match else ""
    return " ".join(text.split())[:200] or fallback


# -- distinct variants of a page ------------------------------------------------------------------

_MARKUP = re.compile(
    r"(<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<[^>]*>)", re.IGNORECASE | re.DOTALL
)
_WORD = re.compile(r"[^\W\d_]{3,}")  # words of three letters or more, in any script
REPLACED = 0.35  # share of words replaced: a 5-word shingle survives with p ≈ 0.12, far below dedupe's 0.8


def vocabulary(bodies: Sequence[bytes]) -> list[str]:
    words: set[str] = set()
    for body in bodies:
        for part in _MARKUP.split(body.decode("utf-8", "replace"))[::2]:
            words.update(w.lower() for w in _WORD.findall(part))
    return sorted(words)


def variant(body: bytes, key: str, vocab: Sequence[str]) -> bytes:
    """The page with about a third of the words of its text (not of its markup, scripts or
    styles) replaced by random words: another article as far as dedupe can tell, as long to
    extract. Deterministic in `key`."""
    rng = random.Random(key)
    parts = _MARKUP.split(body.decode("utf-8", "replace"))

    def swap(match: re.Match[str]) -> str:
        return rng.choice(vocab) if rng.random() < REPLACED else match.group(0)

    for i in range(0, len(parts), 2):
        parts[i] = _WORD.sub(swap, parts[i])
    return "".join(parts).encode("utf-8")
