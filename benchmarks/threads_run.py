"""Story threads measured through whole runs: ECB+ served as a newsroom, read by `run_brief`.

The documents of data/clustering/ecbplus.jsonl are article pages with the chrome of real
sites, in 7 RSS feeds of a loopback server, released over 4 windows of 3 brief slots each (the
dates, slots, feeds and chrome are made by `newsroom.py`; its docstring states the rules).
A sources.yaml admits the server and configures, as threads, every definition under
data/threads/*.json (`{"threads": [{"id", "title", "description", "entities", "keywords",
"subtopic", "sibling"}]}`). Each slot is one `run_brief` with the slot as its clock, sending
nothing, in one state folder.

Scores come from what the runs kept: the state database (through `Store`) and the briefs
written (output/**/brief.json). Every stored article is mapped back to its document by the
path of its URL and of every copy dedupe merged into it (`found_at`).

- configured threads: per thread, precision and recall of its members against the documents
  of its `subtopic`, and the share of its `sibling`'s documents it took in; the means over
  the threads whose story is in the set (an empty thread has precision 0);
- the run's story BCubed P/R/F1 over every document given: a document is in the cluster of
  the thread its article was filed in (a configured thread first, in definition order, then
  an emergent one); an article in none is its own cluster, as is a document no article holds;
- shown purity: per thread shown in a brief (in the email or moved to the archive page), the
  share of its sources from its majority story; the mean over every appearance. Beside it,
  without a target, the same over each thread's sources pooled across the briefs it was in
  (what its thread page shows): a thread can be pure in each brief and hold two events.

`--limit N` keeps N documents taken in turn from each story, the configured threads' stories
and their siblings first, so a quick run still has threads to score.
"""

from __future__ import annotations

import functools
import json
import statistics
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.config import load_config
from pipeline.models import Brief
from pipeline.publish.serialize import brief_from_json
from pipeline.run import RunOptions, run_brief
from pipeline.store import Store

from . import loopback, newsroom
from .core import Figure, Options, Report, at_least, at_most
from .threads import bcubed

NAME = "threads_run"
SEED = 20261124
WINDOWS = 4
HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml"
SET = "ecbplus via runs"


@dataclass(frozen=True)
class ThreadDef:
    id: str
    title: str
    description: str
    entities: tuple[str, ...]
    keywords: tuple[str, ...]
    subtopic: str
    sibling: str


@dataclass(frozen=True)
class ThreadScore:
    id: str
    precision: float
    recall: float
    sibling_intake: float
    members: int
    of_story: int
    of_sibling: int


# -- scores (pure) --------------------------------------------------------------------------------


def thread_score(spec: ThreadDef, members: set[str], story_of: Mapping[str, str]) -> ThreadScore:
    """Precision and recall of `members` (document ids) against the documents of the thread's
    story in `story_of`, and the share of its sibling's documents among them."""
    story = {d for d, s in story_of.items() if s == spec.subtopic}
    sibling = {d for d, s in story_of.items() if s == spec.sibling}
    hit, took = len(members & story), len(members & sibling)
    return ThreadScore(
        spec.id,
        hit / len(members) if members else 0.0,
        hit / len(story) if story else 0.0,
        took / len(sibling) if sibling else 0.0,
        len(members),
        hit,
        took,
    )


def run_clusters(
    docs: Sequence[str],
    article_of: Mapping[str, str],
    configured: Mapping[str, Sequence[str]],
    emergent: Mapping[str, Sequence[str]],
) -> list[str]:
    """A cluster label per document: its article's configured thread (the first in the
    mapping's order), else its emergent thread, else the article alone; a document no article
    holds is alone."""
    thread_of: dict[str, str] = {}
    for kind, threads in (("configured", configured), ("emergent", emergent)):
        for tid, ids in threads.items():
            for aid in ids:
                thread_of.setdefault(aid, f"{kind}:{tid}")
    labels = []
    for d in docs:
        held = article_of.get(d)
        labels.append(f"lost:{d}" if held is None else thread_of.get(held, f"alone:{held}"))
    return labels


