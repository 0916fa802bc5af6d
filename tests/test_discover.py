"""A feed added by its site's address: the page's <link rel="alternate"> read through the
run's own fetcher and guards, on loopback servers (one of them a "private" one never to reach)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.curate import NoFeedError, SeveralFeedsError, add_feed
from pipeline.ingest.discover import discover_feeds
from pipeline.ingest.fetch import FetchSettings

NOW = datetime(2026, 4, 9, 12, 0, tzinfo=UTC)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title>
<link>http://example.invalid/</link><item><title>Ferry adds crossings</title>
<link>http://example.invalid/a</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Harbour Gazette: comments</title><id>urn:x</id><updated>2026-04-09T00:00:00Z</updated></feed>"""
TWO = b"""<!doctype html><html><head><title>Harbour Gazette</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="All news" href="http://HOST/feed.xml">
<link rel="alternate" type="application/atom+xml; charset=utf-8" title="Comments" href="comments/atom.xml">
<link rel="alternate" type="application/rss+xml" title="Bad" href="javascript:alert(1)">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
</head><body><p>News</p></body></html>"""


def _settings(server: HTTPServer) -> FetchSettings:
    return FetchSettings(allow=(f"{server.host}:{server.port}",), connect_timeout=2.0)


def _config(tmp_path: Path, server: HTTPServer) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        f'network:\n  allow: ["{server.host}:{server.port}"]  # the loopback test site\n'
        "feeds:\n  - url: https://existing.example/feed\n    name: Existing\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def victim() -> Iterator[HTTPServer]:
    """A server at a private address that no fetch may reach."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_a_page_with_two_alternates_offers_both_relative_one_resolved(httpserver: HTTPServer) -> None:
    page = TWO.replace(b"HOST", f"{httpserver.host}:{httpserver.port}".encode())
    httpserver.expect_request("/news/").respond_with_data(page, content_type="text/html")

    found = discover_feeds(httpserver.url_for("/news/"), _settings(httpserver), NOW)

    assert not found.is_feed and not found.error
    assert [(f.url, f.title) for f in found.feeds] == [
        (httpserver.url_for("/feed.xml"), "All news"),
        (httpserver.url_for("/news/comments/atom.xml"), "Comments"),
    ]


def test_a_page_that_names_several_feeds_lets_the_reader_choose(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    page = TWO.replace(b"HOST", f"{httpserver.host}:{httpserver.port}".encode())
    httpserver.expect_request("/").respond_with_data(page, content_type="text/html")
    config = _config(tmp_path, httpserver)
    before = config.read_text(encoding="utf-8")

    with pytest.raises(SeveralFeedsError) as raised:
        add_feed(load_config(config), httpserver.url_for("/"))
    assert len(raised.value.found) == 2
    result = CliRunner().invoke(cli, ["feeds", "add", httpserver.url_for("/"), "--config", str(config)])
    assert result.exit_code == 1
    assert f"brief feeds add {httpserver.url_for('/feed.xml')}   (All news)" in result.output
    assert config.read_text(encoding="utf-8") == before


def test_a_page_with_one_alternate_adds_that_feed_once_it_is_read(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/").respond_with_data(
        b'<html><head><base href="/site/"><link rel="Alternate feed" type="application/rss+xml" '
        b'href="rss.xml"></head></html>',
        content_type="text/html",
    )
    httpserver.expect_request("/site/rss.xml").respond_with_data(RSS, content_type="application/rss+xml")
    config = _config(tmp_path, httpserver)

    result = CliRunner().invoke(cli, ["feeds", "add", httpserver.url_for("/"), "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert "added 1 feed" in result.output
    feeds = load_config(config).feeds
    assert [(f.url, f.name) for f in feeds][-1] == (httpserver.url_for("/site/rss.xml"), "Harbour Gazette")
    assert "# the loopback test site" in config.read_text(encoding="utf-8")


def test_an_address_that_is_a_feed_is_added_as_it_is(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/feed.atom").respond_with_data(ATOM, content_type="application/atom+xml")
    config = _config(tmp_path, httpserver)

    found = discover_feeds(httpserver.url_for("/feed.atom"), _settings(httpserver), NOW)
    assert found.is_feed and [f.title for f in found.feeds] == ["Harbour Gazette: comments"]

    edited = add_feed(load_config(config), httpserver.url_for("/feed.atom"), name="Comments")
    assert edited.config.feeds[-1].url == httpserver.url_for("/feed.atom")
    assert edited.config.feeds[-1].name == "Comments"


def test_a_page_with_no_feed_says_so(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/").respond_with_data(
        b"<html><head><title>No feeds here</title></head><body>hi</body></html>", content_type="text/html"
    )
    with pytest.raises(NoFeedError, match="its page names none") as raised:
        add_feed(load_config(_config(tmp_path, httpserver)), httpserver.url_for("/"))
    assert raised.value.hint is not None and 'rel="alternate"' in raised.value.hint


def test_a_huge_page_is_not_read_past_the_cap(httpserver: HTTPServer) -> None:
    huge = b"<html><head>" + b"<meta name=x content=y>" * 150_000 + b"</head></html>"  # 3.5 MB
    assert len(huge) > 3 * 1024 * 1024
    httpserver.expect_request("/").respond_with_data(huge, content_type="text/html")

    found = discover_feeds(httpserver.url_for("/"), _settings(httpserver), NOW)

    assert found.feeds == () and "over" in found.error and "too-large" in found.error


def test_a_redirect_to_a_private_address_is_refused_and_never_reaches_it(
    httpserver: HTTPServer, victim: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/").respond_with_data(
        "", status=302, headers={"Location": f"http://localhost:{victim.port}/feed.xml"}
    )
    victim.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")

    with pytest.raises(NoFeedError, match="refused non-public address"):
        add_feed(load_config(_config(tmp_path, httpserver)), httpserver.url_for("/"))
    assert victim.log == []


def test_a_site_at_a_private_address_is_refused_without_an_allow(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data(RSS, content_type="application/rss+xml")
    found = discover_feeds(httpserver.url_for("/"), FetchSettings(connect_timeout=2.0), NOW)
    assert "refused-address" in found.error
    assert httpserver.log == []
