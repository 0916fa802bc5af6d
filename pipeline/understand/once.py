"""A brief that reads as one: its top, and each sentence in one place only.

`top_of_brief`: under the title, the brief's most important developments, one line each: for
each of the first threads (in rank order, those with news), the sentence that leads it (`_lead`:
of its overview sentences and TL;DR bullets that read on their own, the first of the overview
when it says some of what the thread's headline says, else the one that says most of it), with
its citation. The sentence moves there: its thread does not show it again, nor the overview
sentence after it when that opens on it ("They were …"); a thread keeps at least one overview
sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from pipeline.models import Connection, KeyFigure, Sentence, ThreadDigest, TopLine
from pipeline.text.words import STOP_WORDS
from pipeline.understand.facts import meaning
from pipeline.understand.headings import leans_on_before, reads_alone, sentence_key

TOP_LINES = 3
MIN_HEADLINE_SHARE = 0.2  # a top line says at least this share of its thread's headline


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
                overview=_leaves(d.overview, lead),
            )
        )
    return tuple(top), tuple(out)


def _lead(d: ThreadDigest) -> Sentence | None:
    """The sentence that leads a thread at the top of the brief, of its overview sentences and
    TL;DR bullets that read alone: the overview's first when it says some of what the headline
    says (news puts the point first); else the one that says most of it (the development, not
    its background or a reaction to it: "Veltrion said it would consider an appeal" is not
    "EU fines chipmaker Veltrion"); else the overview's first, else the first bullet; None
    when none reads alone. (The overview keeps at least one sentence.)"""
    known = {r.article_id for r in d.sources}
    headline = _words(d.headline.text)
    movable = [
        s for s in d.overview[:] if len(d.overview) > 1 and s.article_id in known and reads_alone(s.text)
    ]
    bullets = [s for s in d.tldr if s.article_id in known and reads_alone(s.text)]

    def share(s: Sentence) -> float:
        return len(_words(s.text) & headline) / len(headline) if headline else 0.0

    first = movable[:1] if list(d.overview[:1]) == movable[:1] else []
    if first and share(first[0]) >= MIN_HEADLINE_SHARE:
        return first[0]
    candidates = [*movable, *bullets]
    best = max(candidates, key=share, default=None)  # the first of the best on a tie
    if best is not None and share(best) >= MIN_HEADLINE_SHARE:
        return best
    fallback = first or bullets
    return fallback[0] if fallback else None


def _leaves(overview: Sequence[Sentence], lead: Sentence) -> tuple[Sentence, ...]:
    """The overview without the sentence that moves to the top, nor the one after it when that
    opens on it ("They were given …" after the sentence naming them): never empty."""
    if lead not in overview:
        return tuple(overview)
    n = overview.index(lead)
    after = overview[n + 1 : n + 2]
    gone = {lead, *(s for s in after if leans_on_before(s.text))}
    return (
        tuple(s for s in overview if s not in gone)
        or tuple(s for s in overview if s != lead)
        or tuple(overview)
    )


def _shown_above(figure: KeyFigure, seen: dict[str, list[KeyFigure]]) -> bool:
    """Whether a thread above shows the same figure: the same sum of money (a coincidence of
    "$115 billion to $135 billion" across threads is the same fact, whatever its label), or the
    same amount told by the same sentence or measuring the same thing (a label word in common):
    not merely another 6% of something else."""
    for k in figure_keys(figure.value):
        for other in seen.get(k, ()):
            if (
                k.startswith("amount:#money:")
                or other.context.text == figure.context.text
                or _words(other.label) & _words(figure.label)
            ):
                return True
    return False


def figure_keys(value: str) -> set[str]:
    """A figure as two places of a brief compare it: as written ("$14.3 billion"), and its
    smallest amount (so "$14.3B" is the same figure; a range's, whatever order a set gives)."""
    words = " ".join(value.lower().split())
    amount = min((t for t in meaning.signature(value) if t.startswith("#")), default="")
    return {"text:" + words} | ({"amount:" + amount} if amount else set())


def _words(text: str) -> set[str]:
    """The words of a sentence a headline is compared on: its content words, lower-cased, a
    plural's s dropped ("fines", "fined" and "fine" are one word)."""
    out = set()
    for w in re.findall(r"[^\W_]+", text.lower()):  # "Turkey-Iran", "Iran's": Turkey, Iran
        if w in STOP_WORDS or (len(w) < 3 and not w.isdigit()):
            continue
        out.add(re.sub(r"(?:es|ed|s|d)$", "", w) if len(w) > 4 else w)
    return out


def each_once(
    top: Sequence[TopLine], digests: Sequence[ThreadDigest], links: Sequence[Connection]
) -> tuple[tuple[ThreadDigest, ...], tuple[Connection, ...]]:
    """The digests and connections with every sentence kept in the first place a reader meets
    it and left out of the others (the module docstring says the order)."""
    seen = {_key(t.sentence.text) for t in top}
    figures_seen: dict[str, list[KeyFigure]] = {}
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
        # a figure a thread above shows is that thread's: not a key indicator here again
        figures = tuple(
            replace(f, context=_cited(f.context, seen))
            for f in d.figures
            if not _shown_above(f, figures_seen)
        )
        for f in d.figures:
            for k in figure_keys(f.value):
                figures_seen.setdefault(k, []).append(f)
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
    return sentence_key(text)


def _first(text: str, seen: set[str]) -> bool:
    """Whether `text` is met here for the first time (it is then seen); an empty text is kept."""
    key = _key(text)
    if not key:
        return True
    if key in seen:
        return False
    seen.add(key)
    return True
