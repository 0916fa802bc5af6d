"""Feed parsing robustness on data/feeds/ (59 real and synthetic feed documents).

Ours: every file through `pipeline.ingest.feeds.parse_feed`, as a run calls it (a `FetchResult` with
the URL and Content-Type the index's note gives, else a made-up URL). Baseline: raw
`feedparser.parse(io.BytesIO(body))`. The same checks for both; a feed passes a check when all
its entries do. The checks:

- no crash: the parser returns (a recorded error counts as no crash);
- entry count: equals `items` of index.json when it has one, else at least one entry is read
  out of the (not well-formed) document;
- plain titles: no tag and no undecoded entity in any title;
- links: every link absolute http(s), or empty;
- dates: every entry has a date, or is explicitly undated because the feed gave it none (an
  entry whose feed item carries a date text but that comes out undated fails);
- no U+FFFD in titles and summaries (unless the file itself holds one);
- titles non-empty (reported, no target).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser

from pipeline.ingest.feeds import parse_feed
from pipeline.models import FetchResult

from .core import Figure, Options, Report, at_least, capped

NAME = "feeds"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CHECKS = ("no crash", "entry count", "plain titles", "links", "dates", "no U+FFFD", "titles non-empty")
_TAG = re.compile(r"<\s*/?\s*[A-Za-z][^>]*>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")
_CTYPE = re.compile(r"((?:text|application)/[\w.+-]+)(?:;\s*charset=([\w.:-]+))?", re.IGNORECASE)
_SNAPSHOT = re.compile(r"snapshot of ([\w.-]+\.[a-z]{2,}(?:/[^\s,()]*)?)")


@dataclass(frozen=True)
class Entry:
    title: str
    summary: str
    link: str
    dated: bool


@dataclass(frozen=True)
class Outcome:
    entries: list[Entry] | None  # None: the parser crashed
    error: str | None = None


def feed_url(meta: dict[str, Any]) -> str:
    match = _SNAPSHOT.search(str(meta.get("note", "")))
    name = Path(str(meta["file"])).name
    return f"http://{match.group(1)}" if match else f"https://feeds.benchmark.invalid/{name}"


def content_type(meta: dict[str, Any]) -> str | None:
    match = _CTYPE.search(str(meta.get("note", "")))
    if not match:
        return None
    return match.group(1) + (f"; charset={match.group(2)}" if match.group(2) else "")


def parse_ours(body: bytes, url: str, ctype: str | None) -> Outcome:
    headers = {"content-type": ctype} if ctype else {}
    try:
        parsed = parse_feed(FetchResult(url, url, 200, body, headers), NOW, max_entries=100_000)
    except Exception as exc:
        return Outcome(None, f"crash: {type(exc).__name__}: {exc}")
    # an entry without a usable date is either undated (None) or, in newer versions, stamped
    # with the fetch time and flagged "missing" or "unparsable": both are explicit, not dates
    entries = [
        Entry(
            e.title,
            e.summary,
            e.link,
            e.published is not None and getattr(e, "date_note", "") not in ("missing", "unparsable"),
        )
        for e in parsed.entries
    ]
    return Outcome(entries, parsed.error)


def parse_baseline(body: bytes, url: str, ctype: str | None) -> Outcome:
    try:
        doc: Any = feedparser.parse(io.BytesIO(body))
    except Exception as exc:
        return Outcome(None, f"crash: {type(exc).__name__}: {exc}")
    entries = [
        Entry(
            str(e.get("title", "") or ""),
            str(e.get("summary", "") or ""),
            str(e.get("link", "") or ""),
            any(e.get(k) for k in ("published_parsed", "updated_parsed", "created_parsed")),
        )
        for e in doc.get("entries", [])
    ]
    return Outcome(entries, None)


def undated_in_source(body: bytes) -> int:
    """Items whose feed gives no date text at all: the most entries that may come out undated."""
    try:
        doc: Any = feedparser.parse(io.BytesIO(body))
    except Exception:
        return 0
    return sum(
        1 for e in doc.get("entries", []) if not any(e.get(k) for k in ("published", "updated", "created"))
    )


def check(
    outcome: Outcome, expected: int | None, may_be_undated: int, fffd_in_source: bool = False
) -> dict[str, str | None]:
    """Each check → None when it passes, else the reason. A U+FFFD that the file itself holds
    (its bytes EF BF BD) was lost before us and is not counted."""
    if outcome.entries is None:
        return {c: outcome.error or "crashed" for c in CHECKS}
    entries = outcome.entries
    out: dict[str, str | None] = dict.fromkeys(CHECKS)
    if expected is not None and len(entries) != expected:
        out["entry count"] = f"{len(entries)} entries, expected {expected}" + (
            f" ({outcome.error})" if outcome.error else ""
        )
    elif expected is None and not entries:
        out["entry count"] = "no entry read from a not-well-formed document" + (
            f" ({outcome.error})" if outcome.error else ""
        )
    bad = [e.title for e in entries if _TAG.search(e.title) or _ENTITY.search(e.title)]
    if bad:
        out["plain titles"] = f"{len(bad)} titles with markup, e.g. {bad[0][:70]!r}"
    bad = [e.link for e in entries if e.link and not re.match(r"https?://[^/\s]+", e.link)]
    if bad:
        out["links"] = f"{len(bad)} links not absolute http(s), e.g. {bad[0][:70]!r}"
    undated = sum(not e.dated for e in entries)
    if undated > may_be_undated:
        out["dates"] = f"{undated - may_be_undated} entries lost the date their feed gave"
    bad = [e.title or e.summary for e in entries if "\ufffd" in e.title or "\ufffd" in e.summary]
    if bad and not fffd_in_source:
        out["no U+FFFD"] = f"{len(bad)} entries with U+FFFD, e.g. {bad[0][:50]!r}"
    empty = sum(not e.title.strip() for e in entries)
    if empty:
        out["titles non-empty"] = f"{empty} of {len(entries)} entries without a title"
    return out


def run(opts: Options, report: Report) -> None:
    folder = opts.data / "feeds"
    index_path = folder / "index.json"
    if not index_path.is_file():
        report.skip(NAME, "feeds", f"{index_path} not found")
        return
    index = json.loads(index_path.read_text(encoding="utf-8"))
    metas = []
    for meta in index.get("feeds", []):
        path = folder / "files" / Path(str(meta["file"])).name
        if path.is_file():
            metas.append((meta, path))
    metas = capped(metas, opts.limit)
    if not metas:
        report.skip(NAME, "feeds", "index.json lists no file that is present")
        return

    results: dict[str, dict[str, dict[str, str | None]]] = {"ours": {}, "baseline": {}}
    parsers: dict[str, Callable[[bytes, str, str | None], Outcome]] = {
        "ours": parse_ours,
        "baseline": parse_baseline,
    }
    for meta, path in metas:
        body = path.read_bytes()
        url, ctype = feed_url(meta), content_type(meta)
        expected = meta.get("items")
        may_be_undated = undated_in_source(body)
        fffd = "\ufffd".encode() in body
        if fffd:
            report.note(NAME, f"{path.name} itself holds U+FFFD characters: not counted as our decoding loss")
        for who, parse in parsers.items():
            results[who][path.name] = check(parse(body, url, ctype), expected, may_be_undated, fffd)

    n = len(metas)
    for c in CHECKS:
        rate = {who: sum(r[c] is None for r in results[who].values()) / n for who in results}
        target = at_least(1.0) if c == "no crash" else None
        report.add(
            Figure(
                f"feeds.{c.replace(' ', '_')}",
                f"feeds pass: {c}",
                rate["ours"],
                rate["baseline"],
                "(raw feedparser)",
                "share",
                "feeds",
                n,
                target,
            )
        )
    gated = CHECKS[:-1]
    all_ok = {
        who: sum(all(r[c] is None for c in gated) for r in results[who].values()) / n for who in results
    }
    report.add(
        Figure(
            "feeds.all_checks",
            "feeds pass: all checks above but titles",
            all_ok["ours"],
            all_ok["baseline"],
            "(raw feedparser)",
            "share",
            "feeds",
            n,
        )
    )
    failures = [
        {"file": name, "check": c, "reason": reason}
        for name, r in results["ours"].items()
        for c, reason in r.items()
        if reason is not None
    ]
    for f in failures:
        report.note(NAME, f"ours fails {f['check']!r} on {f['file']}: {f['reason']}")
    report.details[NAME] = {
        "failures_ours": failures,
        "failures_baseline": [
            {"file": name, "check": c, "reason": reason}
            for name, r in results["baseline"].items()
            for c, reason in r.items()
            if reason is not None
        ],
    }
