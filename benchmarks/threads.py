"""Story threads on every *.jsonl under data/clustering/ (ECB+ dev half, WikiRef220).

Ours: `pipeline.understand.threads.assign_threads` with no configured threads, so every group comes from
its emergent (average-linkage) clustering. Three ways to feed it:

- one batch: every document at once;
- streamed as run.py does: batches of 25 documents in file order, each run given as context
  the earlier documents in no thread (`unthreaded`) and those of each emergent thread
  (`stories`), so a story that goes on keeps its thread;
- streamed, all earlier as context: the same batches, with every earlier document as context.

A document takes the first thread id it is given: as a new member of a returned thread, or as
the earliest member a thread is named after ("story-<id>"). Documents in no thread are
singletons. The sets have no dates, so documents get made-up publish times in file order (one
minute apart): the earliest member, which names a thread, is then the first one seen, as it
would be with real dates.

Baseline: TF-IDF (fitted on the whole set) with single-pass clustering: each document joins the
most similar cluster centroid if the cosine is at least 0.3, else starts a new cluster.

Also a sweep of `ThreadTuning.emergent_distance` (story F1 per value, one batch and streamed as
run.py), to show where the stage's threshold stands.

Scores: BCubed precision/recall/F1 at story level (`subtopic` for ECB+, `cluster` for
WikiRef) and topic level (`topic`, where the set has it), V-measure (= NMI, arithmetic mean)
and ARI from scikit-learn.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, v_measure_score

from pipeline.ingest.urls import article_id, canonical_url
from pipeline.models import Article
from pipeline.understand.threads import ThreadTuning, assign_threads

from .core import Figure, Options, Report, ahead_of_baseline, at_least, capped

NAME = "threads"
BATCH = 25
BASELINE_THRESHOLD = 0.3
SWEEP = (0.8, 0.85, 0.9, 0.92, 0.94, 0.96, 0.98)
MODES = {
    "one batch": "one batch",
    "runpy": f"streamed {BATCH}/run, context as run.py",
    "all": f"streamed {BATCH}/run, all earlier as context",
}
_T0 = datetime(2026, 1, 1, tzinfo=UTC)


def load_docs(path: Path, limit: int | None) -> list[dict[str, Any]]:
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return capped(docs, limit)


def to_article(doc: dict[str, Any], set_name: str, index: int) -> Article:
    """The document as extract_article would leave it: the title not repeated as the first line."""
    url = f"https://{set_name}.benchmark.invalid/{doc['id']}"
    canonical = canonical_url(url)
    title = " ".join(str(doc.get("title") or "").split())
    text = str(doc.get("text") or "").replace("\r\n", "\n")
    first, _, rest = text.partition("\n")
    if title and " ".join(first.split()) == title and rest.strip():
        text = rest
    return Article(
        id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source=set_name,
        title=title,
        text=text,
        published=_T0 + timedelta(minutes=index),
        found_at=((set_name, url),),
    )


# -- ours -----------------------------------------------------------------------------------------


def cluster_ours(articles: Sequence[Article], mode: str, tuning: ThreadTuning | None = None) -> list[str]:
    """A label per article, in order."""
    tuning = tuning or ThreadTuning()
    label: dict[str, str] = {}

    def take(threads: Sequence[Any], known: set[str]) -> None:
        for t in threads:
            for aid in (*t.article_ids, *t.joined):
                label.setdefault(aid, t.id)
            earliest = t.id.removeprefix("story-")
            if earliest in known:
                label.setdefault(earliest, t.id)

    ids = {a.id for a in articles}
    if mode == "one batch":
        take(assign_threads(articles, (), {}, (), tuning=tuning), ids)
        return [label.get(a.id, f"single-{a.id}") for a in articles]
    filed: dict[str, str] = {}  # article id → the thread it was filed under, as run.py's store records
    for start in range(0, len(articles), BATCH):
        batch, earlier = articles[start : start + BATCH], articles[:start]
        if mode == "runpy":
            # run.py gives as context the recent articles in no thread, and those of each story
            context = [a for a in earlier if a.id not in filed]
            stories: dict[str, list[Article]] = {}
            for a in earlier:
                if a.id in filed:
                    stories.setdefault(filed[a.id], []).append(a)
            threads = assign_threads(batch, (), {}, context, stories, tuning=tuning)
        else:
            threads = assign_threads(batch, (), {}, list(earlier), tuning=tuning)
        take(threads, ids)
        filed |= {aid: t.id for t in threads for aid in (*t.article_ids, *t.joined)}
    return [label.get(a.id, f"single-{a.id}") for a in articles]


# -- baseline -------------------------------------------------------------------------------------


def cluster_baseline(articles: Sequence[Article], threshold: float = BASELINE_THRESHOLD) -> list[int]:
    texts = [f"{a.title}. {a.text}" for a in articles]
    matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
    sums: list[np.ndarray] = []
    labels: list[int] = []
    for i in range(matrix.shape[0]):
        vec = matrix[i].toarray().ravel()
        best, best_sim = -1, -1.0
        if sums:
            centroids = np.vstack(sums)
            norms = np.linalg.norm(centroids, axis=1)
            sims = centroids @ vec / np.where(norms > 0, norms, 1.0)
            best = int(np.argmax(sims))
            best_sim = float(sims[best])
        if best >= 0 and best_sim >= threshold:
            sums[best] = sums[best] + vec
            labels.append(best)
        else:
            sums.append(vec.copy())
            labels.append(len(sums) - 1)
    return labels


# -- scores ---------------------------------------------------------------------------------------


def bcubed(pred: Sequence[Any], gold: Sequence[Any]) -> dict[str, float]:
    pair = Counter(zip(pred, gold, strict=True))
    size_pred, size_gold = Counter(pred), Counter(gold)
    n = len(pred)
    precision = sum(pair[(p, g)] / size_pred[p] for p, g in zip(pred, gold, strict=True)) / n
    recall = sum(pair[(p, g)] / size_gold[g] for p, g in zip(pred, gold, strict=True)) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def scores(pred: Sequence[Any], story: Sequence[Any], topic: Sequence[Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "story": bcubed(pred, story),
        "v_measure": float(v_measure_score(story, pred)),
        "ari": float(adjusted_rand_score(story, pred)),
        "clusters": len(set(pred)),
        "singletons": sum(1 for c in Counter(pred).values() if c == 1),
    }
    if topic is not None:
        out["topic"] = bcubed(pred, topic)
    return out


def _line(s: dict[str, Any]) -> str:
    st = s["story"]
    text = f"story P/R/F1 {st['precision']:.3f}/{st['recall']:.3f}/{st['f1']:.3f}"
    if "topic" in s:
        text += f", topic F1 {s['topic']['f1']:.3f}"
    return (
        text
        + f", V {s['v_measure']:.3f}, ARI {s['ari']:.3f}, "
        + f"{s['clusters']} clusters ({s['singletons']} singletons)"
    )


# -- the benchmark --------------------------------------------------------------------------------


def run(opts: Options, report: Report) -> None:
    folder = opts.data / "clustering"
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not files:
        report.skip(NAME, "clustering", f"no *.jsonl in {folder}")
        return
    details: dict[str, Any] = {}
    for path in files:
        set_name = path.stem
        docs = load_docs(path, opts.limit)
        if len(docs) < 2:
            report.skip(NAME, f"clustering/{path.name}", "fewer than 2 documents")
            continue
        # the finest label the set has: a story ("subtopic"), or only a topic ("cluster"), where
        # the story-level target (0.90) cannot apply and only being ahead of the baseline does
        story_key = "subtopic" if "subtopic" in docs[0] else "cluster"
        level = "story" if story_key == "subtopic" else "topic"
        target = at_least(0.90, ahead=True) if level == "story" else ahead_of_baseline()
        story = [str(d.get(story_key)) for d in docs]
        topic = [str(d.get("topic")) for d in docs] if "topic" in docs[0] else None
        articles = [to_article(d, set_name, i) for i, d in enumerate(docs)]
        n = len(articles)

        with report.timed(f"threads.{set_name}.baseline"):
            base = scores(cluster_baseline(articles), story, topic)
        report.note(NAME, f"{set_name} baseline single-pass t={BASELINE_THRESHOLD}: {_line(base)}")
        results: dict[str, Any] = {}
        for mode, label in MODES.items():
            with report.timed(f"threads.{set_name}.{mode}"):
                results[mode] = scores(cluster_ours(articles, mode), story, topic)
            report.note(NAME, f"{set_name} [{label}]: {_line(results[mode])}")
            report.add(
                Figure(
                    f"threads.{set_name}.{mode}.story_f1",
                    f"threads {set_name}: {level} BCubed F1, {label}",
                    results[mode]["story"]["f1"],
                    base["story"]["f1"],
                    f"(single-pass t={BASELINE_THRESHOLD})",
                    "",
                    set_name,
                    n,
                    target,
                )
            )
        head = results["runpy"]
        label = MODES["runpy"]
        if topic is not None:
            report.add(
                Figure(
                    f"threads.{set_name}.runpy.topic_f1",
                    f"threads {set_name}: topic BCubed F1, {label}",
                    head["topic"]["f1"],
                    base["topic"]["f1"],
                    f"(single-pass t={BASELINE_THRESHOLD})",
                    "",
                    set_name,
                    n,
                )
            )
        for key, name in (("v_measure", f"{level} V-measure"), ("ari", f"{level} ARI")):
            report.add(
                Figure(
                    f"threads.{set_name}.runpy.{key}",
                    f"threads {set_name}: {name}, {label}",
                    head[key],
                    base[key],
                    f"(single-pass t={BASELINE_THRESHOLD})",
                    "",
                    set_name,
                    n,
                )
            )

        sweep: dict[str, dict[str, float]] = {}
        with report.timed(f"threads.{set_name}.sweep"):
            for mode in ("one batch", "runpy"):
                sweep[mode] = {}
                for distance in SWEEP:
                    tuning = ThreadTuning(emergent_distance=distance)
                    sweep[mode][str(distance)] = scores(cluster_ours(articles, mode, tuning), story, topic)[
                        "story"
                    ]["f1"]
                best = max(sweep[mode], key=lambda d: sweep[mode][d])
                shown = ", ".join(f"{d}: {f:.3f}" for d, f in sweep[mode].items())
                report.note(
                    NAME, f"{set_name} [{MODES[mode]}] story F1 by emergent_distance: {shown}; best {best}"
                )
        details[set_name] = {
            "n": n,
            "story_label": story_key,
            "baseline": base,
            "ours": results,
            "sweep_story_f1": sweep,
        }
    report.details[NAME] = details
