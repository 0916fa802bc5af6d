"""Feed bytes → plain-text entries: RSS 2.0, Atom and RDF; hostile titles, links and dates."""

from __future__ import annotations

import html
import json
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import rss_item as item
from conftest import utc

from pipeline.ingest.feeds import parse_feed
from pipeline.models import ErrorKind, FetchResult, ParsedFeed

NOW = utc(2026, 11, 23, 15, 0)
FEED_URL = "https://harbor.example/feed"
FINAL_URL = "https://harbor.example/rss/feed.xml"  # where the feed ended up after redirects

HOSTILE_TITLE = "Dock strike ends &lt;script&gt;alert(1)&lt;/script&gt; after late talks"
HTML_SUMMARY = (
    "&lt;p&gt;The &lt;b&gt;dock&lt;/b&gt; workers &lt;a href='/x'&gt;return&lt;/a&gt; on Monday.&lt;/p&gt;"
)

RSS = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbor Gazette</title><link>https://harbor.example/</link>
<item><title>{HOSTILE_TITLE}</title><link>https://harbor.example/news/dock</link>
<guid>dock-1</guid><description>{HTML_SUMMARY}</description>
<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"""

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Harbor Gazette</title><id>urn:harbor</id>
<updated>2026-11-23T10:00:00Z</updated>
<entry><title type="html">{HOSTILE_TITLE}</title><link href="https://harbor.example/news/dock"/>
<id>urn:harbor:dock-1</id><updated>2026-11-23T10:00:00Z</updated>
<summary type="html">{HTML_SUMMARY}</summary></entry>
</feed>"""

