"""Speed on this machine, each figure against a reference measured in the same run.

- overhead: the dev pages of data/extraction/ served on loopback as the articles of 4 RSS
  feeds; a whole `run_brief` (fetch → brief written) in articles per second, against three
  baselines on the same bytes, timed back to back with it: `extract_article` in one process,
  `extract_article` in a process pool of one process per usable core (the ceiling for
  extraction on this machine), and the script a user would write instead
  (`benchmarks/naive_script.py`: feedparser, httpx with the run's limits, `trafilatura.extract`
  in a pool of one process per core).
- concurrency: 200 pages that each take 100 ms, fetched with `fetch_all`; wall time against
  the ideal ceil(200 / C) × 0.1 s. All pages are on one host (127.0.0.1), so per_host is set
  to C: this measures the fetcher, not the politeness limit.
- idle: 100 feeds that answer 304 to a conditional GET; the second `run_brief` over them.
- scaling: `run_brief` over 1× and 4× the dev pages (distinct variants, so nothing dedupes),
  each in its own process for its peak RSS; and, unless --no-large or --limit, ~5,000 pages,
  with the pool and the naive script over the same pages for the run's ratios at that size.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.config import load_config
from pipeline.ingest.extract import extract_article
from pipeline.ingest.fetch import FetchSettings, fetch_all
from pipeline.ingest.pool import ExtractPool
from pipeline.models import FeedEntry, FetchRequest, Page
from pipeline.run import RunOptions, RunResult, run_brief
from pipeline.settings import FETCH_KEYS

from . import loopback, naive_script
from .core import Figure, Options, Report, at_most, ratio_at_least, ratio_at_most
from .extraction import load_pages

SLOT = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
LARGE = 5000
REPEATS = 2  # timed runs are repeated and the best kept: other work on the machine only slows


def _repeats(opts: Options) -> int:
    return 1 if opts.limit is not None else REPEATS  # a quick run (--limit) times once


RSS_TARGET_MB = 350  # the run and its workers at ~5,000 articles (issue 19)
POOL_CHUNK = 200  # pages made at once for the pool baseline at ~5,000: their bytes are held
FEEDS_PER_85 = 4  # 4 feeds for the 85 dev pages; as many per page at every size
ROOT = Path(__file__).resolve().parent.parent
HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml"


@dataclass(frozen=True)
class Site:
    """Pages and feeds to serve, by path."""

    pages: dict[str, bytes]
    items: list[loopback.Item]


def _feeds(items: list[loopback.Item], n_feeds: int, base: str) -> dict[str, bytes]:
    out = {}
    for k in range(n_feeds):
        mine = [it for j, it in enumerate(items) if j % n_feeds == k]
        out[f"/feeds/{k}.xml"] = loopback.rss(f"Feed {k}", mine, base)
    return out


def _extraction_pages(opts: Options, report: Report, name: str) -> list[Any] | None:
    folder = opts.data / "extraction"
    if not (folder / "ground-truth.json").is_file():
        report.skip(name, f"{name} (needs extraction/)", f"{folder}/ground-truth.json not found")
        return None
    pages = load_pages(folder, opts.limit)
    if not pages:
        report.skip(name, f"{name} (needs extraction/)", "no extraction page found")
        return None
    return pages


# -- pipeline overhead ----------------------------------------------------------------------------


def _extract_task(task: tuple[Page, str]) -> bool:
    page, source = task
    return extract_article(page, source).extracted


class ExtractionCeiling:
    """`extract_article` in a process pool of one process per usable core, started and warm
    before it is timed: the most this machine extracts (pages go in as bytes, articles
    come back, as in the run's own workers)."""

    def __init__(self) -> None:
        self.cores = naive_script.usable_cores()
        self._pool = ProcessPoolExecutor(max_workers=self.cores)

    def __enter__(self) -> ExtractionCeiling:
        warm = [self._pool.submit(_warm) for _ in range(self.cores * 2)]
        for future in warm:
            future.result()
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown()

    def seconds(self, chunks: Iterable[Sequence[tuple[Page, str]]]) -> tuple[float, int]:
        """The time spent extracting every chunk (each made before its clock starts), and
        the pages done."""
        spent, done = 0.0, 0
        for chunk in chunks:
            started = time.perf_counter()
            done += sum(1 for _ in self._pool.map(_extract_task, chunk))
            spent += time.perf_counter() - started
        return spent, done


def _warm() -> None:
    from pipeline.ingest.extract import _trafilatura

    _trafilatura()


def overhead(opts: Options, report: Report) -> None:
    repeats = _repeats(opts)
    pages = _extraction_pages(opts, report, "overhead")
    if pages is None:
        return
    bodies = {f"/a/{p.id}": p.html for p in pages}
    items = [
        loopback.Item(
            f"/a/{p.id}", loopback.page_title(p.html, f"Article {p.id[:8]}"), SLOT - timedelta(minutes=i + 1)
        )
        for i, p in enumerate(pages)
    ]
    served: dict[str, tuple[bytes, str]] = {path: (body, HTML) for path, body in bodies.items()}
    n_feeds = max(1, min(FEEDS_PER_85, len(items)))
    times: dict[str, list[float]] = {k: [] for k in ("alone", "pool", "naive", "run", "in_process")}
    results: list[RunResult] = []
    results_0: list[RunResult] = []
    naive_done: list[dict[str, Any]] = []
    with loopback.serve(served.get) as server, ExtractionCeiling() as ceiling:
        for path, feed in _feeds(items, n_feeds, server.base).items():
            served[path] = (feed, RSS)
        feed_urls = [f"{server.base}/feeds/{k}.xml" for k in range(n_feeds)]
        entries = [
            FeedEntry(
                feed_urls[j % n_feeds], it.path, server.base + it.path, it.title, it.title, it.published
            )
            for j, it in enumerate(items)
        ]
        tasks = [
            (Page(entry, entry.link, bodies[it.path]), f"Feed {j % n_feeds}")
            for j, (entry, it) in enumerate(zip(entries, items, strict=True))
        ]
        extract_article(*tasks[0])  # warm-up
        for _ in range(repeats):  # each baseline and the run back to back, in every repeat
            started = time.perf_counter()
            for task in tasks:
                extract_article(*task)
            times["alone"].append(time.perf_counter() - started)
            times["pool"].append(ceiling.seconds([tasks])[0])
            naive_done.append(naive_script.run(feed_urls))
            times["naive"].append(naive_done[-1]["seconds"])
            # the run as configured by default, then with every page extracted in its own process
            for workers, key, kept in ((None, "run", results), (0, "in_process", results_0)):
                with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:  # a first run each time
                    feed_paths = [f"/feeds/{k}.xml" for k in range(n_feeds)]
                    config = load_config(loopback.write_config(Path(tmp), server, feed_paths))
                    if workers is not None:
                        config = replace(config, extract_workers=workers)
                    started = time.perf_counter()
                    kept.append(
                        run_brief(config, slot=SLOT, clock=lambda: SLOT, options=RunOptions(send=False))
                    )
                    times[key].append(time.perf_counter() - started)
    best = {k: min(v) for k, v in times.items()}
    alone, whole, in_process = best["alone"], best["run"], best["in_process"]
    n = len(pages)
    for how, done in (("with its workers", results), ("in its own process", results_0)):
        for r in done:
            got = r.stats.articles_new
            if got != n:  # a run that lost pages would look fast
                failed = r.stats.pages_failed
                report.note("overhead", f"a run {how} kept {got} of {n} articles ({failed} pages failed)")
    for d in naive_done:
        if d["pages"] != n:
            report.note("overhead", f"the naive script read {d['pages']} of {n} pages")
    stats = results[-1].stats
    workers = ExtractPool(
        FETCH_KEYS["extract_workers"].default
    ).workers  # as the default config makes it here
    report.note(
        "overhead",
        f"whole run {whole:.2f} s for {n} articles, extracting in the run's process and {workers} "
        f"worker process(es) (the default on this machine); {in_process:.2f} s extracting in the "
        f"run's process only; extraction alone {alone:.2f} s, in a pool of {ceiling.cores} "
        f"{best['pool']:.2f} s; the naive script {best['naive']:.2f} s (best of {repeats}; "
        f"spread {_spread(times)}); {n_feeds} feeds, fetch settings the defaults (per_host 2)",
    )
    report.add(
        Figure(
            "speed.overhead",
            "pipeline articles/s vs extraction alone",
            n / whole,
            n / alone,
            "(extract_article alone)",
            "articles/s",
            "extraction dev pages",
            n,
            ratio_at_least(0.85),
        )
    )
    report.add(
        Figure(
            "speed.overhead_in_process",
            "pipeline articles/s vs extraction alone, no extraction worker",
            n / in_process,
            n / alone,
            "(extract_article alone)",
            "articles/s",
            "extraction dev pages",
            n,
        )
    )
    _against_baselines(
        report, "", n / whole, n / best["pool"], n / best["naive"], ceiling.cores, n, (0.85, 1.0)
    )
    report.details["overhead"] = {
        "run_seconds": whole,
        "run_seconds_in_process": in_process,
        "extract_workers": workers,
        "extract_seconds": alone,
        "pool_seconds": best["pool"],
        "naive_seconds": best["naive"],
        "cores": ceiling.cores,
        "all_seconds": times,
        "articles": n,
        "stats": stats.__dict__,
    }


def _spread(times: dict[str, list[float]]) -> str:
    """How far the slowest of each timing's repeats is from its fastest."""
    return ", ".join(f"{k} +{max(v) / min(v) - 1:.0%}" for k, v in times.items() if v and min(v) > 0)


def _against_baselines(
    report: Report,
    suffix: str,
    run_rate: float,
    pool_rate: float,
    naive_rate: float,
    cores: int,
    n: int,
    targets: tuple[float, float],
) -> None:
    """The run's articles/s against the extraction pool and against the naive script."""
    size = "extraction dev pages" if not suffix else "dev page variants"
    report.add(
        Figure(
            f"speed.run_vs_pool_extraction{suffix}",
            f"whole run articles/s vs extract_article in a pool of {cores}",
            run_rate,
            pool_rate,
            f"(pool of {cores}, one per core)",
            "articles/s",
            size,
            n,
            ratio_at_least(targets[0]),
        )
    )
    report.add(
        Figure(
            f"speed.run_vs_naive_script{suffix}",
            "whole run articles/s vs the naive script",
            run_rate,
            naive_rate,
            f"(feedparser, httpx, trafilatura in a pool of {cores})",
            "articles/s",
            size,
            n,
            ratio_at_least(targets[1]),
        )
    )


# -- fetch concurrency ----------------------------------------------------------------------------


def concurrency(opts: Options, report: Report) -> None:
    repeats = _repeats(opts)
    n = 200 if opts.limit is None else min(200, opts.limit)
    delay = 0.1
    body = b"<html><body><p>" + b"word " * 200 + b"</p></body></html>"
    details = {}
    with loopback.serve(
        lambda path: (body + path.encode(), HTML) if path.startswith("/slow/") else None, delay
    ) as server:
        requests = [FetchRequest(f"{server.base}/slow/{i}", kind="page") for i in range(n)]
        for c in (8, 32):
            settings = FetchSettings(allow=(server.host_port,), concurrency=c, per_host=c)
            walls = []
            for _ in range(repeats):
                started = time.perf_counter()
                results = fetch_all(requests, settings)
                walls.append(time.perf_counter() - started)
            wall = min(walls)
            failed = [r for r in results if not r.ok]
            ideal = math.ceil(n / c) * delay
            note = f"{len(failed)} failed: {failed[0].error}" if failed else ""
            report.add(
                Figure(
                    f"speed.fetch_c{c}",
                    f"fetch {n} pages × 100 ms, concurrency {c} (per_host {c})",
                    wall,
                    ideal,
                    "(ideal)",
                    "s",
                    "loopback",
                    n,
                    ratio_at_most(1.3),
                    note,
                )
            )
            details[str(c)] = {"wall": wall, "ideal": ideal, "failed": len(failed)}
    report.details["concurrency"] = details


# -- idle rerun -----------------------------------------------------------------------------------


def _small_page(i: int) -> bytes:
    rng = random.Random(i)
    words = ["market", "city", "council", "report", "water", "energy", "school", "price", "team", "plan"]
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(words) for _ in range(40)).capitalize() + ".</p>" for _ in range(4)
    )
    head = f"<html><head><title>Story {i}</title></head>"
    return f"{head}<body><article><h1>Story {i}</h1>{paragraphs}</article></body></html>".encode()


