"""Runs over time: what a reader sees when a feed repeats itself, breaks, or recovers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import NothingToDoError
from pipeline.run import RunResult, run_brief

PARAGRAPH = (
    "The harbour authority of Lindqvist approved a plan on Monday to dredge the northern channel. "
    "The work will let container ships with a draught of up to 16 metres reach the new terminal. "
    "Officials said the project would cost about 240 million euros over four years. "
    "Fishing groups warned that the dredging could disturb spawning grounds near the estuary. "
    "The authority promised to pause work during the spring spawning season each year. "
)


class Site(ThreadingHTTPServer):
    """A tiny web site whose pages the test rewrites between runs."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages: dict[str, tuple[int, bytes]] = {}
        self.hits: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Site

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        status, body = self.server.pages.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header(
            "Content-Type", "text/html; charset=utf-8" if b"<html" in body else "application/xml"
        )
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _feed(site: Site, items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>{site.base}{path}</link><guid>{guid}</guid>"
        f"<pubDate>Mon, 20 Apr 2026 08:00:00 GMT</pubDate><description>{title}.</description></item>"
        for guid, path, title in items
    )
    channel = f"<channel><title>Harbour News</title>{body}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


FERRY = (
    "The island ferry company published its summer timetable on Tuesday with two extra crossings a day. "
    "Boats will leave the mainland pier every ninety minutes from the first of June until late August. "
    "Fares rise by three percent, the first increase since the company replaced its oldest vessel. "
    "Residents of the outer islands asked for an earlier morning sailing to reach jobs on the coast. "
)


def _page(title: str, text: str = PARAGRAPH) -> bytes:
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in text.split(". ") if s.strip())
    return f"<html><body><article><h1>{title}</h1>{paragraphs}</article></body></html>".encode()


def _run(tmp_path: Path, site: Site, hour: int) -> RunResult:
    config_path = tmp_path / "sources.yaml"
    if not config_path.exists():
        config_path.write_text(
            f'network:\n  allow: ["127.0.0.1:{site.server_address[1]}"]\n'
            f"feeds:\n  - url: {site.base}/feed.xml\n    name: Harbour News\n",
            encoding="utf-8",
        )
    slot = datetime(2026, 4, 20, hour, 0, tzinfo=UTC)
    return run_brief(load_config(config_path), slot=slot, clock=lambda: slot, send=False)


def test_an_article_is_shown_once_even_when_its_feed_gives_it_a_new_guid(tmp_path: Path, site: Site) -> None:
    site.pages["/dredging"] = (200, _page("Lindqvist approves channel dredging"))
    site.pages["/feed.xml"] = (
        200,
        _feed(site, [("guid-1", "/dredging", "Lindqvist approves channel dredging")]),
    )
    first = _run(tmp_path, site, 15)
    assert first.stats.articles_new == 1
    assert "Lindqvist approves channel dredging" in (first.brief_dir / "email.txt").read_text()

    # the feed republishes the same story under a new GUID, with a tracking parameter
    site.pages["/feed.xml"] = (
        200,
        _feed(site, [("guid-1-updated", "/dredging?utm_source=rss", "Lindqvist approves channel dredging")]),
    )
    page_hits = site.hits.count("/dredging")
    second = _run(tmp_path, site, 21)
    assert second.stats.articles_new == 0
    assert "Lindqvist approves channel dredging" not in (second.brief_dir / "email.txt").read_text()
    assert site.hits.count("/dredging") == page_hits, "the known article was fetched again"