RDF = f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://harbor.example/"><title>Harbor Gazette</title>
<link>https://harbor.example/</link><description>Port news</description></channel>
<item rdf:about="https://harbor.example/news/dock"><title>{HOSTILE_TITLE}</title>
<link>https://harbor.example/news/dock</link><description>{HTML_SUMMARY}</description>
<dc:date>2026-11-23T10:00:00Z</dc:date></item>
</rdf:RDF>"""


def fetched(body: str | bytes, final_url: str = FINAL_URL, content_type: str = "") -> FetchResult:
    data = body.encode("utf-8") if isinstance(body, str) else body
    headers = {"content-type": content_type} if content_type else {}
    return FetchResult(FEED_URL, final_url, 200, data, headers)


def rss(items: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbor Gazette</title>'
        f"<link>https://harbor.example/</link>{items}</channel></rss>"
    )


def parse(body: str | bytes, **kwargs: object) -> ParsedFeed:
    return parse_feed(fetched(body), NOW, **kwargs)  # type: ignore[arg-type]


JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Harbor Gazette",
        "items": [
            {
                "id": "https://harbor.example/news/dock",
                "url": "https://harbor.example/news/dock",
                "title": html.unescape(HOSTILE_TITLE),  # JSON holds the text itself, not XML-escaped
                "content_html": html.unescape(HTML_SUMMARY),
                "date_published": "2026-11-23T10:00:00Z",
                "authors": [{"name": "Ines Varga"}],
            }
        ],
    }
)


@pytest.mark.parametrize("document", [RSS, ATOM, RDF, JSON_FEED], ids=["rss2", "atom", "rdf", "json-feed"])
def test_each_feed_format_gives_plain_text_entries(document: str) -> None:
    feed = parse(document)

    assert feed.error is None
    assert feed.title == "Harbor Gazette"
    (entry,) = feed.entries
    assert entry.feed_url == FEED_URL
    assert entry.link == "https://harbor.example/news/dock"
    assert entry.published == utc(2026, 11, 23, 10, 0)
    # the script is neither markup nor executed text; the words around it survive
    assert "<" not in entry.title and "alert" not in entry.title
    assert entry.title == "Dock strike ends after late talks"
    # HTML in the summary is reduced to its text
    assert entry.summary == "The dock workers return on Monday."


def test_a_cdata_title_full_of_markup_comes_out_as_text() -> None:
    feed = parse(rss(item("<![CDATA[Cranes <i>idle</i> <script>steal()</script>at Pier 9]]>", guid="c1")))

    assert feed.entries[0].title == "Cranes idle at Pier 9"


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java&#09;script:alert(1)", "data:text/html,hi"]
)
def test_a_script_or_data_link_becomes_empty(link: str) -> None:
    feed = parse(rss(item("Pier 9 reopens", link=link, guid="p9")))

    assert feed.entries[0].link == ""


def test_a_relative_link_is_made_absolute_against_where_the_feed_was_found() -> None:
    feed = parse(rss(item("Pier 9 reopens", link="../news/pier-9", guid="p9")))

    assert feed.entries[0].link == "https://harbor.example/news/pier-9"


def test_a_body_that_names_a_file_is_not_opened_as_one(tmp_path: Path) -> None:
    """feedparser opens a *string* that looks like a path; the body must be treated as bytes."""
    real_feed = tmp_path / "feed.xml"
    real_feed.write_text(rss(item("Secret local file entry", link="https://x.example/a", guid="s")))

    for body in (b"/etc/hostname", str(real_feed).encode()):
        feed = parse(body)
        assert feed.entries == ()
        assert feed.error_kind is ErrorKind.NOT_A_FEED


def test_an_html_page_given_as_a_feed_is_reported_as_not_a_feed() -> None:
    page = "<!DOCTYPE html><html><head><title>Harbor</title></head><body><p>Welcome</p></body></html>"

    feed = parse_feed(fetched(page, content_type="text/html; charset=utf-8"), NOW)

    assert feed.entries == ()
    assert feed.error_kind is ErrorKind.NOT_A_FEED
    assert feed.error is not None and "HTML page" in feed.error


def test_entries_sharing_a_guid_but_not_a_link_stay_two_entries() -> None:
    body = rss(
        item("Ferry timetable", link="https://harbor.example/ferry/north", guid="same")
        + item("Ferry timetable", link="https://harbor.example/ferry/south", guid="same")
    )

    entries = parse(body).entries

    assert sorted(e.link for e in entries) == [
        "https://harbor.example/ferry/north",
        "https://harbor.example/ferry/south",
    ]
    assert len({e.entry_id for e in entries}) == 2


def test_an_exact_duplicate_item_is_kept_once() -> None:
    twice = item("Ferry timetable", link="https://harbor.example/ferry/north", guid="same")

    assert len(parse(rss(twice + twice)).entries) == 1


def test_an_entry_without_guid_or_link_gets_a_stable_content_id() -> None:
    body = rss(item("Fog closes the harbor mouth", summary="Pilots wait for the fog to lift."))

    first = parse(body).entries[0]
    again = parse(body).entries[0]

    assert first.entry_id.startswith("sha1:")
    assert first.entry_id == again.entry_id
    other = parse(rss(item("Fog lifts over the harbor mouth", summary="Pilots sail."))).entries[0]
    assert other.entry_id != first.entry_id


def test_an_entry_with_nothing_in_it_is_dropped() -> None:
    feed = parse(rss("<item><title></title></item>" + item("Tide tables", guid="t")))

    assert [e.title for e in feed.entries] == ["Tide tables"]


def test_a_far_future_date_is_clamped_to_now() -> None:
    body = rss(
        item("Sticky promo", guid="promo", when=NOW + timedelta(days=400))
        + item("Real news", guid="news", when=NOW - timedelta(hours=1))
    )

    entries = parse(body).entries

    assert entries[0].title == "Sticky promo"
    assert entries[0].published == NOW
    assert entries[1].published == NOW - timedelta(hours=1)


def test_a_date_a_few_hours_ahead_is_kept_as_published() -> None:
    """Clock skew of a publisher is tolerated: only dates more than a day ahead are clamped."""
    ahead = NOW + timedelta(hours=3)

    assert parse(rss(item("Early bird", guid="e", when=ahead))).entries[0].published == ahead


def test_max_entries_keeps_the_newest() -> None:
    items = "".join(
        item(f"Shipping update {n}", guid=f"u{n}", when=NOW - timedelta(hours=n)) for n in (4, 1, 5, 2, 3)
    )

    entries = parse(rss(items), max_entries=2).entries

    assert [e.title for e in entries] == ["Shipping update 1", "Shipping update 2"]


@pytest.mark.parametrize(
    ("body", "entries"),
    [
        ('{"version": "https://jsonfeed.org/version/1", "items": "not a list"}', 0),
        (
            '{"version": "https://jsonfeed.org/version/1", "items": [1, null, {"id": "o", "title": 7, '
            '"url": ["x"]}]}',
            1,
        ),
        ('{"version": "https://jsonfeed.org/version/1", "items": [' + "[" * 50_000 + "]" * 50_000 + "]}", 0),
        (
            '{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "s", "title": "Script", '
            '"url": "javascript:alert(1)", "date_published": "yesterday"}]}',
            1,
        ),
        (
            '{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "x", "title": "Old", '
            '"date_published": "0001-01-01T00:00:00+14:00"}]}',
            1,
        ),
    ],
    ids=["items-not-a-list", "odd-types", "deep-nesting", "script-link-bad-date", "date-out-of-range"],
)
def test_a_hostile_json_feed_gives_what_it_can_and_never_crashes(body: str, entries: int) -> None:
    feed = parse(body)

    assert len(feed.entries) == entries  # the item with an id is kept, whatever else it carries
    for entry in feed.entries:
        assert entry.link == ""  # never javascript: or a list
        assert isinstance(entry.title, str)
        assert entry.date_note in ("", "missing", "unparsable")
    assert feed.error is None or "not a feed" in feed.error


def test_json_that_is_not_a_json_feed_is_not_a_feed() -> None:
    assert "not a feed" in (parse('{"data": [1, 2, 3]}').error or "")