def idle(opts: Options, report: Report) -> None:
    repeats = _repeats(opts)
    n = 100 if opts.limit is None else min(100, opts.limit)
    served: dict[str, tuple[bytes, str]] = {f"/p/{i}": (_small_page(i), HTML) for i in range(n)}
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp, loopback.serve(served.get) as server:
        for i in range(n):
            item = loopback.Item(f"/p/{i}", f"Story {i}", SLOT - timedelta(hours=1, minutes=i))
            served[f"/feeds/{i}.xml"] = (loopback.rss(f"Feed {i}", [item], server.base), RSS)
        config = load_config(loopback.write_config(Path(tmp), server, [f"/feeds/{i}.xml" for i in range(n)]))
        started = time.perf_counter()
        run_brief(config, slot=SLOT, clock=lambda: SLOT, options=RunOptions(send=False))
        first = time.perf_counter() - started
        reruns = []
        for k in range(repeats):  # every rerun finds nothing new: each is an idle rerun
            later = SLOT + timedelta(hours=6 * (k + 1))
            before = server.not_modified
            started = time.perf_counter()
            second = run_brief(config, slot=later, clock=_fixed(later), options=RunOptions(send=False))
            reruns.append(time.perf_counter() - started)
            answered_304 = server.not_modified - before
        rerun = min(reruns)
    report.note(
        "idle",
        f"first run {first:.2f} s; rerun {rerun:.2f} s (best of {repeats}) with {answered_304} of {n} "
        f"feeds answering 304, {second.stats.entries_new} new entries",
    )
    report.add(
        Figure(
            "speed.idle_rerun",
            f"idle rerun, {n} feeds all 304",
            rerun,
            first,
            "(first run)",
            "s",
            "loopback",
            n,
            at_most(1.0),
        )
    )
    report.details["idle"] = {"first_seconds": first, "rerun_seconds": rerun, "answered_304": answered_304}


