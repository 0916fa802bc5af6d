"""A brief that reads as one: its top, and each sentence in one place only.

`top_of_brief`: under the title, the brief's most important developments, one line each: for
each of the first threads (in rank order, those with news), the sentence that leads it, its
first overview sentence when that reads on its own, else its first TL;DR bullet (which does by
construction), with its citation. The sentence moves there: its thread does not show it
again (a thread keeps at least one overview sentence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pipeline.models import Connection, Sentence, ThreadDigest, TopLine
from pipeline.understand.headings import reads_alone

TOP_LINES = 3


def top_of_brief(
    digests: Sequence[ThreadDigest], lines: int = TOP_LINES
) -> tuple[tuple[TopLine, ...], tuple[ThreadDigest, ...]]:
    """The brief's top lines, and the digests without the sentences that moved there."""
    top: list[TopLine] = []
    out: list[ThreadDigest] = []
    for d in digests:
        lead = _lead(d) if len(top) < lines and not d.unchanged else None
        if lead is None:
            out.append(d)
            continue
        ref = next(r for r in d.sources if r.article_id == lead.article_id)
        top.append(TopLine(d.thread_id, d.title, lead, ref.source, ref.url, ref.number))
        out.append(
            replace(
                d,
                tldr=tuple(s for s in d.tldr if s != lead),
                overview=tuple(s for s in d.overview if s != lead) or d.overview,
            )
        )
    return tuple(top), tuple(out)


def _lead(d: ThreadDigest) -> Sentence | None:
    """The sentence that leads a thread at the top of the brief, or None when none reads alone."""
    known = {r.article_id for r in d.sources}
    movable = d.overview if len(d.overview) > 1 else ()
    first = next((s for s in movable[:1] if s.article_id in known and reads_alone(s.text)), None)
    if first is not None:
        return first
    return d.tldr[0] if d.tldr and d.tldr[0].article_id in known else None


def each_once(
    top: Sequence[TopLine], digests: Sequence[ThreadDigest], links: Sequence[Connection]
) -> tuple[tuple[ThreadDigest, ...], tuple[Connection, ...]]:
    """The digests and connections with every sentence kept in the first place a reader meets
    it and left out of the others (the module docstring says the order)."""
    seen = {_key(t.sentence.text) for t in top}
    out = []
    for d in digests:
        if d.unchanged:
            out.append(d)
            continue
        seen.add(_key(d.headline.text))  # an overview sentence that is the headline says it again
        overview, why, tldr = _new(d.overview, seen), _new(d.why_it_matters, seen), _new(d.tldr, seen)
        disagreements = tuple(
            replace(x, claims=tuple(replace(c, sentence=_cited(c.sentence, seen)) for c in x.claims))
            for x in d.disagreements
        )
        figures = tuple(replace(f, context=_cited(f.context, seen)) for f in d.figures)
        timeline = tuple(e for e in d.timeline if _first(e.text.text, seen))
        voices = tuple(
            v for v in d.voices if not any(_key(v.quote) in k for k in seen) and _first(v.quote, seen)
        )
        audience = _new(d.audience, seen)
        out.append(
            replace(
                d,
                overview=overview,
                why_it_matters=why,
                tldr=tldr,
                disagreements=disagreements,
                figures=figures,
                timeline=timeline,
                voices=voices,
                audience=audience,
            )
        )
    return tuple(out), tuple(replace(c, sentence=_cited(c.sentence, seen)) for c in links)


def _new(sentences: Sequence[Sentence], seen: set[str]) -> tuple[Sentence, ...]:
    """The sentences met here for the first time."""
    return tuple(s for s in sentences if _first(s.text, seen))


def _cited(sentence: Sentence, seen: set[str]) -> Sentence:
    """The sentence, or, when it was met before, its citation alone (no text)."""
    return sentence if _first(sentence.text, seen) else Sentence("", sentence.article_id)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _first(text: str, seen: set[str]) -> bool:
    """Whether `text` is met here for the first time (it is then seen); an empty text is kept."""
    key = _key(text)
    if not key:
        return True
    if key in seen:
        return False
    seen.add(key)
    return True
