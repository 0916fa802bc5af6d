"""A site's address → the feeds it offers: its `<link rel="alternate">` to RSS or Atom, or the
address itself when it is a feed.

The page is fetched by the run's own fetcher (`fetch.py`, over `netguard.py`): private addresses
refused at every redirect, a deadline, and a cap on its size smaller than an article's (a home
page that names its feeds does so in its first kilobytes). Its bytes are read as hostile: only
the `<base>` and `<link>` tags are looked at, by the standard library's tolerant HTML parser,
and only http(s) addresses are offered, resolved against the page's address.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from pipeline.ingest.feeds import parse_feed
from pipeline.ingest.fetch import FetchSettings, fetch_all
from pipeline.models import FetchRequest

__all__ = ["FEED_TYPES", "Discovery", "FoundFeed", "discover_feeds"]

# the types a `<link rel="alternate">` to a feed declares (JSON Feed is read when it is the
# address given, but the fetcher takes a page for HTML, XML or text only)
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
MAX_PAGE_BYTES = 2 * 1024 * 1024
DEADLINE = 20.0  # seconds for the whole page, redirects included
MOST_FEEDS = 20  # a page that names more is not offering a choice a person can make
MOST_TITLE_CHARS = 200


@dataclass(frozen=True)
class FoundFeed:
    url: str
    title: str  # the feed's own title when it was read, else the link's (may be "")


@dataclass(frozen=True)
class Discovery:
    """What an address offers: itself when it is a feed, else the feeds its page links to."""

    url: str  # the address given
    feeds: tuple[FoundFeed, ...]
    is_feed: bool = False
    error: str = ""  # why the page could not be read ("" when it was)


def discover_feeds(url: str, settings: FetchSettings, now: datetime) -> Discovery:
    """The feeds at `url`: `url` itself (or where it moved for good) when it is a feed, else
    the RSS and Atom feeds its page names, in its order."""
    bounded = replace(
        settings,
        max_raw_bytes=min(settings.max_raw_bytes, MAX_PAGE_BYTES),
        max_decoded_bytes=min(settings.max_decoded_bytes, MAX_PAGE_BYTES),
        page_deadline=min(settings.page_deadline, DEADLINE),
        concurrency=1,
    )
    [result] = fetch_all([FetchRequest(url, kind="page")], bounded)
    if result.error:
        return Discovery(url, (), error=f"{result.error} [{result.error_kind}]")
    parsed = parse_feed(result, now, max_entries=1)
    if parsed.error is None:
        return Discovery(url, (FoundFeed(result.moved_to or url, parsed.title),), is_feed=True)
    links = _Links()
    try:
        links.feed(result.body.decode("utf-8", errors="replace"))
        links.close()
    except AssertionError:  # the parser's own complaint about a broken declaration: keep what it read
        pass
    base = _http(urljoin(result.final_url, links.base)) if links.base else ""
    found: dict[str, FoundFeed] = {}
    for href, title in links.feeds:
        address = _http(urljoin(base or result.final_url, href))
        if address and address not in found:
            found[address] = FoundFeed(address, " ".join(title.split())[:MOST_TITLE_CHARS])
    return Discovery(url, tuple(found.values())[:MOST_FEEDS])


def _http(url: str) -> str:
    """`url` when it is an http(s) address with a host, else "" (javascript:, data:, file:...)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


class _Links(HTMLParser):
    """The first `<base href>` and every `<link rel="alternate" type="…feed…" href>` of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base = ""
        self.feeds: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and not self.base and values.get("href"):
            self.base = values["href"]
        if tag != "link" or len(self.feeds) >= MOST_FEEDS * 2:
            return
        rel = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rel and kind in FEED_TYPES and values.get("href", "").strip():
            self.feeds.append((values["href"], values.get("title", "")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