# -- scaling --------------------------------------------------------------------------------------


def _worker(args: list[str], module: str = "benchmarks.scaling_worker") -> dict[str, Any]:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"scaling worker failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _scaled_run(
    pages: list[Any], copies: int, vocab: list[str], compressed: bool, baselines: bool = False
) -> dict[str, Any]:
    """One run_brief in a worker process over `copies` variants of every page; with
    `baselines`, then the naive script in a process of its own over the same server, and the
    extraction pool over the same page bytes. Every page is made before any clock starts:
    making a variant costs more CPU than serving it, and that CPU, taken from the run's two
    cores while it is timed, is no part of what the run does (nor of the pool's time, whose
    pages were always made off its clock). With `compressed` (the ~5,000 pages, about 1 GB
    as they are) each is kept zlib-compressed and inflated when it is asked for."""
    originals = {p.id: p.html for p in pages}
    items = []
    for c in range(copies):
        for i, p in enumerate(pages):
            title = loopback.page_title(p.html, f"Article {p.id[:8]}") + (f" ({c})" if c else "")
            items.append(
                loopback.Item(f"/a/{c}/{p.id}", title, SLOT - timedelta(minutes=c * len(pages) + i + 1))
            )

    def make(path: str) -> bytes:
        _, _, c, pid = path.split("/", 3)
        return originals[pid] if c == "0" else loopback.variant(originals[pid], f"{pid}:{c}", vocab)

    kept = {it.path: zlib.compress(make(it.path), 1) if compressed else make(it.path) for it in items}

    def page(path: str) -> bytes | None:
        body = kept.get(path)
        return zlib.decompress(body) if compressed and body is not None else body

    served: dict[str, tuple[bytes, str]] = {}

    def resolve(path: str) -> tuple[bytes, str] | None:
        if path in served:
            return served[path]
        body = page(path)
        return (body, HTML) if body is not None else None

    n_feeds = max(1, min(len(items), round(FEEDS_PER_85 * len(items) / 85)))
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp, loopback.serve(resolve) as server:
        served.update({path: (feed, RSS) for path, feed in _feeds(items, n_feeds, server.base).items()})
        feed_paths = [f"/feeds/{k}.xml" for k in range(n_feeds)]
        config = loopback.write_config(Path(tmp), server, feed_paths)
        result = _worker([str(config), SLOT.isoformat()])
        if baselines:
            result["naive"] = _worker([server.base + f for f in feed_paths], "benchmarks.naive_script")

            def chunks() -> Iterator[list[tuple[Page, str]]]:
                for k in range(0, len(items), POOL_CHUNK):
                    chunk = []
                    for j, it in enumerate(items[k : k + POOL_CHUNK], start=k):
                        body = page(it.path) or b""
                        link = server.base + it.path
                        entry = FeedEntry(
                            feed_paths[j % n_feeds], it.path, link, it.title, it.title, it.published
                        )
                        chunk.append((Page(entry, link, body), f"Feed {j % n_feeds}"))
                    yield chunk

            with ExtractionCeiling() as ceiling:
                seconds, done = ceiling.seconds(chunks())
            result["pool"] = {"seconds": seconds, "pages": done, "cores": ceiling.cores}
    result["pages"] = len(items)
    result["feeds"] = n_feeds
    return result


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of repeated runs, with the highest peak RSS of them."""
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["maxrss_mb"] = max(r["maxrss_mb"] for r in runs)
    best["tree_rss_mb"] = max(r["tree_rss_mb"] for r in runs)
    best["all_seconds"] = [r["seconds"] for r in runs]
    return best


def scaling(opts: Options, report: Report) -> None:
    repeats = _repeats(opts)
    pages = _extraction_pages(opts, report, "scaling")
    if pages is None:
        return
    vocab = loopback.vocabulary([p.html for p in pages])
    base = _worker(["--import-only"])
    one = _best([_scaled_run(pages, 1, vocab, compressed=False) for _ in range(repeats)])
    four = _best([_scaled_run(pages, 4, vocab, compressed=False) for _ in range(repeats)])
    for size, r in (("1×", one), ("4×", four)):
        report.note(
            "scaling",
            f"{size}: {r['pages']} pages in {r['feeds']} feeds → {r['articles_new']} articles "
            f"({r['duplicates']} duplicates, {r['pages_failed']} failed) in {r['seconds']:.2f} s "
            f"(best of {repeats}), "
            f"peak memory {r['maxrss_mb']:.0f} MB with its workers (PSS; the RSS sum "
            f"{r['tree_rss_mb']:.0f} MB; {r['own_mb']:.0f} MB its own)",
        )
    report.add(
        Figure(
            "speed.scaling_time",
            "run time at 4× the articles vs 1×",
            four["seconds"],
            one["seconds"],
            "(1×)",
            "s",
            "dev page variants",
            four["pages"],
            ratio_at_most(4.4),
        )
    )
    report.add(
        Figure(
            "speed.rss_1x",
            "peak RSS, 1× articles",
            one["maxrss_mb"],
            base["maxrss_mb"],
            "(import only)",
            "MB",
            "dev page variants",
            one["pages"],
        )
    )
    report.add(
        Figure(
            "speed.rss_4x",
            "peak RSS, 4× articles",
            four["maxrss_mb"],
            one["maxrss_mb"],
            "(1×)",
            "MB",
            "dev page variants",
            four["pages"],
        )
    )
    details: dict[str, Any] = {"import_only": base, "1x": one, "4x": four}
    if opts.large and opts.limit is None:
        copies = math.ceil(LARGE / len(pages))
        large = _scaled_run(pages, copies, vocab, compressed=True, baselines=True)
        details["large"] = large
        naive, pool = large["naive"], large["pool"]
        report.note(
            "scaling",
            f"~{LARGE}: {large['pages']} pages in {large['feeds']} feeds → {large['articles_new']} "
            f"articles in {large['seconds']:.1f} s (pages made before the clock, served from memory), "
            f"peak memory {large['maxrss_mb']:.0f} MB with its workers (PSS; the RSS sum "
            f"{large['tree_rss_mb']:.0f} MB; {large['own_mb']:.0f} MB its own); "
            f"the naive script {naive['seconds']:.1f} s "
            f"({naive['texts']} texts of {naive['pages']} pages), extract_article in a pool of "
            f"{pool['cores']} {pool['seconds']:.1f} s (once each)",
        )
        n = large["pages"]
        _against_baselines(
            report,
            "_large",
            n / large["seconds"],
            n / pool["seconds"],
            n / naive["seconds"],
            pool["cores"],
            n,
            (0.80, 1.0),
        )
        report.add(
            Figure(
                "speed.rss_large",
                f"peak RSS, ~{LARGE} articles",
                large["maxrss_mb"],
                base["maxrss_mb"],
                "(import only)",
                "MB",
                "dev page variants",
                large["pages"],
                at_most(RSS_TARGET_MB),
            )
        )
    else:
        why = "--limit given" if opts.limit is not None else "--no-large given"
        report.note("scaling", f"peak RSS at ~{LARGE} articles: not run ({why})")
        report.add(
            Figure(
                "speed.rss_large",
                f"peak RSS, ~{LARGE} articles",
                None,
                base["maxrss_mb"],
                "(import only)",
                "MB",
                "not run",
                0,
                at_most(RSS_TARGET_MB),
                f"not run: {why}",
            )
        )
        for key, against, target in (
            ("pool_extraction", "the extraction pool", 0.80),
            ("naive_script", "the naive script", 1.0),
        ):
            report.add(
                Figure(
                    f"speed.run_vs_{key}_large",
                    f"whole run articles/s vs {against}, ~{LARGE} articles",
                    None,
                    None,
                    "",
                    "articles/s",
                    "not run",
                    0,
                    ratio_at_least(target),
                    f"not run: {why}",
                )
            )
    report.details["scaling"] = details


def _fixed(now: datetime) -> Callable[[], datetime]:
    return lambda: now
