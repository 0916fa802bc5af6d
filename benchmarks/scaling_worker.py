"""One `run_brief` in its own process, so its peak RSS is its own: prints one JSON line.

python -m benchmarks.scaling_worker CONFIG SLOT   # run, then report seconds, stats, peak RSS
python -m benchmarks.scaling_worker --import-only # peak RSS of loading the pipeline only
"""

from __future__ import annotations

import json
import resource
import sys
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


def main(argv: list[str]) -> int:
    from pipeline.config import load_config
    from pipeline.run import run_brief

    if argv == ["--import-only"]:
        print(json.dumps({"maxrss_mb": _peak_mb()}))
        return 0
    config_path, slot_text = argv
    slot = datetime.fromisoformat(slot_text)
    config = load_config(config_path)
    started = time.perf_counter()
    result = run_brief(config, slot=slot, clock=lambda: slot, send=False)
    seconds = time.perf_counter() - started
    print(json.dumps({**asdict(result.stats), "seconds": seconds, "maxrss_mb": _peak_mb()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