def purity(labels: Sequence[str]) -> float:
    """The share of the most common label."""
    if not labels:
        raise ValueError("purity of no labels")
    return Counter(labels).most_common(1)[0][1] / len(labels)


# -- input ----------------------------------------------------------------------------------------


def load_threads(folder: Path) -> tuple[list[ThreadDef], list[str]]:
    """Every definition in folder/*.json (sorted by name); the notes on what was left out."""
    out: list[ThreadDef] = []
    notes: list[str] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        items = raw.get("threads") if isinstance(raw, dict) else None
        if not isinstance(items, list):
            notes.append(f"{path.name}: no list under 'threads', left out")
            continue
        for t in items:
            if t["id"] in seen:
                notes.append(f"{path.name}: thread {t['id']} defined twice, the first kept")
                continue
            seen.add(t["id"])
            out.append(
                ThreadDef(
                    t["id"],
                    t["title"],
                    t.get("description", ""),
                    tuple(t.get("entities", ())),
                    tuple(t.get("keywords", ())),
                    t["subtopic"],
                    t["sibling"],
                )
            )
    return out, notes


def pick_docs(
    docs: list[newsroom.Doc], threads: Sequence[ThreadDef], limit: int | None
) -> list[newsroom.Doc]:
    """All documents, or `limit` of them taken in turn from each story (the threads' stories
    and siblings first), in file order."""
    if limit is None or limit >= len(docs):
        return docs
    by_story: dict[str, list[newsroom.Doc]] = defaultdict(list)
    for d in docs:
        by_story[d.story].append(d)
    order = list(dict.fromkeys([s for t in threads for s in (t.subtopic, t.sibling) if s in by_story]))
    order += [s for s in by_story if s not in order]
    chosen: set[str] = set()
    depth = 0
    while len(chosen) < limit:
        for s in order:
            if depth < len(by_story[s]) and len(chosen) < limit:
                chosen.add(by_story[s][depth].id)
        depth += 1
    return [d for d in docs if d.id in chosen]


def write_config(folder: Path, server: loopback.Server, threads: Sequence[ThreadDef]) -> Path:
    """sources.yaml: the newsroom's feeds, the server allowed, the threads configured."""
    q = json.dumps  # a JSON string or list is a YAML flow scalar or sequence
    lines = [
        "brief:",
        '  title: "Thread Benchmark Brief"',
        "  output: output",
        "  state: state",
        "network:",
        f"  allow: [{q(server.host_port)}]",
        "feeds:",
    ]
    for n, (_, name) in enumerate(newsroom.FEEDS):
        lines += [f"  - url: {server.base}/feeds/{n}.xml", f"    name: {q(name)}"]
    lines.append("threads:" if threads else "threads: []")
    for t in threads:
        lines += [
            f"  - id: {q(t.id)}",
            f"    title: {q(t.title)}",
            f"    description: {q(t.description)}",
            f"    entities: {q(list(t.entities))}",
            f"    keywords: {q(list(t.keywords))}",
        ]
    config = folder / "sources.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


# -- the runs -------------------------------------------------------------------------------------


class Newsroom:
    """What the server shows: every page, and each feed as of the current slot."""

    def __init__(self, placed: Sequence[newsroom.Placed], seed: int) -> None:
        self.placed = placed
        self.pages = {p.path: newsroom.page(p, placed, seed) for p in placed}
        self.now: datetime | None = None
        self.base = ""
        self._feeds: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def release(self, slot: datetime) -> int:
        """Show in the feeds every entry published up to `slot`; how many that is."""
        shown = 0
        feeds: dict[str, bytes] = {}
        for n, (_, name) in enumerate(newsroom.FEEDS):
            items = sorted(
                (
                    loopback.Item(p.path, p.doc.title, p.published)
                    for p in self.placed
                    if p.feed == n and p.published <= slot
                ),
                key=lambda it: it.published,
                reverse=True,
            )
            shown += len(items)
            feeds[f"/feeds/{n}.xml"] = loopback.rss(name, items, self.base)
        with self._lock:
            self._feeds = feeds
        return shown

    def resolve(self, path: str) -> tuple[bytes, str] | None:
        with self._lock:
            feed = self._feeds.get(path)
        if feed is not None:
            return feed, RSS
        body = self.pages.get(path)
        return (body, HTML) if body is not None else None


