"""Archive: one run's publishing step as the archive grows (synthetic, needs no data folder).

At 10, 730 (a year at two a day) and 3,650 briefs kept, one more brief is published through
`compose.write_brief` (its email, its folder and the pages it changes) and timed, with the
bytes it wrote and the size of the index. The baseline, measured in the same run, is what each
run did before: every brief parsed again and every page of the archive written
(`render_site` here; without the email and folder that both do).

The briefs are made up but shaped like real ones (three to five threads, sources, figures,
dated events, now and then a disagreement) and kept through the store's own methods: a story
goes on for a few consecutive briefs under the same thread id, then ends.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.config import Config, load_config
from pipeline.models import (
    ArchivedBrief,
    Brief,
    Claim,
    Disagreement,
    KeyFigure,
    RunStats,
    Sentence,
    SourceRef,
    ThreadDigest,
    TimelineEvent,
)
from pipeline.operate.schedule import made_line
from pipeline.publish import archive, compose, render, site
from pipeline.publish.serialize import brief_from_json, brief_to_json
from pipeline.store import Store

from .core import Figure, Options, Report, ratio_at_most

SIZES = (10, 730, 3650)
QUICK = (10, 20, 40)  # under --limit: the same figures, on small archives
# runs timed at each size, after one to warm up, each adding a brief; the fastest is reported, as
# the least disturbed by the machine (a run is ~25 ms, mostly fsyncs, and one run's noise is ±30%)
RUNS = 9
START = datetime(2021, 1, 1, 15, tzinfo=UTC)
WORDS = (
    "council harbour bridge model chip funding court ruling merger launch lab research open weights "
    "regulator fine market shares quarter revenue grid storage battery satellite vaccine trial strike "
    "union contract election coalition budget tariff export drought harvest port airline route"
).split()
OUTLETS = ("Harbor Gazette", "Coast News", "Signal Ledger", "Circuit Daily", "The Compute Desk", "Bay Wire")
CONFIG = """\
brief:
  title: "Archive Bench"
  output: output
  state: state
delivery:
  to: ["reader@example.com"]
  from: "dailybrief <brief@example.com>"
feeds:
  - url: https://news.example/feed.xml
    name: Example News
