"""Digest fields: the facts stage against the hand-annotated demo corpus (tests/data/demo_gold.json).

Precision and recall per field (figures, events, people, organizations, quotes), on the thread
articles the rules were written against and on the held-out articles annotated before the
extractor ever saw them. The gold set ships with the project, so this runs without ../shared/data.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pipeline.demo import BASE_PLACEHOLDER, CORPUS, load_corpus
from pipeline.extract import extract_article
from pipeline.facts import extract_facts, score_facts
from pipeline.models import Article, FeedEntry, Page

from .core import Figure, Options, Report, at_least

GOLD = Path(__file__).resolve().parent.parent / "tests" / "data" / "demo_gold.json"
FIELDS = ("figures", "events", "people", "orgs", "quotes")


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


def run(opts: Options, report: Report) -> None:
    if not GOLD.is_file():
        report.skip("digest", "digest fields", f"{GOLD} is missing")
        return
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    for part, name in (("articles", "demo thread articles"), ("heldout", "demo held-out articles")):
        wanted = gold.get(part, {})
        articles = _articles(set(wanted))
        predicted = {key: extract_facts(article) for key, article in articles.items()}
        scores = score_facts(predicted, wanted)
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
                        len(articles),
                        at_least(0.8) if measure == "precision" else at_least(0.6),
                    )
                )
    report.skip("digest", "seed articles", "no hand annotation of the seed articles yet")
