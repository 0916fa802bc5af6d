"""Rendering a brief: escaped text, safe links, an email that survives mail clients, brief.json."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import utc

from benchmarks.archive import render_site
from pipeline.errors import TemplateError
from pipeline.models import ArchivedBrief, Brief, RunStats, Sentence, SourceRef, ThreadDigest, TimelineEvent
from pipeline.publish.render import render_brief, safe_url, subject_of

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
STATUS = "Brief of Mon 23 Nov, 15:00 UTC · next brief at 21:00 UTC"


def make_brief(
    headline: str = "Council approves harbor dredging plan",
    first_url: str = "https://harbor.example/news/dredging",
    feed_errors: tuple[tuple[str, str], ...] = (),
) -> Brief:
    digest = ThreadDigest(
        thread_id="harbor-dredging",
        title="Harbor dredging",
        kind="configured",
        headline=Sentence(headline, "a1"),
        overview=(
            Sentence("The council approved a plan to dredge the main channel.", "a1"),
            Sentence("Oyster farmers said they would go to court.", "b2"),
        ),
        why_it_matters=(Sentence("Higher harbor fees could push small operators out.", "a1"),),
        tldr=(
            Sentence("The work costs $1.03 billion over five years.", "a1"),
            Sentence("Farmers fear silt will smother the oyster beds.", "b2"),
            Sentence("Weekly water tests were promised.", "b2"),
        ),
        sources=(
            SourceRef(
                1,
                "a1",
                headline,
                "Harbor Gazette",
                first_url,
                utc(2026, 11, 23, 9),
                copies=(("Bay Wire", "https://baywire.example/dredging"),),
            ),
            SourceRef(
                2,
                "b2",
                "Oyster farmers to fight dredging plan",
                "Coast News",
                "https://coastnews.example/oysters",
                utc(2026, 11, 23, 14),
                extracted=False,
            ),
        ),
        new_articles=2,
        reading_minutes=2,
    )
    return Brief(
        id="2026-11-23T1500Z",
        slot=utc(2026, 11, 23, 15),
        title="Harbor Brief",
        audience="port watchers",
        generated_at=utc(2026, 11, 23, 15, 2),
        status_line=STATUS,
        digests=(digest,),
        stats=RunStats(3, 2, 1, 5, 4, 1, 2, 1),
        feed_errors=feed_errors,
    )


def test_a_script_in_a_headline_is_shown_as_text_never_run() -> None:
    rendered = render_brief(make_brief(headline=f"Dredging {SCRIPT} approved"))

    for html in (rendered.page_html, rendered.email_html):
        assert "<script" not in html.lower()
        assert ESCAPED_SCRIPT in html
    assert SCRIPT in rendered.email_txt  # plain text needs no escaping
    assert "&lt;" not in rendered.email_txt


def test_a_script_in_a_feed_error_is_escaped_too() -> None:
    rendered = render_brief(make_brief(feed_errors=(("Evil feed", f"HTTP 500 {SCRIPT}"),)))

    assert "<script" not in rendered.page_html.lower()
    assert ESCAPED_SCRIPT in rendered.page_html
    assert "Feeds that could not be read" in rendered.page_html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
        "",
        None,
    ],
)
def test_safe_url_turns_anything_but_web_and_mail_links_into_a_dead_link(url: object) -> None:
    assert safe_url(url) == "#"


@pytest.mark.parametrize(
    "url", ["https://harbor.example/a?b=1", "http://harbor.example/", "mailto:editor@harbor.example"]
)
def test_safe_url_keeps_web_and_mail_links(url: str) -> None:
    assert safe_url(url) == url


def test_a_javascript_source_link_renders_as_a_dead_link() -> None:
    rendered = render_brief(make_brief(first_url="javascript:alert(document.cookie)"))

    for html in (rendered.page_html, rendered.email_html):
        assert "javascript:" not in html.lower()
        assert 'href="#"' in html
    assert "javascript:" not in rendered.email_txt


def test_the_email_html_has_inlined_styles_and_keeps_its_dark_mode_block() -> None:
    html = render_brief(make_brief()).email_html

    assert '<h1 class="title" style="' in html
    assert "font-size: 24px" in html
    assert "@media (prefers-color-scheme: dark)" in html


def test_email_citations_link_straight_to_the_article() -> None:
    html = render_brief(make_brief()).email_html

    assert '<a class="cite" title="Harbor Gazette" href="https://harbor.example/news/dredging"' in html


def test_page_citations_link_to_their_entry_in_the_sources_list() -> None:
    page = render_brief(make_brief()).page_html

    assert 'id="src-harbor-dredging-2"' in page
    assert '<a class="cite" href="#src-harbor-dredging-1" title="Harbor Gazette">[1]</a>' in page
    assert '<a class="cite" href="#src-harbor-dredging-2" title="Coast News">[2]</a>' in page


def test_the_text_email_has_the_headline_and_numbered_sources() -> None:
    text = render_brief(make_brief()).email_txt

    assert text.startswith("Harbor Brief\n" + STATUS + "\n")
    assert "HARBOR DREDGING · 2 new · 2 min read" in text
    assert "Council approves harbor dredging plan [1]" in text
    assert "  [1] Council approves harbor dredging plan · Harbor Gazette · Nov 23, 2026\n" in text
    assert (
        "  [2] Oyster farmers to fight dredging plan · Coast News · Nov 23, 2026 · from the feed summary"
        in text
    )
    assert "      https://coastnews.example/oysters" in text
    assert "also Bay Wire: https://baywire.example/dredging" in text
    assert "  - Weekly water tests were promised. [2]" in text
    assert "Sent by dailybrief for port watchers." in text


def test_the_text_email_counts_in_the_singular_when_there_is_one() -> None:
    brief = make_brief()
    one_article = replace(brief, stats=replace(brief.stats, articles_new=1), publishers=1, reading_minutes=1)

    text = render_brief(one_article).email_txt

    assert (
        "Mon 23 Nov 2026, 15:00 UTC · 1 new article from 1 source (2 of 3 feeds read) · 1 thread"
        " · about 1 minute of reading\n" in text
    )


def test_the_page_says_which_sources_are_only_feed_summaries() -> None:
    page = render_brief(make_brief()).page_html

    assert page.count("from the feed summary") == 1
    assert "2 new articles from 0 sources (2 of 3 feeds read) · 1 thread" in page


def test_the_subject_names_the_brief_the_slot_and_the_top_story() -> None:
    brief = make_brief()

    assert subject_of(brief) == "Harbor Brief · Mon 23 Nov, 15:00 UTC: Council approves harbor dredging plan"
    assert render_brief(brief).subject == subject_of(brief)


def test_brief_json_keeps_the_source_of_every_sentence() -> None:
    data = json.loads(render_brief(make_brief()).brief_json)

    assert data["id"] == "2026-11-23T1500Z"
    assert data["slot"] == "2026-11-23T15:00:00Z"
    (digest,) = data["digests"]
    assert [s["article_id"] for s in digest["overview"]] == ["a1", "b2"]
    assert digest["tldr"][2] == {"text": "Weekly water tests were promised.", "article_id": "b2"}
    assert digest["sources"][0]["copies"] == [["Bay Wire", "https://baywire.example/dredging"]]


def test_a_brief_with_no_stories_says_so() -> None:
    empty = replace(make_brief(), digests=())

    rendered = render_brief(empty)

    assert "Nothing new in the threads you follow" in rendered.page_html
    assert "Nothing new in the threads you follow" in rendered.email_txt
    assert rendered.subject.endswith(": no new stories")


def test_articles_in_no_thread_are_listed_with_safe_escaped_links() -> None:
    others = (
        SourceRef(
            0, "c3", f"Ferry fares {SCRIPT} rise", "Island Times", "https://island.example/fares", None
        ),
        SourceRef(0, "d4", "Pier 4 sold", "Coast News", "javascript:alert(2)", utc(2026, 11, 23, 8)),
    )

    rendered = render_brief(replace(make_brief(), others=others))

    for html in (rendered.page_html, rendered.email_html):
        assert "Also new in your feeds" in html
        assert f"Ferry fares {ESCAPED_SCRIPT} rise" in html
        assert 'href="https://island.example/fares"' in html
        assert "javascript:" not in html
    assert "ALSO NEW IN YOUR FEEDS" in rendered.email_txt
    assert "  - Pier 4 sold · Coast News · Nov 23, 2026\n    #\n" in rendered.email_txt
    assert "Ferry fares <script>alert(1)</script> rise · Island Times · undated" in rendered.email_txt


def test_an_emerging_story_is_labelled_as_one() -> None:
    brief = make_brief()
    emerging = replace(brief, digests=(replace(brief.digests[0], kind="emergent", title="Dredging"),))

    rendered = render_brief(emerging)

    assert '<p class="kicker">Emerging story · 2 new articles · 2 min read</p>' in rendered.page_html
    assert "EMERGING STORY · 2 new · 2 min read" in rendered.email_txt


def test_a_users_template_overrides_the_built_in_one(tmp_path: Path) -> None:
    (tmp_path / "email.txt").write_text("Custom: {{ brief.title }}\n", encoding="utf-8")

    rendered = render_brief(make_brief(), tmp_path)

    assert rendered.email_txt == "Custom: Harbor Brief\n"
    assert "Harbor Brief" in rendered.page_html  # the others still come from the built-in set


def test_a_missing_template_names_it_and_the_folders_searched(tmp_path: Path) -> None:
    (tmp_path / "email.html").write_text('{% include "masthead.html" %}', encoding="utf-8")

    with pytest.raises(TemplateError) as info:
        render_brief(make_brief(), tmp_path)

    message = str(info.value)
    assert "'masthead.html' not found" in message
    assert str(tmp_path) in message
    assert str(Path(__file__).resolve().parent.parent / "templates") in message


def test_a_template_using_an_unknown_value_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "email.txt").write_text("{{ brief.no_such_field }}", encoding="utf-8")

    with pytest.raises(TemplateError, match="template error"):
        render_brief(make_brief(), tmp_path)


def test_the_archive_index_lists_briefs_newest_first_with_escaped_headlines() -> None:
    older = ArchivedBrief(
        "2026-11-23T1500Z",
        utc(2026, 11, 23, 15),
        "2026/11/23/1500/index.html",
        "Dredging approved",
        ("Harbor dredging",),
        3,
    )
    newer = ArchivedBrief(
        "2026-11-23T2100Z", utc(2026, 11, 23, 21), "2026/11/23/2100/index.html", f"Late {SCRIPT}", (), 1
    )
    brief = make_brief()

    files = render_site(
        [(older, brief), (newer, replace(brief, id=newer.id, slot=newer.slot))], "Harbor Brief"
    )

    html = files["index.html"].decode()
    assert html.index('href="2026/11/23/2100/index.html"') < html.index('href="2026/11/23/1500/index.html"')
    assert ESCAPED_SCRIPT in html and SCRIPT not in html
    assert "3 articles · 1 thread" in html
    assert "2 briefs, newest first" in html
    assert 'href="threads/harbor-dredging.html"' in html
    assert {"threads/harbor-dredging.html", "feed.xml", "search-index.json", "assets/style.css"} <= set(files)
    newer_page = files["2026/11/23/2100/index.html"].decode()
    assert 'rel="prev" href="../../../../2026/11/23/1500/index.html"' in newer_page
    assert "Latest brief" in newer_page


def test_with_an_archive_address_the_email_links_the_brief_page_and_a_quiet_threads_page() -> None:
    brief = make_brief()
    quiet = replace(brief.digests[0], unchanged=True, since="New since Sun 22 Nov, 21:00 UTC")
    brief = replace(brief, digests=(quiet,))

    linked = render_brief(brief, archive_url="https://news.example/brief/")
    plain = render_brief(brief)

    page = "https://news.example/brief/" + brief.slot.strftime("%Y/%m/%d/%H%M") + "/index.html"
    thread = "https://news.example/brief/threads/harbor-dredging.html"
    for text in (linked.email_txt, linked.email_html):
        assert page in text and thread in text
    for text in (plain.email_txt, plain.email_html):
        assert "news.example" not in text and "Read this brief in the archive" not in text
    assert "threads/harbor-dredging.html" in plain.page_html  # the archive page links it either way


def test_timeline_dates_are_written_as_a_reader_writes_them() -> None:
    brief = make_brief()
    events = (
        TimelineEvent(
            "2025-11", "organizational", Sentence("The harbor master left in November 2025.", "a1"), ()
        ),
        TimelineEvent("2026-01-22", "legal", Sentence("Farmers sued on January 22.", "b2"), ()),
        TimelineEvent("2013", "organizational", Sentence("The port authority was set up in 2013.", "a1"), ()),
    )
    brief = replace(brief, digests=(replace(brief.digests[0], timeline=events),))

    rendered = render_brief(brief)

    for text in ("November 2025 (organizational)", "22 January 2026 (legal)", "2013 (organizational)"):
        assert text in rendered.email_txt
    assert '<time datetime="2026-01-22">22 January 2026</time>' in rendered.page_html
