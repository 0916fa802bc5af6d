"""Digest fields built from an article's facts: the comparison table and the badges' rules."""

from __future__ import annotations

from dataclasses import replace

from conftest import make_article, utc
from test_render import make_brief

from pipeline.digest import digest_fields, disagreements, only_new, shown_keys
from pipeline.facts import extract_facts
from pipeline.models import Sentence, Thread, TimelineEvent
from pipeline.render import render_brief
from pipeline.summarize import summarize_thread

SCORES = (
    "The Lindqvist Institute published its harbour benchmark on Monday. "
    "Ostrava Systems scored 71 points on the harbour benchmark, the best result so far. "
    "Kesteven Robotics scored 64 points on the same benchmark, ahead of last year's leader. "
    "Analysts at Halberd Research said the results would push buyers to run their own tests."
)


def test_the_same_measure_for_several_organizations_becomes_a_comparison_table() -> None:
    article = make_article("https://harbour.example/benchmark", SCORES, published=utc(2026, 4, 8, 12))
    facts = {article.id: extract_facts(article)}

    fields = digest_fields([article], facts, ["benchmark"], shown=())

    assert fields.comparison is not None, [(f.value, f.label) for f in facts[article.id].figures]
    rows = {entity: value for entity, value, _ in fields.comparison.rows}
    assert rows.get("Ostrava Systems") == "71" and rows.get("Kesteven Robotics") == "64"


def test_badges_follow_their_documented_rules() -> None:
    worried = make_article(
        "https://harbour.example/risk",
        "Regulators warned of a serious risk to the harbour. Critics said the plan would fail. "
        "Investors raised concerns about delays and losses.",
        source="Harbour News",
    )
    fields = digest_fields([worried], {worried.id: extract_facts(worried)}, [], shown=())
    assert fields.tone == "Cautionary"
    assert fields.impact == "Low"  # one source, no large money figure
    assert fields.horizon == "Medium-term"


def test_a_thread_with_nothing_new_is_one_line_that_says_so() -> None:
    article = make_article("https://harbour.example/benchmark", SCORES, published=utc(2026, 4, 8, 12))
    digest = summarize_thread(Thread("bench", "Harbour benchmark", "configured", (article.id,)), [article])

    again = only_new(digest, shown_keys(digest), "New since Wed 08 Apr, 21:00 UTC")

    assert again.unchanged and not again.overview and not again.figures
    brief = replace(make_brief(), digests=(again,))
    rendered = render_brief(brief)
    assert "No new developments since the last brief" in rendered.email_txt
    assert "No new developments since the last brief" in rendered.page_html
    assert "71 points" not in rendered.email_txt


def _leaving(url: str, source: str, text: str) -> tuple:
    article = make_article(url, text, source=source, published=utc(2026, 4, 9, 12))
    return article, extract_facts(article)


def test_a_departure_dated_differently_is_a_disagreement_found_by_surname_and_at_the_coarser_date() -> None:
    told = [
        _leaving(
            "https://a.example/1",
            "Harbour News",
            "Mara Quill, the chief scientist of Vantor, left the company in November 2025 after 12 years.",
        ),
        _leaving(
            "https://b.example/2", "Quay Daily", "Timeline. Jan 22Quill Departs Vantor. Feb 15Other things."
        ),
        _leaving(
            "https://c.example/3",
            "Tide Post",
            "Mara Quill left Vantor on November 20, 2025, colleagues said.",
        ),
    ]
    articles = [a for a, _ in told]
    facts = {a.id: f for a, f in told}

    found = disagreements(articles, facts)

    assert [d.about for d in found] == ["the date Mara Quill left"]
    # "November 2025" and "20 November 2025" agree: the month is not a second value
    assert [(c.value, c.source) for c in found[0].claims] == [
        ("20 November 2025", "Tide Post"),
        ("22 January 2026", "Quay Daily"),
    ]
    # the same month, or the same day, from two sources is no disagreement
    assert not disagreements([articles[0], articles[2]], facts)


def test_a_date_is_compared_with_the_threads_earlier_briefs_but_an_old_disagreement_is_not_repeated() -> None:
    article, facts = _leaving(
        "https://b.example/2",
        "Quay Daily",
        "Mara Quill, the chief scientist of Vantor, left the company in December 2025.",
    )
    earlier = TimelineEvent(
        "2025-11",
        "organizational",
        Sentence("Quill left Vantor in November 2025.", "earlier-id"),
        (("Harbour News", "https://a.example/1"),),
    )

    found = disagreements([article], {article.id: facts}, [earlier])

    assert [(c.value, c.source) for c in found[0].claims] == [
        ("November 2025", "Harbour News"),
        ("December 2025", "Quay Daily"),
    ]
    # a brief with no new article in the disagreement does not show it again
    twice = replace(earlier, date="2025-12", text=Sentence("Quill left Vantor in December 2025.", "x"))
    later, facts = _leaving(
        "https://c.example/3", "Tide Post", "Mara Quill, who left Vantor, spoke on Monday."
    )
    assert "Mara Quill" in {m.name for m in facts.mentions}  # she is named, so it could be found
    assert not disagreements([later], {later.id: facts}, [earlier, twice])
