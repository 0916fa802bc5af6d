"""The real seed documents (../shared/seeds, when present) report the size of Meta's Scale AI
investment and the valuation of AMI Labs differently; served as pages and read by the
pipeline, the brief must say so, with both sources."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.digest import seed_article
from pipeline.digest import disagreements
from pipeline.facts import extract_facts

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.mark.parametrize(
    ("about", "values"),
    [("investment", {"$14.3 billion", "$15 billion"}), ("valuation", {"$4.5B", "$3.5 billion"})],
)
def test_the_seed_documents_disagree_and_the_brief_says_so(about: str, values: set[str]) -> None:
    files = sorted(SEEDS.glob("00[0-4]_*.txt"))
    if len(files) < 5:
        pytest.skip(f"the seed documents are not beside the project ({SEEDS})")
    articles = [seed_article(p, datetime(2026, 5, 26, tzinfo=UTC)) for p in files]
    facts = {a.id: extract_facts(a) for a in articles}

    found = [d for d in disagreements(articles, facts) if d.about == about]

    assert found, about
    assert values <= {c.value for c in found[0].claims}
    assert len({c.sentence.article_id for c in found[0].claims}) >= 2  # two different sources
    for claim in found[0].claims:
        article = next(a for a in articles if a.id == claim.sentence.article_id)
        assert claim.sentence.text in article.text
