"""`python -m benchmarks`: run the benchmarks, print one table, write results.json."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from . import (
    archive,
    brief_quality,
    delivery,
    digest,
    editions,
    entities,
    extraction,
    facts_gold,
    feeds,
    scale,
    speed,
    summaries,
    threads,
    threads_run,
)
from .core import Options, Report

DEFAULT_OUT = Path(__file__).resolve().parent / "results.json"
PACKAGES = (
    "dailybrief",
    "trafilatura",
    "feedparser",
    "scikit-learn",
    "numpy",
    "scipy",
    "httpx",
    "rouge-score",
    "sumy",
    "nltk",
    "lxml",
)


BENCHMARKS: dict[str, Callable[[Options, Report], None]] = {
    "extraction": extraction.run,
    "feeds": feeds.run,
    "threads": threads.run,
    "threads_run": threads_run.run,
    "summaries": summaries.run,
    "digest": digest.run,
    "facts": facts_gold.run,
    "entities": entities.run,
    "overhead": speed.overhead,
    "concurrency": speed.concurrency,
    "idle": speed.idle,
    "scaling": speed.scaling,
    "archive": archive.run,
    "brief_quality": brief_quality.run,
    "delivery": delivery.run,
    "editions": editions.run,
    "scale": scale.run,
}
NEEDS_DATA = (
    "extraction",
    "entities",
    "feeds",
    "threads",
    "threads_run",
    "summaries",
    "facts",
    "overhead",
    "scaling",
)


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark {', '.join(unknown)!s}; choose from {', '.join(BENCHMARKS)}"
        )
    return names


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run dailybrief's quality and speed benchmarks; print one table, write a JSON file.",
        epilog="example: python -m benchmarks --data ../shared/data --only extraction,feeds --limit 10",
    )
    parser.add_argument(
        "--data", type=Path, default=Path("../shared/data"), help="folder of the evaluation sets"
    )
    parser.add_argument(
        "--only", type=_names, help=f"comma-separated benchmarks to run: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--limit", type=_positive, help="at most N documents per set (for a quick run)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    parser.add_argument(
        "--no-large", action="store_true", help=f"skip the peak-RSS run at ~{speed.LARGE} articles"
    )
    return parser.parse_args(argv)


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def main(argv: Sequence[str] | None = None, echo: Callable[[str], None] = print) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the stages' warnings about single pages are not results
    started = time.perf_counter()
    opts = Options(data=args.data, limit=args.limit, large=not args.no_large)
    report = Report(echo=echo)
    selected = args.only or list(BENCHMARKS)
    echo(
        f"dailybrief benchmarks on {args.data}"
        + (f", at most {args.limit} documents per set" if args.limit else "")
    )
    load = os.getloadavg()[0]
    if load >= 1.0:
        echo(
            f"note: load average {load:.1f} at the start: other work on this machine slows the speed figures"
        )
    data_missing = not args.data.is_dir()
    if data_missing:
        echo(f"data folder {args.data} not found: every set is skipped")
    for name in selected:
        echo(f"== {name}")
        if data_missing and name in NEEDS_DATA:
            report.skip(name, name, f"data folder {args.data} not found")
            continue
        try:
            with report.timed(name):
                BENCHMARKS[name](opts, report)
        except Exception as exc:
            report.errors.append(
                {
                    "benchmark": name,
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(),
                }
            )
            echo(f"ERROR in {name}: {type(exc).__name__}: {exc}")
            echo(traceback.format_exc())
    wall = time.perf_counter() - started

    echo("")
    echo(report.table() if report.figures else "(no figures)")
    if report.skipped:
        echo("")
        for s in report.skipped:
            echo(f"skipped: {s['set']}: {s['reason']}")
    missed = [f.label for f in report.figures if f.met is False]
    echo("")
    echo(
        f"{len(report.figures)} figures, {len(missed)} targets missed, {len(report.errors)} errors; "
        f"wall time {wall:.0f} s"
    )

    results: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": str(args.data),
        "options": {"only": selected, "limit": args.limit, "large": opts.large},
        "versions": versions(),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": round(load, 2),
            "load_average_at_end": round(os.getloadavg()[0], 2),
        },
        "wall_seconds": round(wall, 2),
        "seconds_per_benchmark": report.timings,
        "figures": [f.to_json() for f in report.figures],
        "skipped": report.skipped,
        "notes": report.notes,
        "details": report.details,
        "errors": report.errors,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    echo(f"results written to {args.out}")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