@dataclass(frozen=True)
class Skipped:
    """Why a whole run could not be made: the set named in the table, and the reason."""

    what: str
    reason: str


@dataclass(frozen=True)
class WholeRun:
    """What the slots of a whole run over the ECB+ newsroom kept: the documents as placed,
    the threads configured, the stored articles and memberships, every brief written (its
    brief.json read back), each slot's figures, and notes on the thread definitions."""

    placed: tuple[newsroom.Placed, ...]
    threads: tuple[ThreadDef, ...]
    articles: tuple[Any, ...]
    configured: Mapping[str, Sequence[str]]
    emergent: Mapping[str, Sequence[str]]
    briefs: tuple[Brief, ...]
    per_slot: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def whole_run(data: Path, limit: int | None) -> WholeRun | Skipped:
    """The whole run over data/clustering/ecbplus.jsonl with data/threads/*.json configured
    (the module docstring), made once per data folder and limit: `brief_quality` reads the
    briefs of the same run."""
    source = data / "clustering" / "ecbplus.jsonl"
    folder = data / "threads"
    if not source.is_file():
        return Skipped("threads_run (needs clustering/ecbplus.jsonl)", f"{source} not found")
    threads, notes = load_threads(folder) if folder.is_dir() else ([], [])
    if not threads:
        return Skipped("threads_run (needs threads/*.json)", f"no thread definition in {folder}/*.json")
    raw = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = pick_docs([newsroom.to_doc(r) for r in raw], threads, limit)
    placed = newsroom.place(docs, WINDOWS, SEED)
    windows = newsroom.slots(WINDOWS, SEED)
    site = Newsroom(placed, SEED)
    per_slot: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-threads-run-") as tmp,
        loopback.serve(site.resolve) as server,
    ):
        site.base = server.base
        config = load_config(write_config(Path(tmp), server, threads))
        for slot in (s for w in windows for s in w):
            listed = site.release(slot)
            result = run_brief(config, slot=slot, clock=_clock(slot), options=RunOptions(send=False))
            st = result.stats
            per_slot.append(
                {
                    "slot": slot.isoformat(),
                    "listed": listed,
                    "entries_new": st.entries_new,
                    "articles_new": st.articles_new,
                    "pages_failed": st.pages_failed,
                    "duplicates": st.duplicates,
                    "threads_shown": list(result.threads),
                }
            )
        store = Store(config.state_dir)
        try:
            articles = store.all_articles()
            configured = store.thread_members("configured")
            emergent = store.thread_members("emergent")
        finally:
            store.close()
        briefs = [
            brief_from_json(p.read_text(encoding="utf-8"))
            for p in sorted(config.output_dir.rglob("brief.json"))
        ]
    return WholeRun(
        tuple(placed),
        tuple(threads),
        tuple(articles),
        configured,
        emergent,
        tuple(briefs),
        tuple(per_slot),
        tuple(notes),
    )


def run(opts: Options, report: Report) -> None:
    got = whole_run(opts.data, opts.limit)
    if isinstance(got, Skipped):
        report.skip(NAME, got.what, got.reason)
        return
    for text in got.notes:
        report.note(NAME, text)
    for s in got.per_slot:
        report.note(
            NAME,
            f"slot {datetime.fromisoformat(s['slot']):%Y-%m-%d %H:%M}: {s['entries_new']} new entries, "
            f"{s['articles_new']} articles, {s['pages_failed']} pages failed, {s['duplicates']} duplicates; "
            f"shown: {', '.join(s['threads_shown']) or 'nothing'}",
        )
    score(
        report,
        got.placed,
        got.threads,
        got.articles,
        got.configured,
        got.emergent,
        got.briefs,
        [dict(s) for s in got.per_slot],
    )


