"""Digest fields built from an article's facts: the comparison table and the badges' rules."""

from __future__ import annotations

from dataclasses import replace

from conftest import make_article, utc
from test_render import make_brief

from pipeline.digest import digest_fields, only_new, shown_keys
from pipeline.facts import extract_facts
from pipeline.models import Thread
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
