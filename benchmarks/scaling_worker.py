"""One `run_brief` in its own process, so its peak RSS is its own: prints one JSON line.

The peak counts the run's extraction workers and helpers too (`pipeline/ingest/pool.py`): the
proportional set size (PSS) of this process and its children is summed every 100 ms while the
sum of their RSS (read every 20 ms) is above the PSS sum's peak (it cannot be higher), and the
figure is the higher of that sum's peak and this process's own high-water mark. PSS, not
RSS: a child caught between its fork and its exec shares every page of the run (its RSS is
the run's, counted twice), and the workers share the interpreter's pages; the RSS sum's peak
is reported beside it (`tree_rss_mb`).

python -m benchmarks.scaling_worker CONFIG SLOT   # run, then report seconds, stats, peak RSS
python -m benchmarks.scaling_worker --import-only # peak RSS of loading the pipeline only
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path


def _peak_mb() -> float:
    """Peak resident memory of this process. Linux's VmHWM first: ru_maxrss of a child starts
    at its parent's RSS at fork time (kept across exec), so a small child of a big parent
    would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _rss_mb(pid: int | str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _pss_mb(pid: int | str) -> float:
    """Proportional set size: each page shared by n processes counts 1/n in each."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children() -> list[str]:
    """This process's children, as the kernel lists them per thread (cheap: no scan of /proc)."""
    found: list[str] = []
    for listing in Path("/proc/self/task").glob("*/children"):
        try:
            found += listing.read_text().split()
        except OSError:
            continue
    return found


RSS_EVERY = 0.02  # seconds between two readings of the RSS sum (cheap: each process's status)
PSS_EVERY = 0.1  # seconds between two readings of the PSS sum, at least


class _TreePeak:
    """The highest sum of this process's and its children's resident memory, sampled."""

    def __init__(self) -> None:
        self.peak_mb = 0.0  # of the PSS sum
        self.rss_peak_mb = 0.0  # of the RSS sum
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        last_pss = 0.0
        while not self._stop.wait(RSS_EVERY):
            children = _children()
            rss = _rss_mb("self") + sum(_rss_mb(pid) for pid in children)
            self.rss_peak_mb = max(self.rss_peak_mb, rss)
            # a process's PSS is at most its RSS: the PSS sum can be at a new high only when the
            # RSS sum is over its peak. It is read then, at most every PSS_EVERY: reading smaps
            # walks every page of a process, and at every 20 ms it took a tenth of a core from
            # the run it measured (~5,000 pages, py-spy), slowing its page faults meanwhile
            now = time.monotonic()
            if rss > self.peak_mb and now - last_pss >= PSS_EVERY:
                last_pss = now
                self.peak_mb = max(self.peak_mb, _pss_mb("self") + sum(_pss_mb(pid) for pid in children))

    def __enter__(self) -> _TreePeak:
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def main(argv: list[str]) -> int:
    from pipeline.config import load_config
    from pipeline.run import RunOptions, run_brief

    if argv == ["--import-only"]:
        print(json.dumps({"maxrss_mb": _peak_mb()}))
        return 0
    config_path, slot_text = argv
    slot = datetime.fromisoformat(slot_text)
    config = load_config(config_path)
    with _TreePeak() as tree:
        started = time.perf_counter()
        result = run_brief(config, slot=slot, clock=lambda: slot, options=RunOptions(send=False))
        seconds = time.perf_counter() - started
    own = _peak_mb()
    print(
        json.dumps(
            {
                **asdict(result.stats),
                "seconds": seconds,
                "maxrss_mb": max(own, tree.peak_mb),
                "own_mb": own,
                "tree_rss_mb": tree.rss_peak_mb,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