def score(
    report: Report,
    placed: Sequence[newsroom.Placed],
    threads: Sequence[ThreadDef],
    articles: Sequence[Any],
    configured: Mapping[str, Sequence[str]],
    emergent: Mapping[str, Sequence[str]],
    briefs: Sequence[Any],
    per_slot: list[dict[str, Any]],
) -> None:
    doc_at = {p.path: p.doc.id for p in placed}
    story_of = {p.doc.id: p.doc.story for p in placed}
    title_of = {p.doc.id: p.doc.title for p in placed}
    text_of = {p.doc.id: p.doc.text for p in placed}

    def docs_of_urls(urls: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(d for u in urls if (d := doc_at.get(urlsplit(u).path)) is not None))

    article_of: dict[str, str] = {}  # document id → the stored article holding it
    docs_of: dict[str, list[str]] = {}  # article id → its documents
    for a in articles:
        mine = docs_of_urls([a.url, a.canonical_url, *(u for _, u in a.found_at)])
        docs_of[a.id] = mine
        for d in mine:
            article_of.setdefault(d, a.id)

    # configured threads, in definition order
    ordered = {t.id: configured.get(t.id, []) for t in threads}
    scored: list[ThreadScore] = []
    for t in threads:
        members = {d for aid in ordered[t.id] for d in docs_of.get(aid, [])}
        s = thread_score(t, members, story_of)
        if t.subtopic not in story_of.values():
            report.note(NAME, f"thread {t.id}: no document of its story {t.subtopic} in the set, not scored")
            continue
        scored.append(s)
        others = Counter(story_of[d] for d in members if story_of[d] not in (t.subtopic, t.sibling))
        report.note(
            NAME,
            f"thread {t.id} ({t.subtopic}, sibling {t.sibling}): P {s.precision:.3f} R {s.recall:.3f} "
            f"sibling intake {s.sibling_intake:.3f}; {s.members} members: {s.of_story} of its story, "
            f"{s.of_sibling} of its sibling, {s.members - s.of_story - s.of_sibling} other"
            + (f" ({', '.join(f'{k} {v}' for k, v in others.most_common(4))})" if others else ""),
        )

    docs = [p.doc.id for p in placed]
    labels = run_clusters(docs, article_of, ordered, emergent)
    story = bcubed(labels, [story_of[d] for d in docs])

    shown: list[dict[str, Any]] = []
    for b in briefs:
        for dg in (*b.digests, *b.overflow_digests):
            mine = docs_of_urls(u for s in dg.sources for u in (s.url, *(c for _, c in s.copies)))
            if mine:
                stories = [story_of[d] for d in mine]
                shown.append(
                    {
                        "brief": b.id,
                        "thread": dg.thread_id,
                        "purity": purity(stories),
                        "stories": dict(Counter(stories).most_common()),
                    }
                )
    pooled: dict[str, list[str]] = defaultdict(list)  # a thread's sources over every brief it was in
    for seen in shown:
        pooled[seen["thread"]] += [k for k, v in seen["stories"].items() for _ in range(v)]
    for seen in shown:
        if seen["purity"] < 1.0:
            mix = ", ".join(f"{k} {v}" for k, v in seen["stories"].items())
            report.note(
                NAME, f"shown mixed: {seen['brief']} {seen['thread']} purity {seen['purity']:.2f} ({mix})"
            )

    counts = _chrome_and_losses(report, placed, articles, docs_of, article_of, title_of, text_of)

    n_docs, n_threads = len(docs), len(scored)
    rows = [
        (
            "threads.configured.precision",
            "configured threads: mean precision",
            _mean(s.precision for s in scored),
            at_least(0.90),
            n_threads,
        ),
        (
            "threads.configured.recall",
            "configured threads: mean recall",
            _mean(s.recall for s in scored),
            at_least(0.90),
            n_threads,
        ),
        (
            "threads.configured.sibling_intake",
            "configured threads: mean share of the sibling taken in",
            _mean(s.sibling_intake for s in scored),
            at_most(0.10),
            n_threads,
        ),
        (
            "threads.run.story_f1",
            "threads through runs: story BCubed F1",
            story["f1"],
            at_least(0.90),
            n_docs,
        ),
        (
            "threads.run.story_precision",
            "threads through runs: story BCubed P",
            story["precision"],
            None,
            n_docs,
        ),
        ("threads.run.story_recall", "threads through runs: story BCubed R", story["recall"], None, n_docs),
        (
            "threads.run.shown_purity",
            "threads shown in briefs: mean purity",
            _mean(s["purity"] for s in shown),
            at_least(0.90),
            len(shown),
        ),
        (
            "threads.run.shown_purity_pooled",
            "threads shown in briefs: mean purity over all its briefs",
            _mean(purity(v) for v in pooled.values()),
            None,
            len(pooled),
        ),
    ]
    for key, label, value, target, n in rows:
        report.add(Figure(key, label, value, None, "", "", SET, n, target))
    report.details[NAME] = {
        "seed": SEED,
        "windows": WINDOWS,
        "slots": per_slot,
        "threads": [s.__dict__ for s in scored],
        "story": story,
        "clusters": len(set(labels)),
        "counts": counts,
        "shown": shown,
        "shown_pooled": {t: dict(Counter(v).most_common()) for t, v in pooled.items()},
    }


