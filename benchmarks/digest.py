"""Digest fields: the facts stage against hand-annotated gold sets.

Precision and recall per field (figures, events, people, organizations, quotes), on the demo
corpus (tests/data/demo_gold.json): the thread articles the rules were written against and the
held-out articles annotated before the extractor ever saw them; that gold set ships with the
project, so this part runs without ../shared/data. Then on the seed articles, three real
articles kept beside the data folder (<data>/../seeds/NNN_<hash>.txt: the title on the first
line, then one paragraph a line), annotated by hand in tests/data/seed_gold.json before the
extractor was run on them; absent seeds are reported as skipped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.demo import BASE_PLACEHOLDER, CORPUS, load_corpus
from pipeline.ingest.extract import extract_article
from pipeline.models import Article, Disagreement, FeedEntry, Page
from pipeline.understand.disagreements import disagreements
from pipeline.understand.facts import extract_facts

from .core import Figure, Options, Report, at_least
from .fact_scoring import score_facts

GOLD = Path(__file__).resolve().parent.parent / "tests" / "data" / "demo_gold.json"
SEED_GOLD = GOLD.with_name("seed_gold.json")
FIELDS = ("figures", "events", "people", "orgs", "quotes", "disagreements")


def _articles(ids: set[str]) -> dict[str, Article]:
    base = "http://127.0.0.1:1"
    out: dict[str, Article] = {}
    for a in load_corpus()["articles"]:
        if a["id"] not in ids:
            continue
        url = f"{base}/{a['id']}"
        body = (CORPUS / str(a["page"])).read_text(encoding="utf-8").replace(BASE_PLACEHOLDER, base)
        published = datetime.fromisoformat(str(a["published"]).replace("Z", "+00:00"))
        entry = FeedEntry(f"{base}/feeds/{a['feed']}.xml", a["id"], url, a["title"], a["summary"], published)
        out[a["id"]] = extract_article(Page(entry, url, body.encode("utf-8")), a["feed"])
    return out


def seed_page(path: Path) -> tuple[str, bytes]:
    """A seed file (the title on the first line, then one paragraph a line) as a minimal
    article page: its title and the page's bytes."""
    lines = [" ".join(line.split()) for line in path.read_text(encoding="utf-8").splitlines()]
    title, paragraphs = lines[0], [line for line in lines[1:] if line]
    t = html.escape(title)
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    page = f"<html><head><title>{t}</title></head><body><article><h1>{t}</h1>{body}</article></body></html>"
    return title, page.encode("utf-8")


def seed_article(path: Path, published: datetime | None) -> Article:
    """A seed file as the pipeline would see it: its page (`seed_page`) extracted by
    `extract_article` (the id is the pipeline's own; callers key by the file stem)."""
    title, page = seed_page(path)
    base = "http://127.0.0.1:1/seeds"
    url = f"{base}/{path.stem}"
    entry = FeedEntry(f"{base}/feed.xml", path.stem, url, title, "", published)
    return extract_article(Page(entry, url, page), "Seed")


def _seed_articles(folder: Path, gold: dict[str, Any], stems: Iterable[str]) -> dict[str, Article]:
    """Seed articles keyed by file stem, with the feed dates the gold file gives them (its
    "published"; why each, in its "_about")."""
    dates = gold.get("published", {})
    out: dict[str, Article] = {}
    for stem in stems:
        published = datetime.fromisoformat(dates[stem]).replace(tzinfo=UTC) if stem in dates else None
        out[stem] = seed_article(folder / f"{stem}.txt", published)
    return out


def score_disagreements(found: Sequence[Disagreement], gold: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Precision and recall of disagreements: a found one matches a gold one when two of its
    values are the gold's (what it is "about" may be worded differently)."""

    def matches(d: Disagreement, g: dict[str, Any]) -> bool:
        return len({c.value for c in d.claims} & set(g["values"])) >= 2

    right = sum(any(matches(d, g) for g in gold) for d in found)
    recalled = sum(any(matches(d, g) for d in found) for g in gold)
    return {
        "precision": right / len(found) if found else 1.0,
        "recall": recalled / len(gold) if gold else 1.0,
        "predicted": float(len(found)),
        "gold": float(len(gold)),
    }


def _report(report: Report, part: str, name: str, scores: dict[str, dict[str, float]], n: int) -> None:
    for field in FIELDS:
        s = scores.get(field)
        if s is None:
            continue
        for measure in ("precision", "recall"):
            report.add(
                Figure(
                    f"digest.{part}.{field}.{measure}",
                    f"digest {field} {measure} ({part})",
                    s[measure],
                    None,
                    "",
                    "",
                    name,
                    n,
                    at_least(0.8) if measure == "precision" else at_least(0.6),
                )
            )


def run(opts: Options, report: Report) -> None:
    if not GOLD.is_file():
        report.skip("digest", "digest fields", f"{GOLD} is missing")
        return
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    everything: dict[str, Article] = {}
    for part, name in (("articles", "demo thread articles"), ("heldout", "demo held-out articles")):
        wanted = gold.get(part, {})
        articles = _articles(set(wanted))
        everything |= articles
        predicted = {key: extract_facts(article) for key, article in articles.items()}
        _report(report, part, name, score_facts(predicted, wanted), len(articles))
    if "disagreements" in gold:
        _report(
            report,
            "demo",
            "demo, all annotated articles",
            {"disagreements": _disagreements(everything.values(), gold["disagreements"])},
            len(everything),
        )
    _seeds(opts, report)


def _disagreements(articles: Iterable[Article], gold: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The articles read together, as one thread of one brief would be."""
    chosen = list(articles)
    return score_disagreements(disagreements(chosen, {a.id: extract_facts(a) for a in chosen}), gold)


def _seeds(opts: Options, report: Report) -> None:
    name = "seed articles"
    if not SEED_GOLD.is_file():
        report.skip("digest", name, f"{SEED_GOLD} is missing")
        return
    gold = json.loads(SEED_GOLD.read_text(encoding="utf-8"))
    folder = opts.data.parent / "seeds"
    wanted = gold.get("articles", {})
    missing = [stem for stem in wanted if not (folder / f"{stem}.txt").is_file()]
    if not wanted or missing:
        what = ", ".join(f"{m}.txt" for m in missing) if missing else "no annotated articles"
        report.skip("digest", name, f"{folder} lacks {what}" if folder.is_dir() else f"{folder} is missing")
        return
    articles = _seed_articles(folder, gold, wanted)
    predicted = {key: extract_facts(article) for key, article in articles.items()}
    _report(report, "seeds", name, score_facts(predicted, wanted), len(articles))
    every = sorted(p.stem for p in folder.glob("[0-9][0-9][0-9]_*.txt"))
    if "disagreements" in gold and set(gold.get("published", {})) <= set(every):
        seeds = _seed_articles(folder, gold, gold["published"])
        scores = {"disagreements": _disagreements(seeds.values(), gold["disagreements"])}
        _report(report, "seeds", "all seed articles", scores, len(seeds))
