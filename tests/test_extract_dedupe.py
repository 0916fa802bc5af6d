"""Pages become clean articles; the same story behind other links or outlets becomes one."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from conftest import DATA, article_page, make_article, utc

from pipeline.ingest.dedupe import dedupe
from pipeline.ingest.extract import _clean, _drop_chrome, _drop_leading_title, extract_article
from pipeline.ingest.urls import article_id, canonical_url
from pipeline.models import FeedEntry, Page

FERRY_URL = "https://harbor.example/news/ferry?utm_source=rss&utm_medium=feed"
DREDGING_URL = "https://harbor.example/news/dredging"
ENTRY = FeedEntry(
    feed_url="https://harbor.example/feed",
    entry_id="ferry-1",
    link=FERRY_URL,
    title="Night ferry returns to Pier 9",
    summary="The night ferry sails again from Monday after an autumn of repairs.",
    published=utc(2026, 11, 23, 9, 0),
)


def page(name: str, error: str | None = None) -> Page:
    return Page(ENTRY, FERRY_URL, (DATA / name).read_bytes(), error=error)


# -- extraction --------------------------------------------------------------------------------


def test_an_article_page_gives_its_text_without_navigation_or_footer() -> None:
    article = extract_article(page("article_with_boilerplate.html"), "Harbor Gazette")

    assert article.extracted
    assert article.text.startswith("The night ferry between Pier 9 and the island villages")
    assert "publish the results" in article.text
    for boilerplate in ("Shipping desk", "Subscribe", "Copyright", "Privacy policy", "newsletter"):
        assert boilerplate not in article.text
    assert article.title == "Night ferry returns to Pier 9"
    assert not article.text.startswith(article.title)  # the page's h1 is not repeated as text
    assert article.source == "Harbor Gazette"
    assert article.published == ENTRY.published
    assert article.found_at == (("Harbor Gazette", FERRY_URL),)


DEMO_PAGES = DATA.parents[2] / "pipeline" / "demo" / "corpus" / "pages"


def test_what_a_feed_entry_lacks_is_taken_from_the_page_as_trafilaturas_full_metadata_finds_it() -> None:
    """The page is parsed once and only the metadata the entry lacks is looked for: the
    title and date are still those of `bare_extraction(with_metadata=True)`, the author its
    author where the page's metadata names one (and none where it does not), and the text
    that of the extraction that read every field with every fallback (ours reads a page with
    trafilatura's own extractor alone first, and again with its fallbacks only when that
    finds little)."""
    import trafilatura

    bare = FeedEntry("https://harbor.example/feed", "x-1", FERRY_URL, "", "", None, date_note="missing")
    pages = sorted(DATA.glob("*.html")) + sorted(DEMO_PAGES.rglob("*.html"))
    dated = authored = 0
    for path in pages:
        body = path.read_bytes()
        article = extract_article(Page(bare, FERRY_URL, body), "Harbor Gazette")
        full: Any = trafilatura.bare_extraction(body, url=FERRY_URL, with_metadata=True, favor_precision=True)
        if full is None or not article.extracted:
            continue
        assert article.title == " ".join((full.title or "").split()), path.name
        if article.author:  # named by the page's metadata: the same as trafilatura's
            authored += 1
            assert article.author == " ".join((full.author or "").split()), path.name
        if full.date:
            dated += 1
            assert article.published is not None and article.published.date().isoformat() == full.date[:10]
        # the same text as when every field was read
        assert article.text == _drop_leading_title(_drop_chrome(_clean(full.text)), article.title)
    assert dated >= 10 and authored >= 10  # the demo's pages carry dates and bylines


def test_an_author_comes_from_the_pages_metadata_never_from_a_guess_in_its_text() -> None:
    """trafilatura's byline search in a page's text names a site's login name, a plan or a
    line run on to the date as often as a person: a page whose metadata names no author
    gives none, and one whose meta tag does gives that one."""
    bare = FeedEntry(
        "https://harbor.example/feed", "x-2", FERRY_URL, "Night ferry returns", "", utc(2026, 11, 23)
    )
    story = "".join(
        f"<p>The night ferry between Pier 9 and the island villages sails again ({n}), the port said.</p>"
        for n in range(8)
    )
    byline = '<div class="byline"><span class="author">Jdadmin</span> Monday; November</div>'
    guessed = f"<html><head><title>Ferry</title></head><body><article>{byline}{story}</article></body></html>"
    named = guessed.replace("<title>", '<meta name="author" content="Ines Varga"><title>')

    import trafilatura

    full: Any = trafilatura.bare_extraction(guessed, with_metadata=True)
    assert full.author  # trafilatura would guess one from the text
    assert extract_article(Page(bare, FERRY_URL, guessed.encode()), "Harbor Gazette").author == ""
    assert extract_article(Page(bare, FERRY_URL, named.encode()), "Harbor Gazette").author == "Ines Varga"


def test_an_article_that_only_trafilaturas_fallbacks_find_is_still_read_whole() -> None:
    """Each page is read first by trafilatura's own extractor alone; a page it reads little
    of (here: an article in bare <div>s, which it discards) is read again with readability and
    jusText, so the article is the page's, not the feed's teaser."""
    said = (
        "The harbour board voted on Tuesday to keep the night ferry running through the winter, "
        "after a month of petitions from shift workers who cross the strait before dawn."
    )
    body = "<html><body>" + "".join(f"<div>{said} ({n})</div>" for n in range(12)) + "</body></html>"

    article = extract_article(Page(ENTRY, FERRY_URL, body.encode()), "Harbor Gazette")

    assert article.extracted
    assert article.text.count(said) == 12 and article.text != ENTRY.summary


def test_an_app_shell_page_falls_back_to_the_feed_summary() -> None:
    article = extract_article(page("app_shell.html"), "Harbor Gazette")

    assert not article.extracted
    assert article.text == ENTRY.summary
    assert article.title == ENTRY.title


def test_a_page_that_failed_to_download_falls_back_to_the_feed_summary() -> None:
    failed = Page(ENTRY, FERRY_URL, b"", error="HTTP 503 SERVICE UNAVAILABLE")

    article = extract_article(failed, "Harbor Gazette")

    assert not article.extracted
    assert article.text == ENTRY.summary


def test_calls_to_action_and_link_labels_inside_the_article_are_not_its_text() -> None:
    entry = replace(ENTRY, link=DREDGING_URL, title="Harbour dredging contract goes to Nordmark")
    body = (DATA / "article_with_inline_chrome.html").read_bytes()

    article = extract_article(Page(entry, DREDGING_URL, body), "Harbor Gazette")

    assert article.extracted
    for chrome in (
        "Advertisement",
        "READ MORE",
        "New tide gauge finds",  # the headline the label links to
        "story tip",
        "tips@",
        "Related:",
        "Oyster farmers fear",
        "Sign up",
        "newsletter",
        "Follow us",
        "Share this",
        "originally published",
    ):
        assert chrome not in article.text, chrome
    # news that says "read", "email", "follow" and "share" is the story
    assert "Board members read the environmental report aloud before the vote" in article.text
    assert (
        "Nordmark said in an email that it would follow the authority's timetable and share" in article.text
    )
    assert len(article.text.splitlines()) == 5  # its five paragraphs of news, nothing else


@pytest.mark.parametrize(
    ("name", "title", "opening"),
    [
        ("short_brief.html", "Pier 9 ferry cancelled in fog", "The 06:40 ferry from Pier 9"),
        ("short_brief_zh.html", "九号码头夜班渡轮周一复航", "港务局周一表示"),
    ],
    ids=["33-word-brief", "chinese-without-spaces"],
)
def test_a_short_complete_article_is_kept_not_replaced_by_the_feed_summary(
    name: str, title: str, opening: str
) -> None:
    entry = replace(ENTRY, title=title)

    article = extract_article(Page(entry, FERRY_URL, (DATA / name).read_bytes()), "Harbor Gazette")

    assert article.extracted
    assert article.text.startswith(opening)
    assert article.text != entry.summary


@pytest.mark.parametrize("name", ["paywall_stub.html", "cookie_wall.html", "reprint_notice_only.html"])
def test_a_page_showing_a_stub_or_a_notice_instead_of_the_article_falls_back_to_the_feed_summary(
    name: str,
) -> None:
    article = extract_article(page(name), "Harbor Gazette")

    assert not article.extracted
    assert article.text == ENTRY.summary


def test_a_page_showing_only_the_feeds_teaser_falls_back_to_the_feed_summary() -> None:
    """A whole sentence, long enough for a brief, but the feed said it already: no article."""
    teaser = (
        "The night ferry between Pier 9 and the island villages sails again from Monday, "
        "the port authority said, after an autumn of repairs."
    )
    entry = replace(ENTRY, summary=teaser + " Tickets go on sale on Saturday.")

    article = extract_article(Page(entry, FERRY_URL, article_page(ENTRY.title, teaser)), "Harbor Gazette")

    assert not article.extracted
    assert article.text == entry.summary


def test_an_article_is_identified_by_its_canonical_url() -> None:
    via_feed = extract_article(page("article_with_boilerplate.html"), "Harbor Gazette")
    shared = Page(ENTRY, "http://www.harbor.example/news/ferry/?fbclid=IwAR0x#comments", b"", error="x")

    via_social = extract_article(shared, "Harbor Gazette")

    assert via_feed.canonical_url == "https://harbor.example/news/ferry"
    assert via_feed.id == via_social.id == article_id("https://harbor.example/news/ferry")


# -- canonical URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://News.Example.COM/a/story?utm_source=x&utm_campaign=y&fbclid=abc#top",
            "https://news.example.com/a/story",
        ),
        ("https://example.com/story?page=2&utm_medium=rss&id=7", "https://example.com/story?id=7&page=2"),
        ("http://www.example.com:80/story/", "https://example.com/story"),
        ("https://example.com:8443/story", "https://example.com:8443/story"),
        ("https://example.com", "https://example.com/"),
    ],
)
def test_canonical_url_drops_tracking_fragment_and_case_of_host(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_the_path_keeps_its_case_because_servers_care() -> None:
    assert canonical_url("https://EXAMPLE.com/News/Story") == "https://example.com/News/Story"


def test_article_id_is_stable_and_differs_between_articles() -> None:
    first = article_id(canonical_url("https://example.com/story?utm_source=a"))
    again = article_id(canonical_url("https://example.com/story?utm_source=b"))
    other = article_id(canonical_url("https://example.com/another-story"))

    assert first == again
    assert first != other
    assert re.fullmatch(r"[0-9a-f]{12}", first)


# -- dedupe --------------------------------------------------------------------------------------

FERRY_TEXT = (
    "The night ferry between Pier 9 and the island villages will sail again from Monday, the port "
    "authority said, ending a closure that lasted most of the autumn. Engineers replaced the worn "
    "hinges of the loading ramp after an inspection in September found cracks in two of its four "
    "supports. Commuters who work late shifts at the fish market had relied on a single bus that "
    "takes almost two hours around the bay."
)
BRIDGE_TEXT = (
    "The council voted on Tuesday to repaint the old swing bridge in its original green, after a "
    "survey found that most residents preferred the colour it wore in the 1930s. Work starts in "
    "March and the bridge will close to cars for three weekends while painters climb the towers."
)


def test_two_links_to_the_same_page_become_one_article_crediting_both() -> None:
    gazette = make_article(
        "https://harbor.example/news/ferry?utm_source=rss",
        FERRY_TEXT,
        source="Harbor Gazette",
        published=utc(2026, 11, 23, 9),
    )
    aggregator = make_article(
        "https://harbor.example/news/ferry?fbclid=xyz",
        FERRY_TEXT[:120],
        source="Port Digest",
        published=utc(2026, 11, 23, 11),
    )

    result = dedupe([aggregator, gazette])

    (kept,) = result.unique
    assert kept.source == "Harbor Gazette"  # the earliest copy is the one kept
    assert set(kept.found_at) == {
        ("Harbor Gazette", "https://harbor.example/news/ferry?utm_source=rss"),
        ("Port Digest", "https://harbor.example/news/ferry?fbclid=xyz"),
    }
    assert result.merged_into == {}  # same canonical URL, same id: nothing to redirect


def test_a_syndicated_copy_merges_into_the_earliest_publication() -> None:
    original = make_article(
        "https://harbor.example/news/ferry",
        FERRY_TEXT,
        source="Harbor Gazette",
        published=utc(2026, 11, 23, 8),
    )
    wire_copy = make_article(
        "https://coastnews.example/2026/11/23/ferry-returns",
        FERRY_TEXT + " Tickets go on sale on Saturday.",
        source="Coast News",
        published=utc(2026, 11, 23, 10),
    )

    result = dedupe([wire_copy, original])

    (kept,) = result.unique
    assert kept.id == original.id
    assert result.merged_into == {wire_copy.id: original.id}
    assert kept.found_at == (
        ("Harbor Gazette", "https://harbor.example/news/ferry"),
        ("Coast News", "https://coastnews.example/2026/11/23/ferry-returns"),
    )


def test_different_articles_stay_apart() -> None:
    ferry = make_article("https://harbor.example/news/ferry", FERRY_TEXT)
    bridge = make_article("https://harbor.example/news/bridge", BRIDGE_TEXT)

    result = dedupe([ferry, bridge])

    assert {a.id for a in result.unique} == {ferry.id, bridge.id}
    assert result.merged_into == {}


def test_articles_sharing_a_few_phrases_are_not_merged() -> None:
    ferry = make_article("https://harbor.example/news/ferry", FERRY_TEXT)
    follow_up = make_article(
        "https://harbor.example/news/ferry-fares",
        "The night ferry between Pier 9 and the island villages will cost more from January, the "
        "operator said, blaming fuel prices and the autumn repairs. A monthly pass rises by a fifth, "
        "while pensioners keep their free crossings on weekdays.",
    )

    assert len(dedupe([ferry, follow_up]).unique) == 2


def test_two_stories_sharing_only_a_boilerplate_teaser_are_not_merged() -> None:
    """A paywalled feed gives every item the same teaser; when extraction fails that teaser is
    all the text there is, and it is no evidence that two different stories are one."""
    teaser = "Subscribe to read the full story from The Daily Courier."
    fares = make_article(
        "https://courier.example/news/ferry-fares",
        teaser,
        title="Ferry fares rise in January",
        extracted=False,
    )
    paint = make_article(
        "https://courier.example/news/bridge-paint",
        teaser,
        title="Council picks green for the swing bridge",
        extracted=False,
    )

    result = dedupe([fares, paint])

    assert {a.title for a in result.unique} == {fares.title, paint.title}
    assert result.merged_into == {}


def test_a_new_copy_of_a_stored_article_updates_the_stored_one_and_is_not_new() -> None:
    stored = make_article(
        "https://harbor.example/news/ferry", FERRY_TEXT, source="Harbor Gazette", published=utc(2026, 11, 22)
    )
    reposted = make_article(
        "https://islandtimes.example/ferry-back",
        FERRY_TEXT,
        source="Island Times",
        published=utc(2026, 11, 22) + timedelta(days=1),
    )
    bridge = make_article("https://harbor.example/news/bridge", BRIDGE_TEXT)

    result = dedupe([reposted, bridge], known=[stored])

    assert [a.id for a in result.unique] == [bridge.id]
    assert list(result.known) == [stored.id]
    assert result.known[stored.id].found_at == (
        ("Harbor Gazette", "https://harbor.example/news/ferry"),
        ("Island Times", "https://islandtimes.example/ferry-back"),
    )
    assert result.merged_into == {reposted.id: stored.id}


def test_stored_articles_without_new_copies_are_left_alone() -> None:
    stored = make_article("https://harbor.example/news/ferry", FERRY_TEXT)
    bridge = make_article("https://harbor.example/news/bridge", BRIDGE_TEXT)

    result = dedupe([bridge], known=[stored])

    assert [a.id for a in result.unique] == [bridge.id]
    assert result.known == {}


FERRY_SUMMARY = " ".join(FERRY_TEXT.split()[:33])  # a feed's teaser: the story's opening words


def test_a_copy_that_fell_back_to_the_feed_summary_takes_the_full_text_of_its_twin() -> None:
    """The digest's link came first but its page failed, so its text is the feed's 33 words;
    the gazette's page gave the whole story. The article kept is the digest's, with the story."""
    digest = make_article(
        "https://harbor.example/news/ferry?utm_source=digest",
        FERRY_SUMMARY,
        source="Port Digest",
        published=utc(2026, 11, 23, 8),
        extracted=False,
    )
    gazette = make_article(
        "https://harbor.example/news/ferry?utm_source=rss",
        FERRY_TEXT,
        source="Harbor Gazette",
        published=utc(2026, 11, 23, 9),
    )

    for order in ([digest, gazette], [gazette, digest]):
        (kept,) = dedupe(order).unique

        assert (kept.id, kept.source, kept.url) == (digest.id, "Port Digest", digest.url)
        assert kept.text == FERRY_TEXT and kept.extracted
        assert kept.found_at == (("Port Digest", digest.url), ("Harbor Gazette", gazette.url))


def test_a_syndicated_copy_gives_its_fuller_text_to_the_earlier_publication() -> None:
    original = make_article(
        "https://harbor.example/news/ferry",
        FERRY_SUMMARY,
        source="Harbor Gazette",
        published=utc(2026, 11, 23, 8),
        extracted=False,
    )
    wire_copy = make_article(
        "https://coastnews.example/2026/11/23/ferry-returns",
        FERRY_TEXT + " Tickets go on sale on Saturday.",
        source="Coast News",
        published=utc(2026, 11, 23, 10),
    )

    result = dedupe([wire_copy, original])

    (kept,) = result.unique
    assert kept.id == original.id
    assert result.merged_into == {wire_copy.id: original.id}
    assert kept.text == wire_copy.text and kept.extracted
    assert [publisher for publisher, _ in kept.found_at] == ["Harbor Gazette", "Coast News"]


def test_of_two_full_copies_the_longer_text_is_kept_whatever_order_they_arrive_in() -> None:
    short = make_article("https://harbor.example/news/ferry?a=1", FERRY_TEXT, published=utc(2026, 11, 23, 8))
    longer = make_article(
        "https://harbor.example/news/ferry?a=1&utm_source=x",
        FERRY_TEXT + " The first crossing leaves at nine.",
        published=utc(2026, 11, 23, 9),
    )
    same_length = make_article(
        "https://harbor.example/news/ferry?a=1&utm_medium=y",
        FERRY_TEXT + " The first crossing leaves at ten.",
        published=utc(2026, 11, 23, 9),
    )

    texts = {
        dedupe(order).unique[0].text for order in ([short, longer, same_length], [same_length, longer, short])
    }

    assert len(texts) == 1 and texts.pop().startswith(FERRY_TEXT + " The first crossing leaves at")


def test_a_stored_article_that_had_only_the_feed_summary_takes_a_new_copys_full_text() -> None:
    stored = make_article(
        "https://harbor.example/news/ferry", FERRY_SUMMARY, published=utc(2026, 11, 22), extracted=False
    )
    reposted = make_article(
        "https://islandtimes.example/ferry-back",
        FERRY_TEXT,
        source="Island Times",
        published=utc(2026, 11, 23),
    )

    result = dedupe([reposted], known=[stored])

    assert result.unique == ()
    assert result.merged_into == {reposted.id: stored.id}
    assert result.known[stored.id].text == FERRY_TEXT and result.known[stored.id].extracted


@pytest.mark.parametrize(
    "news",
    [
        "This report appeared to contradict the minister, who had said the port would stay shut.",
        "This report was published every seven years since 1990, officials said.",
        "The company also publishes a weekly newsletter.",
        "Copyright Office 2023 guidance was cited by the judge in her ruling.",
        "Got a tip from a neighbour, police raided the flat on Monday night.",
        "Share this story with anyone who doubts it, the mayor told residents.",
        "Republished by the ministry on Monday, the figures show a fall in arrivals.",
        "The council met at noon. Follow the money on X and you find the same donors, she said.",
    ],
)
def test_a_sentence_of_news_that_opens_like_chrome_is_kept(news: str) -> None:
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Ferry</title></head><body><article>"
        f"<h1>Ferry returns</h1><p>{FERRY_TEXT}</p><p>{news}</p></article></body></html>"
    )
    article = extract_article(Page(ENTRY, FERRY_URL, page.encode()), "Harbor Gazette")
    assert news in article.text


def test_an_outlets_own_text_is_kept_when_another_outlet_runs_a_longer_copy() -> None:
    original = make_article(
        "https://harbor.example/news/ferry",
        FERRY_TEXT,
        source="Harbor Gazette",
        published=utc(2026, 11, 23, 8),
    )
    longer_copy = make_article(
        "https://coastnews.example/ferry",
        FERRY_TEXT + " Coast News adds that tickets cost eight euros.",
        source="Coast News",
        published=utc(2026, 11, 23, 10),
    )

    (kept,) = dedupe([longer_copy, original]).unique

    assert kept.source == "Harbor Gazette" and kept.text == FERRY_TEXT  # no words it did not print
    assert [publisher for publisher, _ in kept.found_at] == ["Harbor Gazette", "Coast News"]
