"""The chaos suite's fast subset: one try of each fault (`make chaos` makes about fifty), each
made for real on loopback servers, a tmpfs when root; no promise may break."""

from __future__ import annotations

from benchmarks.chaos import FAULTS, run_chaos, table


def test_one_try_of_each_fault_breaks_no_promise() -> None:
    rows = run_chaos(quick=True, budget=300, log=lambda line: None)

    report = table(rows)
    assert [r.fault for r in rows] == [f.name for f in FAULTS]
    assert all(r.tries == 1 or r.skipped for r in rows), report
    assert [v for r in rows for v in r.violations] == [], report
    assert report.endswith(f"0 violations over {sum(r.tries for r in rows)} faults")