def _chrome_and_losses(
    report: Report,
    placed: Sequence[newsroom.Placed],
    articles: Sequence[Any],
    docs_of: Mapping[str, list[str]],
    article_of: Mapping[str, str],
    title_of: Mapping[str, str],
    text_of: Mapping[str, str],
) -> dict[str, int]:
    """Notes on what extraction let through and what the runs lost or merged; the counts."""
    lost = [p.doc.id for p in placed if p.doc.id not in article_of]
    merged = {aid: ds for aid, ds in docs_of.items() if len(ds) > 1}
    not_extracted = [a for a in articles if not a.extracted]
    report.note(
        NAME,
        f"{len(placed)} documents → {len(articles)} articles stored; {len(lost)} documents in no article"
        + (f" (e.g. {', '.join(lost[:5])})" if lost else "")
        + f"; {len(merged)} articles hold more than one document"
        + (f" (e.g. {'; '.join('+'.join(ds) for ds in list(merged.values())[:3])})" if merged else "")
        + f"; {len(not_extracted)} kept the feed's summary (extraction failed)",
    )
    chrome: Counter[str] = Counter()
    examples: dict[str, str] = {}
    headlines = 0
    for a in articles:
        own = set(docs_of.get(a.id, []))
        source = " ".join(f"{title_of[d]} {text_of[d]}" for d in own).lower()
        for marker in newsroom.CHROME_MARKERS:
            if (
                marker.lower() in a.text.lower() and marker.lower() not in source
            ):  # the page's, not the text's
                chrome[marker] += 1
                line = next((ln for ln in a.text.splitlines() if marker.lower() in ln.lower()), "")
                examples.setdefault(marker, line[:120])
        own_text = " ".join(title_of[d] for d in own)
        if any(
            t in a.text and t not in own_text for d, t in title_of.items() if d not in own and len(t) > 30
        ):
            headlines += 1
    found = ", ".join(f"{m!r} in {c}" for m, c in chrome.most_common()) or "none"
    report.note(NAME, f"chrome in stored texts: {found}; another document's headline in {headlines}")
    for marker, line in examples.items():
        report.note(NAME, f"  e.g. {marker!r}: {line!r}")
    return {
        "documents": len(placed),
        "articles": len(articles),
        "documents_lost": len(lost),
        "articles_merged": len(merged),
        "not_extracted": len(not_extracted),
        "with_another_headline": headlines,
        **{f"chrome: {m}": c for m, c in chrome.items()},
    }


def _clock(now: datetime) -> Callable[[], datetime]:
    return lambda: now


def _mean(values: Iterable[float]) -> float | None:
    got = list(values)
    return statistics.fmean(got) if got else None
