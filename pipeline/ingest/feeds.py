"""Feed bytes → plain-text entries, with feedparser (RSS 0.9x/1.0/2.0, Atom, RDF), and JSON Feed
(1.0 and 1.1), which feedparser does not read, mapped to the same shape.

feedparser is given a stream, never a string: a string that looks like a path or URL makes it
open a file or the network. Titles and summaries come out as plain text (feedparser does not
sanitize text/plain titles, and we render them escaped anyway); links are absolute http(s)
or empty.
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import io
import json
import re
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

from pipeline.models import ErrorKind, FeedEntry, FetchResult, ParsedFeed
from pipeline.settings import FETCH_KEYS

# Exceptions feedparser reports that still leave a usable document.
_SURVIVABLE = ("CharacterEncodingOverride", "NonXMLContentType")
FUTURE_TOLERANCE = timedelta(hours=24)


def parse_job(job: tuple[FetchResult, datetime, int]) -> ParsedFeed:
    """`parse_feed(result, now, max_entries)` as one value, for a helper process."""
    return parse_feed(*job)


def parse_feed(
    result: FetchResult, now: datetime, max_entries: int = FETCH_KEYS["max_entries_per_feed"].default
) -> ParsedFeed:
    """Parse a fetched feed body into at most `max_entries` newest entries."""
    headers = dict(result.headers)
    headers.setdefault("content-location", result.final_url)
    try:
        doc: Any = _json_feed(result.body) or feedparser.parse(
            io.BytesIO(result.body), response_headers=headers
        )
    except Exception as exc:  # feedparser is defensive, but a parser crash must not stop a run
        return ParsedFeed(result.url, "", (), error=f"feed parser failed: {exc}", error_kind=ErrorKind.PARSE)
    bozo = doc.get("bozo_exception") if doc.get("bozo") else None
    entries_raw = list(doc.get("entries", []))
    if not doc.get("version") and not entries_raw:
        looks_html = b"<html" in result.body[:2048].lower()
        hint = "an HTML page, not a feed" if looks_html else "no RSS, Atom or RDF document found"
        return ParsedFeed(result.url, "", (), error=f"not a feed: {hint}", error_kind=ErrorKind.NOT_A_FEED)
    if bozo is not None and not entries_raw and type(bozo).__name__ not in _SURVIVABLE:
        return ParsedFeed(result.url, "", (), error=f"malformed feed: {bozo}", error_kind=ErrorKind.PARSE)

    base = result.final_url
    seen_ids: set[str] = set()
    seen_items: set[tuple[str, str]] = set()
    entries: list[FeedEntry] = []
    for raw in entries_raw:
        entry = _entry(raw, result.url, base, now)
        if entry is None or (entry.entry_id, entry.link) in seen_items:
            continue  # the same item listed twice
        seen_items.add((entry.entry_id, entry.link))
        if entry.entry_id in seen_ids:  # a repeated GUID with another link is another entry
            entry = replace(entry, entry_id=f"{entry.entry_id}#{_digest(entry.link)}")
        seen_ids.add(entry.entry_id)
        entries.append(entry)
    oldest = datetime.min.replace(tzinfo=UTC)
    entries.sort(key=lambda e: e.published or oldest, reverse=True)
    warning = f"feed is malformed but readable: {bozo}" if bozo is not None else None
    title = plain_text(str(doc.get("feed", {}).get("title", "")))
    return ParsedFeed(result.url, title, tuple(entries[:max_entries]), warning=warning)


def _json_feed(body: bytes) -> dict[str, Any] | None:
    """A JSON Feed (jsonfeed.org, 1.0 and 1.1) in the shape feedparser gives a document, or None
    when the body is not one (feedparser does not read JSON)."""
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return None
    try:
        feed = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not (isinstance(feed, dict) and "jsonfeed.org" in str(feed.get("version", ""))):
        return None
    items = feed.get("items")
    entries = [
        _json_item(item) for item in (items if isinstance(items, list) else []) if isinstance(item, dict)
    ]
    return {"version": "json", "feed": {"title": _text(feed.get("title"))}, "entries": entries}


def _json_item(item: dict[str, Any]) -> dict[str, Any]:
    """One JSON Feed item with feedparser's keys, so `_entry` reads it like any other."""
    raw: dict[str, Any] = {
        "id": _text(item.get("id")),
        "link": _text(item.get("url")) or _text(item.get("external_url")),
        "title": _text(item.get("title")),
        "summary": _text(item.get("summary"))
        or _text(item.get("content_html"))
        or _text(item.get("content_text")),
    }
    authors = item.get("authors") if isinstance(item.get("authors"), list) else [item.get("author")]
    if authors and isinstance(authors[0], dict):
        raw["author"] = _text(authors[0].get("name"))
    for key, field in (("published", "date_published"), ("updated", "date_modified")):
        written = _text(item.get(field))
        if written:
            raw[key] = written
            with contextlib.suppress(ValueError, OverflowError):  # else "undated (unparsable)"
                raw[f"{key}_parsed"] = datetime.fromisoformat(written.replace("Z", "+00:00")).utctimetuple()
    return raw


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _entry(raw: Any, feed_url: str, base: str, now: datetime) -> FeedEntry | None:
    title = plain_text(str(raw.get("title", "")))
    summary_html = str(raw.get("summary", "") or "")
    if not summary_html and raw.get("content"):
        summary_html = str(raw["content"][0].get("value", ""))
    summary = plain_text(summary_html)
    link = safe_link(str(raw.get("link", "") or ""), base)
    entry_id = str(raw.get("id", "") or "").strip() or link
    if not entry_id:
        if not (title or summary):
            return None
        entry_id = "sha1:" + _digest(title + "\n" + summary)
    published, date_note = _date(raw, now)
    return FeedEntry(
        feed_url=feed_url,
        entry_id=entry_id[:1000],
        link=link,
        title=title[:500],
        summary=summary[:5000],
        published=published,
        author=plain_text(str(raw.get("author", "") or ""))[:200],
        date_note=date_note,
    )


def _date(raw: Any, now: datetime) -> tuple[datetime, str]:
    """The entry's date and "" — or the fetch time and why ("missing", "unparsable", "future")."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = raw.get(key)
        if parsed:
            try:
                when = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
            # A date far in the future would pin the entry to the top forever: clamp it.
            return (now, "future") if when > now + FUTURE_TOLERANCE else (when, "")
    given = any(raw.get(key) for key in ("published", "updated", "created"))
    return now, "unparsable" if given else "missing"


def safe_link(link: str, base: str) -> str:
    """An absolute http(s) URL, or "" for anything else (javascript:, data:, mailto:, ...)."""
    link = "".join(link.split())  # browsers ignore whitespace and control characters inside URLs
    if not link:
        return ""
    try:
        absolute = urljoin(base, link)
        parts = urlsplit(absolute)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        httpx.URL(absolute)  # what the fetcher will have to parse
    except (ValueError, httpx.InvalidURL):
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return absolute


def plain_text(fragment: str) -> str:
    """Text of an HTML fragment, whitespace collapsed."""
    if "<" not in fragment and "&" not in fragment:
        return " ".join(fragment.split())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(fragment, "html.parser")
    for tag in soup(["script", "style", "noscript", "iframe", "object", "template"]):
        tag.decompose()
    return re.sub(r"\s+", " ", soup.get_text(" ")).strip()


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]