"""


def run(opts: Options, report: Report) -> None:
    sizes = QUICK if opts.limit else SIZES
    measured: dict[int, dict[str, float]] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-archive-") as tmp:
            measured[size] = _measure(Path(tmp), size)
        m = measured[size]
        report.echo(
            f"  {size} briefs: run {m['run_seconds']:.3f} s, {m['bytes_written'] / 1e3:.0f} KB written, "
            f"index {m['index_bytes'] / 1e3:.0f} KB; full rewrite {m['full_seconds']:.2f} s, "
            f"{m['full_bytes'] / 1e6:.1f} MB, one-page index {m['full_index_bytes'] / 1e3:.0f} KB"
        )
    report.details["archive"] = {str(k): v for k, v in measured.items()}
    for size in sizes:
        m = measured[size]
        report.add(
            Figure(
                f"archive.run_seconds_{size}",
                f"publishing one brief, {size} briefs kept",
                m["run_seconds"],
                m["full_seconds"],
                "(full rewrite)",
                "s",
                "synthetic archive",
                size,
            )
        )
        report.add(
            Figure(
                f"archive.bytes_written_{size}",
                f"bytes written publishing one brief, {size} briefs kept",
                m["bytes_written"],
                m["full_bytes"],
                "(full rewrite)",
                "bytes",
                "synthetic archive",
                size,
            )
        )
    small, large = measured[sizes[0]], measured[sizes[-1]]
    report.add(
        Figure(
            f"archive.ratio_{sizes[-1]}_vs_{sizes[0]}",
            f"publishing time at {sizes[-1]} briefs kept vs {sizes[0]}",
            large["run_seconds"],
            small["run_seconds"],
            f"({sizes[0]} briefs)",
            "s",
            "synthetic archive",
            sizes[-1],
            ratio_at_most(1.2),
        )
    )
    report.add(
        Figure(
            f"archive.index_bytes_{sizes[-1]}",
            f"index page, {sizes[-1]} briefs kept",
            large["index_bytes"],
            large["full_index_bytes"],
            "(every brief on one page)",
            "bytes",
            "synthetic archive",
            sizes[-1],
        )
    )


def _measure(root: Path, size: int) -> dict[str, float]:
    (root / "sources.yaml").write_text(CONFIG, encoding="utf-8")
    config = load_config(root / "sources.yaml")
    rng = random.Random(size)
    briefs = _briefs(rng, size + 1 + RUNS)
    store = Store(config.state_dir)
    try:
        _keep(store, config, briefs[:size])
        run_id = store.start_run("bench", briefs[size].generated_at)
        # templates compiled, folders made: what every run but a process's first finds done
        compose.write_brief(briefs[size], config, store, now=briefs[size].generated_at, run_id=run_id)
        timings, written = [], []
        for brief in briefs[size + 1 :]:
            started = time.perf_counter()
            published = compose.write_brief(brief, config, store, now=brief.generated_at, run_id=run_id)
            timings.append(time.perf_counter() - started)
            written.append(sum(published.written.values()))
        index_bytes = (config.output_dir / "index.html").stat().st_size
        started = time.perf_counter()
        full = _full_rewrite(store, config)
        full_seconds = time.perf_counter() - started
    finally:
        store.close()
    return {
        "run_seconds": min(timings),
        "bytes_written": statistics.median(written),
        "index_bytes": index_bytes,
        "full_seconds": full_seconds,
        "full_bytes": sum(full.values()),
        "full_index_bytes": full["one-page index.html"],
    }


def render_site(
    briefs: Sequence[tuple[ArchivedBrief, Brief]], title: str, templates: Path | None = None
) -> dict[str, bytes]:
    """Every page of the archive made again from every brief kept (oldest first), as each run
    did before publishing was incremental (the baseline); keyed by path in the
    output folder: each brief's page (with previous/next links), one page per thread, one
    page per month, the index, the Atom feed, the search index and the stylesheet."""
    items = [site.listed(entry, brief) for entry, brief in reversed(briefs)]  # newest first
    by_month: dict[str, list[site.Listed]] = {}
    for item in items:
        by_month.setdefault(site.month_of(item.entry), []).append(item)
    months = [(m, len(v)) for m, v in by_month.items()]
    threads: dict[str, list[tuple[ArchivedBrief, ThreadDigest]]] = {}
    for entry, brief in reversed(briefs):
        for digest in render.full_brief(brief).digests:
            threads.setdefault(digest.thread_id, []).append((entry, digest))
    files: dict[str, bytes] = {}
    for i, (entry, brief) in enumerate(briefs):
        previous = briefs[i - 1][0] if i > 0 else None
        after = briefs[i + 1][0] if i + 1 < len(briefs) else None
        files[entry.path] = render.brief_page(brief, (previous, after), templates).encode()
    for thread_id, appearances in threads.items():
        files[f"threads/{thread_id}.html"] = site.thread_page(thread_id, appearances, title, templates)
    for month, shown in by_month.items():
        files[site.month_path(month)] = site.month_page(month, shown, title, templates)
    files.update(site.index_files(months, items[: site.INDEX_BRIEFS], title, templates))
    files["feed.xml"] = site.feed(items, title, templates)
    files["assets/style.css"] = site.stylesheet(templates)
    return files


def _full_rewrite(store: Store, config: Config) -> dict[str, int]:
    """What each run did before: every brief parsed, every page rendered and written. Also the
    size the index would have if it listed every brief on one page, as it did."""
    kept = [(entry, brief_from_json(data)) for entry, data, _ in store.brief_contents()]
    pages = render_site(kept, config.title, config.templates_dir)
    for path, content in pages.items():
        archive.write_file(config.output_dir, path, content)
    written = {path: len(content) for path, content in pages.items()}
    everything = [site.listed(entry, brief) for entry, brief in reversed(kept)]
    months = store.brief_months()
    written["one-page index.html"] = len(site.index_files(months, everything, config.title)["index.html"])
    return written


def _keep(store: Store, config: Config, briefs: list[Brief]) -> None:
    """Keep `briefs` in the store as runs would have (entry, data, summary and appearances)."""
    run_id = store.start_run("bench-history", briefs[0].generated_at)
    records = []
    for brief in briefs:
        entry = compose.archive_entry(brief, config.output_dir)
        store.save_brief(entry, run_id, brief.generated_at)
        store.save_brief_content(brief.id, brief_to_json(brief), b"")
        records.append(compose.page_records(entry, brief_from_json(brief_to_json(brief))))
    store.save_brief_pages(records)


def _briefs(rng: random.Random, count: int) -> list[Brief]:
    """`count` briefs, twice a day from `START`, whose stories go on for one to eight briefs."""
    out: list[Brief] = []
    stories = _stories(rng)
    for n in range(count):
        slot = START + timedelta(hours=12 * (n // 2) + 6 * (n % 2))
        digests = tuple(_digest(rng, next(stories), slot, k) for k in range(rng.randint(3, 5)))
        out.append(
            Brief(
                id=slot.strftime("%Y-%m-%dT%H%MZ"),
                slot=slot,
                title="Archive Bench",
                audience="readers",
                generated_at=slot + timedelta(minutes=2),
                status_line=made_line(slot, slot + timedelta(minutes=2), (), by_hand=True),
                digests=digests,
                stats=RunStats(6, 6, 0, 40, 38, 2, 30, 8),
                publishers=5,
                reading_minutes=sum(d.reading_minutes for d in digests),
            )
        )
    return out


def _stories(rng: random.Random) -> Iterator[tuple[str, str]]:
    """Thread ids and titles, each given to the next one to eight threads asked for: a story
    is in several consecutive briefs (mixed with the others), then ends."""
    live: list[tuple[str, str]] = []
    left: dict[str, int] = {}  # briefs each live story is still in
    number = 0
    while True:
        if len(live) < 6:
            number += 1
            live.append((f"story-{number:06x}", _phrase(rng, 3).title()))
            left[live[-1][0]] = rng.randint(1, 8)
        story = live[rng.randrange(len(live))]
        left[story[0]] -= 1
        if left[story[0]] == 0:
            live.remove(story)
        yield story


def _digest(rng: random.Random, story: tuple[str, str], slot: datetime, k: int) -> ThreadDigest:
    thread_id, title = story
    ids = [f"{slot:%Y%m%d%H}-{k}-{i}" for i in range(rng.randint(3, 6))]
    sources = tuple(
        SourceRef(
            i + 1,
            a,
            _phrase(rng, 8).capitalize(),
            rng.choice(OUTLETS),
            f"https://news.example/{a}",
            slot - timedelta(hours=i + 1),
        )
        for i, a in enumerate(ids)
    )

    def said(words: int = 18) -> Sentence:
        return Sentence(_phrase(rng, words).capitalize() + ".", rng.choice(ids))

    figures = tuple(
        KeyFigure(f"${rng.randint(2, 900)} million", _phrase(rng, 2), said(), rng.randint(1, 3))
        for _ in range(rng.randint(0, 2))
    )
    events = tuple(
        TimelineEvent(
            (slot - timedelta(days=rng.randint(0, 60))).strftime("%Y-%m-%d"),
            "announcement",
            said(),
            ((rng.choice(OUTLETS), f"https://news.example/{rng.choice(ids)}"),),
        )
        for _ in range(rng.randint(1, 3))
    )
    disputes: tuple[Disagreement, ...] = ()
    if rng.random() < 0.2:
        claims = tuple(Claim(f"{rng.randint(10, 99)}%", ref.source, ref.url, said()) for ref in sources[:2])
        disputes = (Disagreement(_phrase(rng, 2), claims),)
    return ThreadDigest(
        thread_id=thread_id,
        title=title,
        kind="emergent",
        headline=said(10),
        overview=tuple(said() for _ in range(3)),
        why_it_matters=(said(),),
        tldr=tuple(said(12) for _ in range(3)),
        sources=sources,
        new_articles=len(ids),
        reading_minutes=len(ids),
        figures=figures,
        timeline=events,
        disagreements=disputes,
    )


def _phrase(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))
