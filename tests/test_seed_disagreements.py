"""The real seed documents (../shared/seeds, when present) report the size of Meta's Scale AI
investment, the valuation of AMI Labs and the date Yann LeCun left Meta differently. Read by the
facts stage, and served as the pages of five loopback feeds and read by a whole run, the brief
must say so, with both sources."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from textwrap import dedent

import pytest
from conftest import LoopbackSite, Newsroom, Reply, rss_feed, rss_item, utc

from benchmarks.digest import seed_article, seed_page
from pipeline.understand.disagreements import disagreements
from pipeline.understand.facts import extract_facts

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"

# Each disagreement the seeds hold: what it is about, and values that must be among its claims.
PLANTED = [
    ("investment", {"$14.3 billion", "$15 billion"}),
    ("valuation", {"$4.5B", "$3.5 billion"}),
    ("the date Yann LeCun left", {"November 2025", "22 January 2026"}),
]
# The date each seed is published under in its feed: the seed_gold.json dates where it has one
# (its "_about" says why); 002 lists events of January to April 2026, 004 says its latest event
# (April 8th, 2026) was "1 month ago".
PUBLISHED = {
    "000": utc(2026, 4, 15),
    "001": utc(2025, 11, 12),
    "002": utc(2026, 4, 20),
    "003": utc(2026, 5, 26),
    "004": utc(2026, 5, 10),
}


def _seed_files() -> list[Path]:
    files = sorted(SEEDS.glob("00[0-4]_*.txt"))
    if len(files) < 5:
        pytest.skip(f"the seed documents are not beside the project ({SEEDS})")
    return files


@pytest.mark.parametrize(("about", "values"), PLANTED)
def test_the_seed_documents_disagree_and_the_facts_say_so(about: str, values: set[str]) -> None:
    articles = [seed_article(p, datetime(2026, 5, 26, tzinfo=UTC)) for p in _seed_files()]
    facts = {a.id: extract_facts(a) for a in articles}

    found = [d for d in disagreements(articles, facts) if d.about == about]

    assert found, about
    assert values <= {c.value for c in found[0].claims}
    assert len({c.sentence.article_id for c in found[0].claims}) >= 2  # two different sources
    for claim in found[0].claims:
        article = next(a for a in articles if a.id == claim.sentence.article_id)
        assert claim.sentence.text in article.text


def test_a_run_over_the_seeds_served_as_pages_reports_each_disagreement_with_both_sources(
    site: LoopbackSite, newsroom: Newsroom
) -> None:
    feeds = []
    for path in _seed_files():
        number = path.name[:3]
        title, page = seed_page(path)
        site.serve(f"/seeds/{number}", Reply(body=page, content_type="text/html; charset=utf-8"))
        item = rss_item(escape(title), site.url(f"/seeds/{number}"), number, PUBLISHED[number])
        site.serve(f"/feeds/{number}.xml", rss_feed(item, title=f"Outlet {number}"))
        feeds.append((f"Outlet {number}", site.url(f"/feeds/{number}.xml")))
    threads = dedent((ROOT / "sources.yaml").read_text(encoding="utf-8").split("\nthreads:\n", 1)[1])
    newsroom.configure(feeds, allow=[site.allow()], threads=threads)

    result = newsroom.run(utc(2026, 5, 26, 15))

    brief = json.loads((result.brief_dir / "brief.json").read_text(encoding="utf-8"))
    found = {x["about"]: x["claims"] for d in brief["digests"] for x in d["disagreements"]}
    for about, values in PLANTED:
        assert about in found, (about, sorted(found))
        assert values <= {c["value"] for c in found[about]}, found[about]
        assert len({c["source"] for c in found[about]}) >= 2
    email = (result.brief_dir / "email.txt").read_text(encoding="utf-8")
    assert "SOURCES DISAGREE" in email and "22 January 2026 (Outlet 002)" in email
