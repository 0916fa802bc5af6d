"""Digest fields built from an article's facts: the comparison table and the badges' rules."""

from __future__ import annotations

from conftest import make_article, utc

from pipeline.digest import digest_fields
from pipeline.facts import extract_facts

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
