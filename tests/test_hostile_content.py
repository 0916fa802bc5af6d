"""Hostile feed and page bodies, run through the whole pipeline: what reaches the reader.

Each body lives in tests/data/hostile/ with a header comment saying what it is and what to
expect (the style of feedparser's own tests). A loopback site serves it; a real run reads it;
the assertions are on what a user sees: the brief's files, and `brief status`.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import (
    DATA,
    HOSTILE,
    STORIES,
    LoopbackSite,
    Newsroom,
    Reply,
    article_page,
    hostile,
    rss_feed,
    rss_item,
    story_item,
)

from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.ingest.extract import extract_article
from pipeline.ingest.feeds import parse_feed
from pipeline.ingest.fetch import FetchSettings, fetch_all
from pipeline.models import ErrorKind, FeedEntry, FetchRequest, FetchResult, Page

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
RSS = "application/rss+xml"
HARBOUR_THREAD = """\
- id: lindqvist-harbour
  title: Lindqvist harbour
  description: The Lindqvist harbour authority, its chief, and the dredging of the northern channel.
  entities: [Lindqvist]
  keywords: [harbour, dredging]
"""


def status_row(newsroom: Newsroom, name: str) -> tuple[str, int, str]:
    """(last success, entries seen, state and last error) of a feed in `brief status`."""
    line = newsroom.feed_line(name)
    match = re.fullmatch(r".{28} (?P<ok>.{16}) +(?P<seen>\d+)  (?P<state>.*)", line)
    assert match, line
    return match["ok"].strip(), int(match["seen"]), match["state"]


def serve_fixture(site: LoopbackSite, path: str, name: str, content_type: str = RSS) -> str:
    """Serve tests/data/hostile/NAME at PATH; return its URL."""
    site.serve(path, Reply(body=hostile(name, site.url("")).body, content_type=content_type))
    return site.url(path)


def serve_stories(site: LoopbackSite) -> None:
    for key, (title, text) in STORIES.items():
        site.serve(f"/{key}", Reply(body=article_page(title, text), content_type="text/html"))


def one_feed(newsroom: Newsroom, site: LoopbackSite, url: str, name: str = "Harbour News", **kw: str) -> None:
    newsroom.configure([(name, url)], allow=[site.allow()], **kw)


def test_every_hostile_fixture_says_what_it_is_and_what_to_expect() -> None:
    names = sorted(p.name for p in HOSTILE.iterdir())
    assert len(names) >= 10
    for name in names:
        fixture = hostile(name)
        assert len(fixture.description) > 20, name
        assert len(fixture.expect) > 20, name


# -- 1. malformed XML -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "titles"),
    [
        ("malformed_unclosed_tags.xml", ["Lindqvist approves northern channel dredging"]),
        (
            "malformed_bare_ampersand.xml",
            ["Fish &amp; chips stall reopens at Pier 9", "Island ferry adds two summer crossings"],
        ),
        (
            "malformed_truncated_cdata.xml",
            [
                "Volunteers restore the Skarv lighthouse lens",
                "Frost spares most of the valley apple orchards",
            ],
        ),
    ],
)
def test_a_malformed_feed_keeps_the_entries_found_and_the_run_goes_on(
    newsroom: Newsroom, site: LoopbackSite, name: str, titles: list[str]
) -> None:
    serve_stories(site)
    one_feed(newsroom, site, serve_fixture(site, "/feed.xml", name))

    result = newsroom.run()

    page = (result.brief_dir / "index.html").read_text()
    for title in titles:
        assert title in page
    assert result.stats.feeds_ok == 1 and result.feed_errors == ()
    last_success, seen, state = status_row(newsroom, "Harbour News")
    assert (seen, state) == (len(titles), "ok")
    assert last_success != "never"


def test_a_malformed_feed_is_read_with_a_warning_not_an_error() -> None:
    fixture = hostile("malformed_bare_ampersand.xml", "http://harbour.example")
    parsed = parse_feed(
        FetchResult("http://harbour.example/f", "http://harbour.example/f", 200, fixture.body), NOW
    )

    assert parsed.error is None
    assert parsed.warning is not None and "malformed but readable" in parsed.warning
    assert parsed.entries[0].title == "Fish & chips stall reopens at Pier 9"
    assert parsed.entries[0].link == "http://harbour.example/pier?a=1&b=2"


# -- 2. charsets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("latin1_charset_in_header.xml", "application/rss+xml; charset=iso-8859-1"),
        ("utf8_declared_latin1_bytes.xml", "application/rss+xml"),
    ],
    ids=["charset-only-in-header", "utf8-declared-latin1-bytes"],
)
def test_feed_text_in_the_wrong_or_a_missing_charset_reads_correctly(
    newsroom: Newsroom, site: LoopbackSite, name: str, content_type: str
) -> None:
    one_feed(newsroom, site, serve_fixture(site, "/feed.xml", name, content_type))

    result = newsroom.run()

    text = (result.brief_dir / "email.txt").read_text(encoding="utf-8")
    assert "Zürich café reopens on the quay" in text
    assert "Straße closed for the naïve regatta" in text
    for written, content in newsroom.written().items():
        assert "\ufffd" not in content, written
        assert "Ã" not in content, written  # UTF-8 read as Latin-1


def test_an_article_page_with_a_late_meta_charset_and_no_header_charset_has_no_mojibake(
    site: LoopbackSite,
) -> None:
    url = serve_fixture(site, "/cafe", "late_meta_charset.html", content_type="text/html")
    (result,) = fetch_all([FetchRequest(url)], FetchSettings(allow=(site.allow(),)))
    entry = FeedEntry("http://harbour.example/feed", "cafe", url, "", "Teaser only.", NOW)

    article = extract_article(Page(entry, result.final_url, result.body, result.headers), "Harbour News")

    assert result.ok and "charset" not in result.headers["content-type"]
    assert article.extracted
    for word in ("Café", "Zürich", "Straße", "Fähren", "Genève"):
        assert word in article.text
    assert "\ufffd" not in article.text
    assert not re.search("[ÃÂ][\u0080-\u00bf]", article.text), article.text  # UTF-8 bytes read as Latin-1


# -- 8. schemes other than http(s) in sources.yaml ------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://ftp.harbour.example/feed.xml",
        "gopher://harbour.example:70/1",
        "data:text/xml,<rss/>",
        "javascript:alert(1)",
        "FILE:///etc/passwd",
        "//harbour.example/feed.xml",
    ],
)
def test_a_feed_url_that_is_not_http_is_refused_when_the_config_is_loaded(tmp_path: Path, url: str) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        "brief:\n  title: Harbour Brief\nfeeds:\n"
        "  - url: https://harbour.example/feed.xml\n"
        f"  - url: '{url}'\n    name: Sneaky\n",
        encoding="utf-8",
    )

    with pytest.raises(ConfigError) as raised:
        load_config(config)

    assert raised.value.line == 5
    assert str(raised.value).startswith(f"{config}:5: feeds[1].url ")
    assert "is not an http(s) URL" in str(raised.value)


def test_a_malformed_feed_url_in_the_config_is_a_config_error_not_a_crash(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text("feeds:\n  - url: 'http://[::1/feed.xml'\n", encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        load_config(config)

    assert raised.value.line == 2 and "feeds[0].url" in str(raised.value)


# -- 9. a body that names a file ------------------------------------------------------------------------


def test_a_feed_body_that_is_a_path_is_not_opened(
    newsroom: Newsroom, site: LoopbackSite, tmp_path: Path
) -> None:
    secret = tmp_path / "secret-feed.xml"
    secret.write_bytes(rss_feed(rss_item("Secret entry from a local file", "https://x.example/s", "s")))
    bodies = {"/hostname": b"/etc/hostname", "/passwd": b"file:///etc/passwd", "/local": str(secret).encode()}
    for path, body in bodies.items():
        site.serve(path, Reply(body=body, content_type="application/rss+xml"))
    story = story_item(site, "ferry", NOW - timedelta(hours=1))
    site.serve("/good.xml", rss_feed(story))
    newsroom.configure(
        [(path.strip("/"), site.url(path)) for path in bodies] + [("Good Feed", site.url("/good.xml"))],
        allow=[site.allow()],
    )

    result = newsroom.run(NOW)

    assert result.stats.feeds_ok == 1
    for path in bodies:
        _, seen, state = status_row(newsroom, path.strip("/"))
        assert seen == 0
        assert state.endswith("[not-a-feed] not a feed: no RSS, Atom or RDF document found"), state
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    for written, content in newsroom.written().items():
        assert "Secret entry from a local file" not in content, written
        assert passwd not in content, written
    assert "Island ferry adds two summer crossings" in (result.brief_dir / "email.txt").read_text()


# -- 10. XML entities -----------------------------------------------------------------------------------


def test_external_entities_are_never_resolved(newsroom: Newsroom, site: LoopbackSite) -> None:
    site.serve(
        "/evil.dtd", Reply(body=b'<!ENTITY remote "FROM-THE-DTD">', content_type="application/xml-dtd")
    )
    site.serve("/entity.txt", Reply(body=b"FROM-THE-REMOTE-ENTITY", content_type="text/plain"))
    one_feed(newsroom, site, serve_fixture(site, "/feed.xml", "xxe_external_entity.xml"))

    result = newsroom.run()

    # the reference stays unexpanded (at most as the text "&passwd"): nothing is read for it
    assert re.search(r"Harbour tariffs (&passwd )?published", (result.brief_dir / "email.txt").read_text())
    passwd = Path("/etc/passwd").read_text()
    for written, content in newsroom.written().items():
        assert "root:x:0:0" not in content and passwd[:40] not in content, written
        assert "FROM-THE" not in content, written
    assert site.hits("/evil.dtd") == 0
    assert site.hits("/entity.txt") == 0


def test_billion_laughs_completes_without_expanding(newsroom: Newsroom, site: LoopbackSite) -> None:
    one_feed(newsroom, site, serve_fixture(site, "/feed.xml", "billion_laughs.xml"))

    result = newsroom.run()

    assert "Tide tables for the winter" in (result.brief_dir / "email.txt").read_text()
    for written, content in newsroom.written().items():
        assert "lollollol" not in content, written
        assert len(content) < 200_000, written


# -- 11. script in every disguise -----------------------------------------------------------------------

TAG = re.compile(r"<[a-zA-Z][^>]*>")
HANDLER = re.compile(r"\son\w+\s*=", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x20]")
WEB_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)


def active_content(text: str) -> list[str]:
    """Everything in `text` that a browser or mail client could run. (A "javascript:" inside
    the path of an http(s) URL is a harmless path, not a scheme, and is not counted.)"""
    found = []
    unescaped = html.unescape(text)
    # browsers skip whitespace and control characters inside a URL scheme
    squeezed = CONTROL.sub("", WEB_URL.sub(" ", unescaped)).lower()
    for needle in ("javascript:", "vbscript:", "data:text/html"):
        if needle in WEB_URL.sub(" ", text).lower() or needle in squeezed:
            found.append(needle)
    for needle in (
        "<script",
        "<iframe",
        "<form",
        "<object",
        "<embed",
        "<svg",
        "<math",
        "<base",
        "http-equiv",
    ):
        if needle in text.lower() or needle in unescaped.lower():
            found.append(needle)
    found += [tag for tag in TAG.findall(text) if HANDLER.search(tag)]
    return found


def template_owned(tmp_path: Path, make_site: Callable[[], LoopbackSite]) -> Counter[tuple[str, str]]:
    """What the templates themselves put in a brief and its archive (the archive's search
    script, say): a run on a harmless feed, checked like the hostile one."""
    benign_site = make_site()
    benign = Newsroom(tmp_path / "benign")
    benign.root.mkdir()
    benign_site.serve("/feed.xml", rss_feed(*(story_item(benign_site, key, NOW) for key in STORIES)))
    benign.configure([("Harbour News", benign_site.url("/feed.xml"))], [benign_site.allow()], HARBOUR_THREAD)
    benign.run()
    return findings(benign)


def findings(newsroom: Newsroom) -> Counter[tuple[str, str]]:
    """(kind of file, active content) for every file written under output/."""
    found: Counter[tuple[str, str]] = Counter()
    for name, content in newsroom.written().items():
        kind = re.sub(r"^\d{4}/\d\d/\d\d/\d{4}/", "BRIEF/", name)
        kind = re.sub(r"^threads/.+\.html$", "threads/THREAD.html", kind)
        found.update((kind, item) for item in active_content(content))
    return found


def test_script_in_titles_links_summaries_and_pages_never_reaches_the_brief(
    newsroom: Newsroom, site: LoopbackSite, make_site: Callable[[], LoopbackSite], tmp_path: Path
) -> None:
    serve_fixture(site, "/script_everywhere.html", "script_everywhere.html", content_type="text/html")
    newsroom.configure(
        [
            ("Harbour News", serve_fixture(site, "/rss.xml", "script_everywhere.rss")),
            (
                "Coast Wire",
                serve_fixture(site, "/atom.xml", "script_everywhere.atom", "application/atom+xml"),
            ),
        ],
        allow=[site.allow()],
        threads=HARBOUR_THREAD,
    )

    result = newsroom.run()

    written = newsroom.written()
    brief_folder = result.brief_dir.relative_to(newsroom.output).as_posix()
    expected = {"index.html"} | {
        f"{brief_folder}/{name}"
        for name in ("index.html", "email.html", "email.txt", "brief.json", "message.eml")
    }
    assert expected <= set(written)
    # nothing active beyond what the templates themselves carry (the archive's search script)
    assert findings(newsroom) - template_owned(tmp_path, make_site) == Counter()
    # the titles are still there, as text: escaped in HTML, verbatim in plain text
    page = written[f"{brief_folder}/index.html"]
    text = written[f"{brief_folder}/email.txt"]
    assert "Lindqvist harbour chief quits &amp; &#34;regrets&#34; nothing" in page
    assert 'Lindqvist harbour chief quits & "regrets" nothing' in text
    for title in (
        "Lindqvist harbour dredging barge arrives",
        "Lindqvist harbour chief quits over dredging delays",
    ):
        assert title in page and title in text, title
    # the page full of script was read for its words
    shown = (result.brief_dir / "brief.json").read_text()
    page_sentences = (
        "fell a year behind schedule",
        "four million tonnes",
        "appoint an interim chief",
        "dredging would resume in the spring",
        "publish a new timetable",
    )
    assert any(words in shown for words in page_sentences)


def test_text_that_looks_like_markup_is_escaped_wherever_html_is_made(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    """A title that *says* "</script><script>..." (escaped twice in the feed) is text: shown
    as such in every page, in the archive's search data, and in the Atom feed's HTML."""
    script = "&amp;lt;/script&amp;gt;&amp;lt;script&amp;gt;alert(52)&amp;lt;/script&amp;gt;"
    title = f"Lindqvist harbour {script} tender"
    summary = "The Lindqvist harbour tender &amp;lt;img src=x onerror=alert(53)&amp;gt; closes on Friday."
    site.serve("/feed.xml", rss_feed(rss_item(title, site.url("/tender"), "tender", NOW, summary)))
    one_feed(newsroom, site, site.url("/feed.xml"), threads=HARBOUR_THREAD)

    result = newsroom.run()

    shown_title = "Lindqvist harbour </script><script>alert(52)</script> tender"
    assert shown_title in (result.brief_dir / "email.txt").read_text()  # plain text: verbatim
    assert html.escape(shown_title, quote=False) in (result.brief_dir / "index.html").read_text()
    payloads = 0
    for name, content in newsroom.written().items():
        if name.endswith(".html"):
            assert "<script>alert(" not in content and "</script><script>" not in content, name
            assert "<img src=x" not in content, name
        if name.endswith("feed.xml"):
            # type="html" content is HTML once the XML is decoded: what a feed reader renders
            for payload in re.findall(r'<content type="html">(.*?)</content>', content, re.S):
                rendered = html.unescape(payload)
                assert "<script" not in rendered and "<img" not in rendered, rendered
                payloads += 1
    assert payloads, "the Atom feed carries the brief as HTML"


def test_the_active_content_check_catches_what_it_is_meant_to() -> None:
    assert active_content('<a href="JaVa&#x09;Script:alert(1)">x</a>') == ["javascript:"]
    assert active_content("<img src=x onerror=alert(1)>") == ["<img src=x onerror=alert(1)>"]
    assert active_content("&lt;iframe src=x&gt;") == ["<iframe"]
    assert active_content("The harbour reopened. <a href='https://harbour.example/'>More</a>") == []
    assert active_content('<a href="http://harbour.example/javascript:alert(6)">x</a>') == []


# -- 12. GUIDs ------------------------------------------------------------------------------------------


def test_guid_clashes_duplicates_and_missing_guids(newsroom: Newsroom, site: LoopbackSite) -> None:
    one_feed(newsroom, site, serve_fixture(site, "/feed.xml", "guids.xml"))

    result = newsroom.run(NOW)

    text = (result.brief_dir / "email.txt").read_text()
    listed = [line for line in text.splitlines() if re.match(r"\s+(\[\d+\]|-) ", line)]
    for title in (
        "Northern ferry route gets a new boat",
        "Southern ferry route loses a stop",
        "Fog closes the harbour mouth",
        "Seals return to the breakwater",
        "Pilot boat crews vote on a new contract",
    ):
        # each entry is one source of the brief (a headline may repeat its title)
        assert sum(line.lstrip(" -").split("] ", 1)[-1].startswith(title) for line in listed) == 1, title
    assert status_row(newsroom, "Harbour News")[1] == 5
    assert result.stats.articles_new == 5


def test_entries_without_guid_or_link_get_a_content_identity() -> None:
    fixture = hostile("guids.xml", "http://harbour.example")

    parsed = parse_feed(
        FetchResult("http://harbour.example/f", "http://harbour.example/f", 200, fixture.body), NOW
    )

    ids = {e.title: e.entry_id for e in parsed.entries}
    assert len(parsed.entries) == 5 and len(set(ids.values())) == 5
    assert ids["Fog closes the harbour mouth"].startswith("sha1:")
    assert ids["Seals return to the breakwater"].startswith("sha1:")
    fog = next(e for e in parsed.entries if e.title == "Fog closes the harbour mouth")
    assert (
        fog.link == ""
        and fog.summary == "Pilots wait in the roads for the fog to lift over the harbour mouth."
    )


def test_each_entry_whose_link_is_dropped_is_still_shown(newsroom: Newsroom, site: LoopbackSite) -> None:
    """Entries whose link is not http(s) (or missing) keep their own identity: none of them
    swallows another, in one run or the next."""
    first = [
        rss_item(
            "Fog closes the harbour mouth", "", "fog", NOW, "Pilots wait in the roads for the fog to lift."
        ),
        rss_item(
            "Seals return to the breakwater", "javascript:alert(1)", "seals", NOW, "Grey seals are back."
        ),
        rss_item("Crane barge capsizes at the quay", "data:text/html,boom", "crane", NOW, "Nobody was hurt."),
    ]
    site.serve("/feed.xml", rss_feed(*first))
    one_feed(newsroom, site, site.url("/feed.xml"))

    result = newsroom.run(NOW)

    text = (result.brief_dir / "email.txt").read_text()
    for title in ("Fog closes the harbour mouth", "Seals return to the breakwater", "Crane barge capsizes"):
        assert title in text, title

    site.serve("/feed.xml", rss_feed(*first, rss_item("Ice breaker leaves for the north", "", "ice", NOW)))
    later = newsroom.run(NOW + timedelta(hours=6))

    assert "Ice breaker leaves for the north" in (later.brief_dir / "email.txt").read_text()


# -- 13. dates ------------------------------------------------------------------------------------------


def test_missing_unparsable_and_future_dates_are_flagged_and_clamped() -> None:
    fixture = hostile("dates.xml", "http://harbour.example")

    parsed = parse_feed(
        FetchResult("http://harbour.example/f", "http://harbour.example/f", 200, fixture.body), NOW
    )

    by_guid = {e.entry_id: e for e in parsed.entries}
    for guid in ("missing", "unparsable", "future"):
        assert (by_guid[guid].published, by_guid[guid].date_note) == (NOW, guid)
    assert (by_guid["ancient"].published, by_guid["ancient"].date_note) == (
        datetime(1970, 1, 1, tzinfo=UTC),
        "",
    )
    assert (by_guid["dated"].published, by_guid["dated"].date_note) == (
        datetime(2026, 11, 23, 8, tzinfo=UTC),
        "",
    )


def test_undated_entries_are_shown_as_undated_seen_at_the_fetch(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    one_feed(newsroom, site, serve_fixture(site, "/feed.xml", "dates.xml"), threads=HARBOUR_THREAD)

    result = newsroom.run(NOW)

    text = (result.brief_dir / "email.txt").read_text()
    sources = [line for line in text.splitlines() if line.startswith("  [")]
    lines = {
        t: next(line for line in sources if t in line)
        for t in ("no date given", "nobody can read", "from the future", "from 1970", "ordinary dated")
    }
    for title in ("no date given", "nobody can read", "from the future"):
        assert "undated (seen Nov 23, 2026)" in lines[title], text
    assert "Jan 1, 1970" in lines["from 1970"] and "undated" not in lines["from 1970"]
    assert "Nov 23, 2026" in lines["ordinary dated"] and "undated" not in lines["ordinary dated"]
    for content in newsroom.written().values():
        assert "2100" not in content


def test_undated_entries_outside_any_thread_are_shown_as_undated_too(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    """Entries in no thread are listed under "Also new in your feeds": a flagged date must
    read "undated" there too, not pass for a real one."""
    items = [
        f"<item><title>Tram depot gets solar roof</title><link>{site.url('/tram')}</link></item>",
        f"<item><title>Choir wins regional contest</title><link>{site.url('/choir')}</link>"
        "<pubDate>sometime last week</pubDate></item>",
        f"<item><title>Bakery promotion</title><link>{site.url('/bakery')}</link>"
        "<pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>",
    ]
    site.serve("/feed.xml", rss_feed(*items))
    one_feed(newsroom, site, site.url("/feed.xml"))

    result = newsroom.run(NOW)

    text = (result.brief_dir / "email.txt").read_text()
    for title in ("Tram depot gets solar roof", "Choir wins regional contest", "Bakery promotion"):
        line = next(line for line in text.splitlines() if title in line)
        assert "undated (seen Nov 23, 2026)" in line, line


def test_a_future_date_never_sorts_first_forever(newsroom: Newsroom, site: LoopbackSite) -> None:
    """The promotion dated 2100 is stored as seen at the first fetch: a day later, a newer
    story sorts above it, and the promotion is not shown again."""
    promo = rss_item(
        "Harbour promotion dated 2100", site.url("/promo"), "promo", datetime(2100, 1, 1, tzinfo=UTC)
    )
    site.serve("/feed.xml", rss_feed(promo))
    newsroom.configure([("Harbour News", site.url("/feed.xml"))], allow=[site.allow()])
    first = newsroom.run(NOW)
    data = json.loads((first.brief_dir / "brief.json").read_text())
    assert [(o["title"], o["published"]) for o in data["others"]] == [
        ("Harbour promotion dated 2100", "2026-11-23T15:00:00Z")
    ]

    later = NOW + timedelta(days=1)
    site.serve("/feed.xml", rss_feed(promo, story_item(site, "ferry", later - timedelta(hours=1))))
    second = newsroom.run(later)

    data = json.loads((second.brief_dir / "brief.json").read_text())
    assert [o["title"] for o in data["others"]] == ["Island ferry adds two summer crossings"]
    parsed = parse_feed(
        FetchResult(site.url("/feed.xml"), site.url("/feed.xml"), 200, rss_feed(promo)), later
    )
    assert parsed.entries[0].published == later and parsed.entries[0].date_note == "future"


# -- 14. an HTML page where the feed should be ----------------------------------------------------------


def test_an_html_page_served_as_the_feed_is_not_a_feed(newsroom: Newsroom, site: LoopbackSite) -> None:
    site.serve("/good.xml", rss_feed(story_item(site, "ferry", NOW - timedelta(hours=2))))
    newsroom.configure(
        [
            ("Harbour Home", serve_fixture(site, "/", "html_page_as_feed.html", "text/html; charset=utf-8")),
            ("Good Feed", site.url("/good.xml")),
        ],
        allow=[site.allow()],
    )

    result = newsroom.run()

    _, seen, state = status_row(newsroom, "Harbour Home")
    assert seen == 0
    assert "[not-a-feed] not a feed: an HTML page, not a feed" in state
    assert ("Harbour Home", "not a feed: an HTML page, not a feed") in result.feed_errors
    assert (
        "Harbour Home: not a feed: an HTML page, not a feed" in (result.brief_dir / "email.txt").read_text()
    )


# -- 15. links that are not web pages -------------------------------------------------------------------

BINARIES = {
    "/report.pdf": Reply(body=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 5000, content_type="application/pdf"),
    "/chart.png": Reply(body=b"\x89PNG\r\n\x1a\n" + b"\0" * 5000, content_type="image/png"),
    "/dump.bin": Reply(body=b"BLOB\0\0\x01\x02" * 500, content_type="application/octet-stream"),
    "/nul.txt": Reply(body=b"The harbour\0\0\0\0 report" * 200, content_type="text/plain"),
    "/disguised": Reply(body=b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 300, content_type="text/html"),
}


@pytest.mark.parametrize("path", list(BINARIES))
def test_a_link_to_a_binary_is_not_html(site: LoopbackSite, path: str) -> None:
    site.serve(path, BINARIES[path])

    (result,) = fetch_all([FetchRequest(site.url(path))], FetchSettings(allow=(site.allow(),)))

    assert result.error_kind is ErrorKind.NOT_HTML
    assert result.body == b""


def test_entries_whose_links_are_binaries_keep_their_feed_summary(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    items = []
    for n, (path, reply) in enumerate(BINARIES.items()):
        site.serve(path, reply)
        summary = (
            f"The Lindqvist harbour dredging report number {n} is out, with maps of the northern channel."
        )
        items.append(
            rss_item(f"Lindqvist harbour dredging report {n}", site.url(path), f"bin-{n}", NOW, summary)
        )
    site.serve("/feed.xml", rss_feed(*items))
    one_feed(newsroom, site, site.url("/feed.xml"), threads=HARBOUR_THREAD)

    result = newsroom.run(NOW)

    text = (result.brief_dir / "email.txt").read_text()
    for n in range(len(BINARIES)):
        line = next(line for line in text.splitlines() if f"Lindqvist harbour dredging report {n} ·" in line)
        assert line.endswith("· from the feed summary"), line
    assert result.stats.pages_failed == len(BINARIES)
    assert "with maps of the northern channel" in text
    for content in newsroom.written().values():
        assert "%PDF" not in content and "PNG" not in content and "\0" not in content


def test_a_short_news_brief_is_read_from_its_page_and_a_page_of_notices_gives_way_to_the_summary(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    for path, name in (("/fog", "short_brief.html"), ("/ferry", "reprint_notice_only.html")):
        site.serve(path, Reply(body=(DATA / name).read_bytes(), content_type="text/html"))
    ferry_summary = "The Lindqvist harbour night ferry sails again from Monday after an autumn of repairs."
    site.serve(
        "/feed.xml",
        rss_feed(
            rss_item(
                "Lindqvist harbour ferry cancelled in fog", site.url("/fog"), "fog", NOW, "Fog in port."
            ),
            rss_item(
                "Lindqvist harbour night ferry returns", site.url("/ferry"), "ferry", NOW, ferry_summary
            ),
        ),
    )
    one_feed(newsroom, site, site.url("/feed.xml"), threads=HARBOUR_THREAD)

    result = newsroom.run(NOW)

    text = (result.brief_dir / "email.txt").read_text()
    fog = next(line for line in text.splitlines() if "Lindqvist harbour ferry cancelled in fog ·" in line)
    ferry = next(line for line in text.splitlines() if "Lindqvist harbour night ferry returns ·" in line)
    assert not fog.endswith("from the feed summary"), fog  # 33 words: the whole story
    assert "was cancelled on Monday because of thick fog in the bay" in text
    assert ferry.endswith("· from the feed summary"), ferry  # its page held only notices
    assert ferry_summary in text
    for notice in ("reproduced", "All rights reserved", "Republished"):
        assert notice not in text


def test_an_entry_with_no_summary_and_no_page_shows_no_empty_sentence(
    newsroom: Newsroom, site: LoopbackSite
) -> None:
    site.serve(
        "/feed.xml", rss_feed(rss_item("Lindqvist harbour dredging notice", site.url("/gone"), "n", NOW))
    )
    one_feed(newsroom, site, site.url("/feed.xml"), threads=HARBOUR_THREAD)

    result = newsroom.run(NOW)

    text = (result.brief_dir / "email.txt").read_text()
    assert "Lindqvist harbour dredging notice" in text
    assert not re.search(r"^\s*\[\d+\]\s*$", text, re.M), text  # a citation with no sentence before it
    data = json.loads((result.brief_dir / "brief.json").read_text())
    assert data["digests"], "the entry is in the harbour thread"
    for digest in data["digests"]:
        for part in ("overview", "why_it_matters", "tldr"):
            assert all(sentence["text"].strip() for sentence in digest[part]), digest[part]


# -- 25. a huge feed ------------------------------------------------------------------------------------


def test_a_feed_of_5000_entries_stores_the_200_newest(newsroom: Newsroom, site: LoopbackSite) -> None:
    # the links point at a port nobody is allowed to reach: refused at once, no page is fetched
    items = [
        rss_item(
            f"Shipping notice {n:04d}", f"http://127.0.0.1:9/notice/{n}", f"n{n}", NOW - timedelta(minutes=n)
        )
        for n in range(5000)
    ]
    site.serve("/feed.xml", rss_feed(*items[::-1]))
    one_feed(newsroom, site, site.url("/feed.xml"))

    result = newsroom.run(NOW)

    assert status_row(newsroom, "Harbour News")[1:] == (200, "ok")
    assert result.stats.entries_new == 200
    data = json.loads((result.brief_dir / "brief.json").read_text())
    shown = [o["title"] for o in data["others"]]
    assert shown[0] == "Shipping notice 0000"
    assert all(int(title.split()[-1]) < 200 for title in shown)


# -- 27. the extraction budget --------------------------------------------------------------------------


def test_an_extraction_over_its_time_budget_falls_back_to_the_feed_summary() -> None:
    """A long article (tens of milliseconds to extract): a page that extracts within one
    interpreter time slice could finish before a 1 µs budget is even checked."""
    body = article_page("Harbour news of the week", " ".join(text for _, text in STORIES.values()) * 20)
    entry = FeedEntry(
        "https://harbour.example/feed",
        "ferry",
        "https://harbour.example/news/ferry",
        "Ferry",
        "The feed's own summary.",
        NOW,
    )
    page = Page(entry, entry.link, body, {"content-type": "text/html"})

    assert extract_article(page, "Harbour News").extracted  # the page itself is fine

    article = extract_article(page, "Harbour News", budget=1e-6)

    assert not article.extracted
    assert article.text == "The feed's own summary."
