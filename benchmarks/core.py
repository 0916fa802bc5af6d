"""What every benchmark reports: figures (ours, a baseline measured in the same run, the ratio
and the target), sets skipped and why, notes, and details for results.json."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    """A goal for a figure: `value` or `ratio` compared with `threshold`, and optionally
    "ahead of the baseline" (higher is better unless `lower_is_better`)."""

    on: str  # "value", "ratio" or "" (only the baseline comparison)
    op: str  # ">=" or "<="
    threshold: float = 0.0
    ahead: bool = False
    lower_is_better: bool = False

    def text(self, unit: str = "") -> str:
        parts = []
        if self.on:
            shown = _format(self.threshold, unit if self.on == "value" else "")
            op = {">=": "≥", "<=": "≤"}[self.op]
            parts.append(f"{'ratio ' if self.on == 'ratio' else ''}{op} {shown}")
        if self.ahead:
            parts.append("< baseline" if self.lower_is_better else "> baseline")
        return ", ".join(parts)

    def met(self, value: float | None, baseline: float | None, ratio: float | None) -> bool | None:
        if value is None:
            return None
        ok = True
        if self.on:
            x = value if self.on == "value" else ratio
            if x is None:
                return None
            ok = x >= self.threshold if self.op == ">=" else x <= self.threshold
        if self.ahead:
            if baseline is None:
                return None
            ok = ok and (value < baseline if self.lower_is_better else value > baseline)
        return ok


def at_least(x: float, ahead: bool = False) -> Target:
    return Target("value", ">=", x, ahead)


def at_most(x: float, ahead: bool = False) -> Target:
    return Target("value", "<=", x, ahead, lower_is_better=True)


def ratio_at_least(x: float) -> Target:
    return Target("ratio", ">=", x)


def ratio_at_most(x: float) -> Target:
    return Target("ratio", "<=", x, lower_is_better=True)


def ahead_of_baseline(lower_is_better: bool = False) -> Target:
    return Target("", ">=", 0.0, True, lower_is_better)


@dataclass
class Figure:
    key: str  # machine name, e.g. "extraction.f1"
    label: str  # shown in the table
    value: float | None
    baseline: float | None
    baseline_name: str
    unit: str  # "" for a score in [0, 1], "share" for a pass rate, "s", "MB", "bytes", "articles/s", "count"
    set: str
    n: int
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        return self.target.met(self.value, self.baseline, self.ratio) if self.target else None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "value": _clean(self.value),
            "baseline": _clean(self.baseline),
            "baseline_name": self.baseline_name,
            "ratio": _clean(self.ratio),
            "target": self.target.text(self.unit) if self.target else None,
            "target_met": self.met,
            "unit": self.unit,
            "set": self.set,
            "n": self.n,
            "note": self.note,
        }


@dataclass
class Report:
    """Collects what the benchmarks found; printed as one table and written as JSON."""

    echo: Callable[[str], None] = print
    figures: list[Figure] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def skip(self, benchmark: str, what: str, reason: str) -> None:
        self.skipped.append({"benchmark": benchmark, "set": what, "reason": reason})
        self.echo(f"skipped: {what}: {reason}")

    def note(self, benchmark: str, text: str) -> None:
        self.notes.append({"benchmark": benchmark, "text": text})
        self.echo(f"  {benchmark}: {text}")

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - started, 2)

    def table(self) -> str:
        header = ("figure", "set (n)", "ours", "baseline", "ratio", "target", "met")
        rows = [header]
        for f in self.figures:
            rows.append(
                (
                    f.label,
                    f"{f.set} ({f.n})",
                    _format(f.value, f.unit),
                    (_format(f.baseline, f.unit) + f" {f.baseline_name}").strip()
                    if f.baseline is not None
                    else "-",
                    f"{f.ratio:.2f}" if f.ratio is not None else "-",
                    f.target.text(f.unit) if f.target else "-",
                    {True: "yes", False: "NO", None: "-"}[f.met],
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = []
        for n, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def _format(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "articles/s":
        return f"{value:.1f}/s"
    if unit == "bytes":
        return f"{value / 1e6:.2f} MB" if value >= 1e6 else f"{value / 1e3:.1f} KB"
    if unit == "count":
        return f"{value:.0f}"
    if unit == "words":
        return f"{value:.0f} words"
    return f"{value:.3f}"


def _clean(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), 6)


@dataclass(frozen=True)
class Options:
    data: Path
    limit: int | None
    large: bool  # the ~5,000-article peak-RSS run


def capped(items: list[Any], limit: int | None) -> list[Any]:
    return items if limit is None else items[:limit]
