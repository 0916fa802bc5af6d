"""Main-text extraction on data/extraction/ (article-extraction-benchmark, dev half).

Ours: `pipeline.ingest.extract.extract_article` on the page bytes, as a run calls it. Baseline: plain
`trafilatura.extract(html_bytes)` with default settings, run now. Scoring as the data README
describes: \\w+ tokens, 4-token shingles counted as multisets, per-page TP/FP/FN normalised to
sum to 1, precision and recall each averaged over the pages where they are defined, F1 from
the two averages; accuracy is the share of pages whose token list equals the truth's.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trafilatura

from pipeline.ingest.extract import extract_article
from pipeline.models import FeedEntry, Page

from .core import Figure, Options, Report, at_least, capped

NAME = "extraction"
SHINGLE = 4
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class DevPage:
    id: str
    url: str
    truth: str
    html: bytes


def load_pages(folder: Path, limit: int | None = None) -> list[DevPage]:
    """The pages of an extraction set that have both HTML and ground truth, sorted by id."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        path = folder / "html" / f"{page_id}.html.gz"
        if path.is_file():
            pages.append(
                DevPage(
                    page_id,
                    truth[page_id].get("url", ""),
                    truth[page_id].get("articleBody", ""),
                    gzip.decompress(path.read_bytes()),
                )
            )
    return capped(pages, limit)


# -- scoring --------------------------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    toks = tokens(text)
    if len(toks) < n:  # a short text is one shingle of what there is
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def page_counts(truth: str, pred: str) -> tuple[float, float, float]:
    """(TP, FP, FN) over shingle multisets, normalised to sum to 1 (all 0 when both are empty)."""
    t, p = shingles(truth), shingles(pred)
    tp = float(sum((t & p).values()))
    fp = float(sum((p - t).values()))
    fn = float(sum((t - p).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def page_precision(tp: float, fp: float, fn: float) -> float | None:
    if tp + fp == 0:
        return None
    return 1.0 if fp == fn == 0 else tp / (tp + fp)


def page_recall(tp: float, fp: float, fn: float) -> float | None:
    if tp + fn == 0:
        return None
    return 1.0 if fp == fn == 0 else tp / (tp + fn)


def aggregate(counts: Sequence[tuple[float, float, float]]) -> dict[str, float]:
    precisions = [p for c in counts if (p := page_precision(*c)) is not None]
    recalls = [r for c in counts if (r := page_recall(*c)) is not None]
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def score(truths: Sequence[str], preds: Sequence[str], n_bootstrap: int = 1000) -> dict[str, Any]:
    """F1, precision, recall, accuracy, and the bootstrap standard deviation of F1."""
    counts = [page_counts(t, p) for t, p in zip(truths, preds, strict=True)]
    out: dict[str, Any] = aggregate(counts)
    out["accuracy"] = statistics.fmean(tokens(t) == tokens(p) for t, p in zip(truths, preds, strict=True))
    rng = random.Random(0)
    f1s = [aggregate([counts[rng.randrange(len(counts))] for _ in counts])["f1"] for _ in range(n_bootstrap)]
    out["f1_sd"] = statistics.stdev(f1s) if len(f1s) > 1 else 0.0
    out["per_page"] = counts
    return out


# -- the benchmark --------------------------------------------------------------------------------


def ours(page: DevPage) -> str:
    entry = FeedEntry(feed_url="", entry_id=page.url, link=page.url, title="", summary="", published=None)
    return extract_article(Page(entry, page.url, page.html), "benchmark").text


def baseline(page: DevPage) -> str:
    return trafilatura.extract(page.html) or ""


def run(opts: Options, report: Report) -> None:
    folder = opts.data / "extraction"
    if not (folder / "ground-truth.json").is_file():
        report.skip(NAME, "extraction", f"{folder}/ground-truth.json not found")
        return
    pages = load_pages(folder, opts.limit)
    if not pages:
        report.skip(NAME, "extraction", "no page has both HTML and ground truth")
        return
    truths = [p.truth for p in pages]
    with report.timed("extraction.ours"):
        mine = score(truths, [ours(p) for p in pages])
    with report.timed("extraction.baseline"):
        base = score(truths, [baseline(p) for p in pages])
    n, where = len(pages), "extraction dev"
    version = f"(trafilatura {trafilatura.__version__})"
    for key, label, target in (
        ("f1", "extraction F1", at_least(0.97, ahead=True)),
        ("precision", "extraction precision", None),
        ("recall", "extraction recall", None),
        ("accuracy", "extraction accuracy (exact)", None),
    ):
        report.add(Figure(f"extraction.{key}", label, mine[key], base[key], version, "", where, n, target))
    report.note(
        NAME, f"F1 bootstrap sd: ours ±{mine['f1_sd']:.3f}, baseline ±{base['f1_sd']:.3f} (1000 resamples)"
    )

    checks: dict[str, Any] = {}
    for name in ("trafilatura", "html-text"):
        ref = folder / f"reference-output-{name}.json"
        if ref.is_file():
            stored = json.loads(ref.read_text(encoding="utf-8"))
            outputs = stored.get("output", {})
            got = score(truths, [outputs.get(p.id, {}).get("articleBody", "") for p in pages], n_bootstrap=0)
            checks[name] = {k: round(got[k], 4) for k in ("f1", "precision", "recall", "accuracy")}
            checks[name]["version"] = stored.get("version")
            report.note(
                NAME,
                f"scorer check: stored {name} {stored.get('version')} output scores F1 {got['f1']:.3f} "
                f"(P {got['precision']:.3f}, R {got['recall']:.3f}, accuracy {got['accuracy']:.3f}) "
                f"on these {n} pages",
            )

    worst = sorted(
        (
            (
                p.id,
                p.url,
                page_precision(*mine["per_page"][i]),
                page_recall(*mine["per_page"][i]),
                page_precision(*base["per_page"][i]),
                page_recall(*base["per_page"][i]),
            )
            for i, p in enumerate(pages)
        ),
        key=lambda r: _f1(r[2], r[3]),
    )
    for pid, url, p, r, bp, br in worst[:5]:
        report.note(
            NAME, f"weak page {pid[:12]} P {_num(p)} R {_num(r)} (baseline P {_num(bp)} R {_num(br)}) {url}"
        )
    report.details[NAME] = {
        "reference_checks": checks,
        "f1_sd": {"ours": mine["f1_sd"], "baseline": base["f1_sd"]},
        "pages": [
            {
                "id": pid,
                "url": url,
                "precision": p,
                "recall": r,
                "baseline_precision": bp,
                "baseline_recall": br,
            }
            for pid, url, p, r, bp, br in worst
        ],
    }


def _f1(p: float | None, r: float | None) -> float:
    p, r = p or 0.0, r or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"
