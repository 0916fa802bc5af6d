"""The real seed articles (../shared/seeds, when present) report the size of Meta's Scale AI
investment differently; served as pages and read by the pipeline, the brief must say so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.digest import seed_article
from pipeline.digest import disagreements
from pipeline.facts import extract_facts

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def test_the_seed_articles_disagree_on_the_scale_ai_investment() -> None:
    files = sorted(SEEDS.glob("00[013]_*.txt"))
    if len(files) < 3:
        pytest.skip(f"the seed articles are not beside the project ({SEEDS})")
    articles = [seed_article(p, datetime(2026, 5, 26, tzinfo=UTC)) for p in files]
    facts = {a.id: extract_facts(a) for a in articles}

    found = disagreements(articles, facts)

    investment = [d for d in found if d.about == "investment"]
    assert investment, [d.about for d in found]
    values = {c.value for c in investment[0].claims}
    assert {"$14.3 billion", "$15 billion"} <= values
    assert len({c.sentence.article_id for c in investment[0].claims}) >= 2  # two different sources
    for claim in investment[0].claims:
        article = next(a for a in articles if a.id == claim.sentence.article_id)
        assert claim.sentence.text in article.text