def test_a_feed_that_fails_then_recovers_repeats_nothing(tmp_path: Path, site: Site) -> None:
    site.pages["/dredging"] = (200, _page("Lindqvist approves channel dredging"))
    site.pages["/feed.xml"] = (
        200,
        _feed(site, [("guid-1", "/dredging", "Lindqvist approves channel dredging")]),
    )
    assert _run(tmp_path, site, 15).stats.articles_new == 1

    site.pages["/feed.xml"] = (503, b"busy")
    with pytest.raises(NothingToDoError, match="none of the 1 feeds could be read"):
        _run(tmp_path, site, 21)

    site.pages["/ferry"] = (200, _page("Ferry timetable changes for the summer", FERRY))
    site.pages["/feed.xml"] = (
        200,
        _feed(
            site,
            [
                ("guid-2", "/ferry", "Ferry timetable changes for the summer"),
                ("guid-1", "/dredging", "Lindqvist approves channel dredging"),
            ],
        ),
    )
    recovered = _run(tmp_path, site, 23)
    assert recovered.stats.articles_new == 1, "only the new story is new"
    text = (recovered.brief_dir / "email.txt").read_text()
    assert "Ferry timetable changes for the summer" in text
    assert "Lindqvist approves channel dredging" not in text


class _HangUp(BaseHTTPRequestHandler):
    """Promises 1,000 bytes, sends a few, hangs up."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"<rss>")
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_feed_that_hangs_up_mid_body_is_one_failed_feed_not_a_failed_run(
    tmp_path: Path, site: Site
) -> None:
    broken = ThreadingHTTPServer(("127.0.0.1", 0), _HangUp)
    threading.Thread(target=broken.serve_forever, daemon=True).start()
    try:
        site.pages["/dredging"] = (200, _page("Lindqvist approves channel dredging"))
        site.pages["/feed.xml"] = (
            200,
            _feed(site, [("guid-1", "/dredging", "Lindqvist approves channel dredging")]),
        )
        port = broken.server_address[1]
        (tmp_path / "sources.yaml").write_text(
            f'network:\n  allow: ["127.0.0.1:{site.server_address[1]}", "127.0.0.1:{port}"]\n'
            f"feeds:\n  - url: {site.base}/feed.xml\n    name: Harbour News\n"
            f"  - url: http://127.0.0.1:{port}/feed.xml\n    name: Broken Wire\n",
            encoding="utf-8",
        )
        result = _run(tmp_path, site, 15)
    finally:
        broken.shutdown()
        broken.server_close()
    assert result.stats.articles_new == 1
    assert [name for name, _ in result.feed_errors] == ["Broken Wire"]
    assert "connection broken while reading" in result.feed_errors[0][1]


def test_a_resting_feed_waits_for_the_scheduler_but_not_for_a_run_by_hand(tmp_path: Path, site: Site) -> None:
    from pipeline.run import RunOptions

    site.pages["/dredging"] = (200, _page("Lindqvist approves channel dredging"))
    site.pages["/feed.xml"] = (503, b"busy")
    (tmp_path / "sources.yaml").write_text(
        f'network:\n  allow: ["127.0.0.1:{site.server_address[1]}"]\n'
        f"feeds:\n  - url: {site.base}/feed.xml\n    name: Harbour News\n"
        f"  - url: {site.base}/other.xml\n    name: Other\n",
        encoding="utf-8",
    )
    site.pages["/other.xml"] = (200, _feed(site, []))
    config = load_config(tmp_path / "sources.yaml")
    first = datetime(2026, 4, 20, 15, 0, tzinfo=UTC)
    run_brief(config, slot=first, clock=lambda: first, send=False)  # Harbour News now rests

    site.pages["/feed.xml"] = (
        200,
        _feed(site, [("guid-1", "/dredging", "Lindqvist approves channel dredging")]),
    )
    soon = datetime(2026, 4, 20, 15, 5, tzinfo=UTC)
    scheduled = run_brief(config, slot=first, clock=lambda: soon, options=RunOptions(send=False, force=True))
    assert any("resting after 1 failures" in error for _, error in scheduled.feed_errors)
    assert scheduled.stats.articles_new == 0

    by_hand = run_brief(
        config, slot=first, clock=lambda: soon, options=RunOptions(send=False, force=True, manual=True)
    )
    assert by_hand.feed_errors == ()
    assert by_hand.stats.articles_new == 1
