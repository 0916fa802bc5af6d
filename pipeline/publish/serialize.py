"""A `Brief` to brief.json and back: the archive is rebuilt from what the database keeps."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pipeline.models import (
    Brief,
    Claim,
    Comparison,
    Connection,
    Disagreement,
    Involved,
    KeyFigure,
    RunStats,
    Sentence,
    SourceRef,
    ThreadDigest,
    TimelineEvent,
    TopLine,
    Voice,
)


def brief_to_json(brief: Brief) -> str:
    """brief.json: everything the brief shows, with the source id of every sentence."""
    return json.dumps(_plain(asdict(brief)), indent=2, ensure_ascii=False) + "\n"


def brief_from_json(text: str) -> Brief:
    """The inverse of brief_to_json."""
    d = json.loads(text)
    return Brief(
        id=d["id"],
        slot=_when(d["slot"]) or datetime.now(UTC),
        title=d["title"],
        audience=d["audience"],
        generated_at=_when(d["generated_at"]) or datetime.now(UTC),
        status_line=d["status_line"],
        digests=tuple(_digest(x) for x in d["digests"]),
        stats=_stats(d["stats"]),
        feed_errors=tuple((str(a), str(b)) for a, b in d.get("feed_errors", [])),
        others=tuple(_ref(x) for x in d.get("others", [])),
        covers=tuple(d.get("covers", [])),
        overflow=tuple(_ref(x) for x in d.get("overflow", [])),
        overflow_digests=tuple(_digest(x) for x in d.get("overflow_digests", [])),
        publishers=d.get("publishers", 0),
        reading_minutes=d.get("reading_minutes", 0),
        top=tuple(TopLine(**{**t, "sentence": Sentence(**t["sentence"])}) for t in d.get("top", [])),
        connections=tuple(
            Connection(
                **{
                    **c,
                    "shared": tuple(c["shared"]),
                    "sentence": Sentence(**c["sentence"]),
                    "cited": tuple(c.get("cited", ("", ""))),
                }
            )
            for c in d.get("connections", [])
        ),
    )


def _stats(d: dict[str, Any]) -> RunStats:
    """A brief's stats; briefs kept before runs were timed elsewhere also hold "seconds"."""
    return RunStats(**{f.name: d[f.name] for f in fields(RunStats) if f.name in d})


def digest_to_json(digest: ThreadDigest) -> str:
    """One thread's digest as brief.json holds it (compact): what a thread page is made from."""
    return json.dumps(_plain(asdict(digest)), ensure_ascii=False, separators=(",", ":"))


def digest_from_json(text: str) -> ThreadDigest:
    """The inverse of digest_to_json."""
    return _digest(json.loads(text))


def _digest(d: dict[str, Any]) -> ThreadDigest:
    return ThreadDigest(
        thread_id=d["thread_id"],
        title=d["title"],
        kind=d["kind"],
        headline=Sentence(**d["headline"]),
        overview=tuple(Sentence(**s) for s in d["overview"]),
        why_it_matters=tuple(Sentence(**s) for s in d["why_it_matters"]),
        tldr=tuple(Sentence(**s) for s in d["tldr"]),
        sources=tuple(_ref(s) for s in d["sources"]),
        new_articles=d["new_articles"],
        reading_minutes=d["reading_minutes"],
        category=d.get("category", ""),
        figures=tuple(
            KeyFigure(
                f["value"],
                f["label"],
                Sentence(**f["context"]),
                f["sources"],
                f.get("earlier", ""),
                (str(f["cited"][0]), str(f["cited"][1])) if f.get("cited") else (),
            )
            for f in d.get("figures", [])
        ),
        timeline=tuple(
            TimelineEvent(
                e["date"],
                e["kind"],
                Sentence(**e["text"]),
                tuple((str(a), str(b)) for a, b in e["cited"]),
                e.get("title", ""),
            )
            for e in d.get("timeline", [])
        ),
        people=tuple(_involved(x) for x in d.get("people", [])),
        orgs=tuple(_involved(x) for x in d.get("orgs", [])),
        voices=tuple(Voice(**v) for v in d.get("voices", [])),
        tags=tuple(d.get("tags", [])),
        impact=d.get("impact", ""),
        horizon=d.get("horizon", ""),
        tone=d.get("tone", ""),
        audience=tuple(Sentence(**s) for s in d.get("audience", [])),
        comparison=(
            Comparison(
                d["comparison"]["measure"],
                tuple((str(e), str(v), str(a)) for e, v, a in d["comparison"]["rows"]),
                tuple(Sentence(**x) for x in d["comparison"].get("sources", [])),
            )
            if d.get("comparison")
            else None
        ),
        date=_when(d.get("date")),
        since=d.get("since", ""),
        unchanged=d.get("unchanged", False),
        written_by=d.get("written_by", ""),
        llm_note=d.get("llm_note", ""),
        disagreements=tuple(
            Disagreement(
                x["about"],
                tuple(
                    Claim(c["value"], c["source"], c["url"], Sentence(**c["sentence"])) for c in x["claims"]
                ),
            )
            for x in d.get("disagreements", [])
        ),
    )


def _involved(d: dict[str, Any]) -> Involved:
    role_from = Sentence(**d["role_from"]) if d.get("role_from") else None
    cited = tuple(d.get("role_cited") or ())
    return Involved(
        d["name"],
        d["kind"],
        d["role"],
        Sentence(**d["context"]),
        role_from,
        (cited[0], cited[1]) if cited else (),
    )


def _ref(d: dict[str, Any]) -> SourceRef:
    return SourceRef(
        number=d["number"],
        article_id=d["article_id"],
        title=d["title"],
        source=d["source"],
        url=d["url"],
        published=_when(d.get("published")),
        extracted=d.get("extracted", True),
        copies=tuple((str(a), str(b)) for a, b in d.get("copies", [])),
        date_note=d.get("date_note", ""),
    )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    return value
